//===- Mse.cpp - mean squared error
//----------------------------------------===//
//
// mse(y, t) = 1/N sum (y - t)^2 over the N elements of the compared shape.
//
//===----------------------------------------------------------------------===//
#include "ops/Loss/LossCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPairType(n, "mse");
}

// dL/dy = 2 (y - t) / N,  dL/dt = -dL/dy.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *d = g.sub(&n.input(0), &n.input(1));
  // One node per statement: the order of argument evaluation, and so the
  // numbering of the dump, differs between compilers.
  Node *count = pairCount(g, n, d);
  accumulatePair(g, n, g.div(g.mul(d, 2.0), count));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerPairMean(n, ctx, [](Halide::Expr y, Halide::Expr t) {
    Halide::Expr d = y - t;
    return d * d;
  });
}

extern const OpInfo MseInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.operandDoc = "prediction, target";
  return op;
}();

} // namespace lamina
