//===- Precision.cpp - macro-averaged precision (a metric) ----------------===//
//
// precision(y, t): the mean over classes of the fraction of the samples
// predicted as the class that are of it, over the classes that occur as a label
// or a prediction (scikit-learn's average="macro"). The forms of y and t are
// those of ClassifyCommon.h. Over a data set the runtime finishes it from the
// confusion matrix of every batch (lamina/abi/Metrics.h).
//
//===----------------------------------------------------------------------===//
#include "ops/Metric/ClassifyCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferClassifyType(n, "precision");
}

// No gradient: counts of right answers are piecewise constant.

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerMacroAverage(n, ctx, abi::MetricFinish::Precision);
}

extern const OpInfo PrecisionInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason = "precision is a piecewise constant metric";
  op.labelClasses = classifyLabelClasses;
  op.lower = lower;
  op.statsFinish = abi::MetricFinish::Precision;
  op.statsSize = confusionStatsSize;
  op.lowerStats = lowerConfusionStats;
  op.operandDoc = "prediction, target";
  return op;
}();

} // namespace lamina
