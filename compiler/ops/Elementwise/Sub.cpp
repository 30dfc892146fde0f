//===- Sub.cpp - a - b with numpy broadcasting ----------------------------===//
//
// sub(a, b) = a - b elementwise, with numpy broadcasting like add.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

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

static std::optional<FoldValues> fold(const Node &n) {
  return foldBinary(n, [](double a, double b) { return a - b; });
}

// x - 0 -> x
static Node *simplify(Node &n) {
  return isSplat(n.input(1), 0.0) ? &n.input(0) : nullptr;
}

extern const OpInfo SubInfo = [] {
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
