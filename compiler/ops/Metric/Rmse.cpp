//===- Rmse.cpp - root mean squared error (a metric)
//-----------------------===//
//
// rmse(y, t) = sqrt(1/N sum (y - t)^2) over the N compared elements. Over a
// data set the runtime finishes it from every batch's sum and N.
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

// Over a data set: [sum of (y - t)^2, elements] of the batch in f64.
static int64_t statsSize(const Node &) {
  return abi::metricStatsSize(abi::MetricFinish::Rmse, 0);
}

static Halide::Func lowerStats(const Node &n, LowerContext &ctx) {
  std::string base = ctx.name(n);
  Halide::Func sum(base + "_sum");
  definePairSum(sum, n, ctx, [](Halide::Expr y, Halide::Expr t) {
    Halide::Expr d = Halide::cast<double>(y) - Halide::cast<double>(t);
    return d * d;
  });
  sum.compute_root();
  Shape s = pairShape(n);
  Halide::Var i("i");
  Halide::Func f(base);
  f(i) = Halide::mux(
      i, {sum(), Halide::cast<double>(ctx.count(s, allAxes(s.size())))});
  return f;
}

extern const OpInfo RmseInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason = "rmse is a metric; use the mse loss to train";
  op.lower = lower;
  op.statsFinish = abi::MetricFinish::Rmse;
  op.statsSize = statsSize;
  op.lowerStats = lowerStats;
  op.operandDoc = "prediction, target";
  return op;
}();

} // namespace lamina
