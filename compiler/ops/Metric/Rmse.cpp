//===- Rmse.cpp - root mean squared error (a metric)
//-----------------------===//
//
// rmse(y, t) = sqrt(1/N sum (y - t)^2) over the N compared elements.
//
//===----------------------------------------------------------------------===//
#include "ops/Loss/LossCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPairType(n, "rmse");
}

// No gradient: a metric is reported, not trained on (train on mse instead;
// the square root's slope is unbounded at 0).

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f = lowerPairMean(n, ctx, [](Halide::Expr y, Halide::Expr t) {
    Halide::Expr d = y - t;
    return d * d;
  });
  f() = Halide::sqrt(f());
  return f;
}

extern const OpInfo RmseInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason = "rmse is a metric; use the mse loss to train";
  op.lower = lower;
  op.operandDoc = "prediction, target";
  return op;
}();

} // namespace lamina
