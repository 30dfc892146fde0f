//===- HalfSquaredError.cpp - mean of 1/2 (y - t)^2
//------------------------===//
//
// half_squared_error(y, t) = 1/N sum 1/2 (y - t)^2. For one sample this is
// the notes' L = 1/2 (y_pred - y)^2, whose gradient is y_pred - y.
//
//===----------------------------------------------------------------------===//
#include "ops/Loss/LossCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPairType(n, "half_squared_error");
}

// dL/dy = (y - t) / N,  dL/dt = -dL/dy.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *d = g.sub(&n.input(0), &n.input(1));
  accumulatePair(g, n, g.div(d, pairCount(g, n, d)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Expr half = ctx.constant(n, 0.5);
  return lowerPairMean(n, ctx, [half](Halide::Expr y, Halide::Expr t) {
    Halide::Expr d = y - t;
    return half * d * d;
  });
}

extern const OpInfo HalfSquaredErrorInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.operandDoc = "prediction, target";
  return op;
}();

} // namespace lamina
