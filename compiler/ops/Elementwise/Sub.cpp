//===- Sub.cpp - a - b with numpy broadcasting ----------------------------===//
//
// sub(a, b) = a - b elementwise, with numpy broadcasting like add.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferBinaryBroadcast(n);
}

// d/da (a - b) = 1, d/db (a - b) = -1 (un-broadcast by autodiff)
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *dy = g.outGrad(n);
  g.accumulate(n.input(0), dy);
  g.accumulate(n.input(1), g.neg(dy));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerBinary(n, ctx,
                     [](Halide::Expr a, Halide::Expr b) { return a - b; });
}

extern const OpInfo SubInfo = {"sub",   2,     inferType, buildGradient,
                               nullptr, lower, nullptr};

} // namespace lamina
