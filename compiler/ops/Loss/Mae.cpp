//===- Mae.cpp - mean absolute error
//---------------------------------------===//
//
// mae(y, t) = 1/N sum |y - t| over the N elements of the compared shape.
//
//===----------------------------------------------------------------------===//
#include "ops/Loss/LossCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPairType(n, "mae");
}

// dL/dy = sign(y - t) / N (0 where y == t),  dL/dt = -dL/dy.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *d = g.sub(&n.input(0), &n.input(1));
  // One node per statement: the order of argument evaluation, and so the
  // numbering of the dump, differs between compilers.
  Node *count = pairCount(g, n, d);
  accumulatePair(g, n, g.div(g.sign(d), count));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerPairMean(n, ctx, [](Halide::Expr y, Halide::Expr t) {
    return Halide::abs(y - t);
  });
}

extern const OpInfo MaeInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.operandDoc = "prediction, target";
  return op;
}();

} // namespace lamina
