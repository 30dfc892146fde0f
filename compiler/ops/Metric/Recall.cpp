//===- Recall.cpp - macro-averaged recall (a metric) ----------------------===//
//
// recall(y, t): the mean over classes of the fraction of the class's samples
// predicted as it, over the classes that occur as a label or a prediction
// (scikit-learn's average="macro"). The forms of y and t are those of
// ClassifyCommon.h. Over a data set the runtime finishes it from the confusion
// matrix of every batch (lamina/abi/Metrics.h).
//
//===----------------------------------------------------------------------===//
#include "ops/Metric/ClassifyCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferClassifyType(n, "recall");
}

// No gradient: counts of right answers are piecewise constant.

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerMacroAverage(n, ctx, abi::MetricFinish::Recall);
}

extern const OpInfo RecallInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason = "recall is a piecewise constant metric";
  op.labelClasses = classifyLabelClasses;
  op.lower = lower;
  op.statsFinish = abi::MetricFinish::Recall;
  op.statsSize = confusionStatsSize;
  op.lowerStats = lowerConfusionStats;
  op.operandDoc = "prediction, target";
  return op;
}();

} // namespace lamina
