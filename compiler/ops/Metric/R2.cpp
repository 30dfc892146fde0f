//===- R2.cpp - coefficient of determination (a metric)
//--------------------===//
//
// r2(y, t) = 1 - SS_res / SS_tot with SS_res = sum (t - y)^2 over the
// compared elements and SS_tot = sum (t - mean(t))^2 over the target's
// elements: the fraction of the target's variance over the batch that the
// prediction explains. A constant target gives SS_tot = 0 and a result of
// -inf or NaN, as in the formula. Over a data set the runtime finishes it
// from every batch's sums (lamina/abi/Metrics.h), as one batch would.
//
//===----------------------------------------------------------------------===//
#include "ops/Loss/LossCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPairType(n, "r2");
}

// No gradient: a metric is reported, not trained on.

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  std::string base = ctx.name(n);
  Halide::Func res(base + "_ssres");
  definePairSum(res, n, ctx, [](Halide::Expr y, Halide::Expr t) {
    Halide::Expr d = t - y;
    return d * d;
  });
  res.compute_root();
  const Shape &ts = n.input(1).shape();
  Halide::Func mean(base + "_tmean"), tot(base + "_sstot");
  ReduceIndex ri = fullReduceIndex(ts, ctx, base + "_rt");
  if (!ri.dom) {
    mean() = ctx.read(n, 1, {});
    tot() = ctx.constant(n, 0);
  } else {
    mean() = ctx.constant(n, 0);
    mean() += ctx.read(n, 1, ri.idx);
    mean() = mean() / ctx.cast(n, ctx.count(ts, allAxes(ts.size())));
    ReduceIndex ri2 = fullReduceIndex(ts, ctx, base + "_rt2");
    Halide::Expr d = ctx.read(n, 1, ri2.idx) - mean();
    tot() = ctx.constant(n, 0);
    tot() += d * d;
  }
  mean.compute_root();
  tot.compute_root();
  Halide::Func f(base);
  f() = ctx.constant(n, 1) - res() / tot();
  return f;
}

// Over a data set: [SS_res, n, mean, M2] of the batch in f64, M2 the
// target's squared deviations from its batch mean, merged by the runtime.
static int64_t statsSize(const Node &) {
  return abi::metricStatsSize(abi::MetricFinish::R2, 0);
}

static Halide::Func lowerStats(const Node &n, LowerContext &ctx) {
  std::string base = ctx.name(n);
  auto f64 = [](Halide::Expr e) { return Halide::cast<double>(e); };
  Halide::Func res(base + "_ssres");
  definePairSum(res, n, ctx, [&](Halide::Expr y, Halide::Expr t) {
    Halide::Expr d = f64(t) - f64(y);
    return d * d;
  });
  res.compute_root();
  const Shape &ts = n.input(1).shape();
  Halide::Expr count = f64(ctx.count(ts, allAxes(ts.size())));
  Halide::Func mean(base + "_tmean"), m2(base + "_m2");
  ReduceIndex ri = fullReduceIndex(ts, ctx, base + "_rt");
  if (!ri.dom) {
    mean() = f64(ctx.read(n, 1, {}));
    m2() = f64(0);
  } else {
    mean() = f64(0);
    mean() += f64(ctx.read(n, 1, ri.idx));
    mean() = mean() / count;
    ReduceIndex ri2 = fullReduceIndex(ts, ctx, base + "_rt2");
    Halide::Expr d = f64(ctx.read(n, 1, ri2.idx)) - mean();
    m2() = f64(0);
    m2() += d * d;
  }
  mean.compute_root();
  m2.compute_root();
  Halide::Var i("i");
  Halide::Func f(base);
  f(i) = Halide::mux(i, {res(), count, mean(), m2()});
  return f;
}

extern const OpInfo R2Info = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason = "r2 is a metric, not a loss";
  op.lower = lower;
  op.statsFinish = abi::MetricFinish::R2;
  op.statsSize = statsSize;
  op.lowerStats = lowerStats;
  op.operandDoc = "prediction, target";
  return op;
}();

} // namespace lamina
