//===- Mul.cpp - a * b with numpy broadcasting ----------------------------===//
//
// mul(a, b) = a * b elementwise (not a matrix product), with numpy
// broadcasting like add.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

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

static std::optional<FoldValues> fold(const Node &n) {
  return foldBinary(n, [](double a, double b) { return a * b; });
}

// x * 1 -> x and 1 * x -> x
static Node *simplify(Node &n) {
  if (isSplat(n.input(1), 1.0))
    return &n.input(0);
  return isSplat(n.input(0), 1.0) ? &n.input(1) : nullptr;
}

extern const OpInfo MulInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.simplify = simplify;
  op.lower = lower;
  op.fusible = true;
  op.operandDoc = "a, b";
  return op;
}();

} // namespace lamina
