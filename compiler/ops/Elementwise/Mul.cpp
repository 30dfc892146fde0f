//===- Mul.cpp - a * b with numpy broadcasting ----------------------------===//
//
// mul(a, b) = a * b elementwise (not a matrix product), with numpy
// broadcasting like add.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferBinaryBroadcast(n);
}

// d/da (a b) = b, d/db (a b) = a
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *a = &n.input(0), *b = &n.input(1);
  Node *dy = g.outGrad(n);
  g.accumulate(*a, g.mul(dy, b));
  g.accumulate(*b, g.mul(dy, a));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerBinary(n, ctx,
                     [](Halide::Expr a, Halide::Expr b) { return a * b; });
}

extern const OpInfo MulInfo = {"mul",   2,     inferType, buildGradient,
                               nullptr, lower, nullptr};

} // namespace lamina
