//===- Accuracy.cpp - fraction of correct predictions (a metric) ----------===//
//
// accuracy(y, t): the fraction of samples whose predicted class is the true
// one, in y's float dtype. The forms of y and t are those of
// ClassifyCommon.h. Over a data set the runtime finishes it from the
// confusion matrix of every batch: right answers over samples.
//
//===----------------------------------------------------------------------===//
#include "ops/Metric/ClassifyCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferClassifyType(n, "accuracy");
}

// No gradient: a count of right answers is piecewise constant.

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  std::string base = ctx.name(n);
  SampleClasses sc = lowerSampleClasses(n, ctx);
  Shape samples = classifySamples(n);
  Halide::Func f(base);
  ReduceIndex ri = fullReduceIndex(samples, ctx, base + "_r");
  auto right = [&](const std::vector<Halide::Expr> &s) {
    return Halide::select(LowerContext::call(sc.truth, s) ==
                              LowerContext::call(sc.predicted, s),
                          ctx.constant(n, 1), ctx.constant(n, 0));
  };
  if (!ri.dom) {
    f() = right({});
    return f;
  }
  f() = ctx.constant(n, 0);
  f() += right(ri.idx);
  f() = f() / ctx.cast(n, ctx.count(samples, allAxes(samples.size())));
  return f;
}

extern const OpInfo AccuracyInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason = "accuracy is a piecewise constant metric";
  op.labelClasses = classifyLabelClasses;
  op.lower = lower;
  op.statsFinish = abi::MetricFinish::Accuracy;
  op.statsSize = confusionStatsSize;
  op.lowerStats = lowerConfusionStats;
  op.operandDoc = "prediction, target";
  return op;
}();

} // namespace lamina
