//===- F1.cpp - macro-averaged f1 (a metric) ------------------------------===//
//
// f1(y, t): the mean over classes of the harmonic mean of the class's precision
// and recall, 2 TP / (2 TP + FP + FN), over the classes that occur as a label
// or a prediction (scikit-learn's average="macro"). The forms of y and t are
// those of ClassifyCommon.h. Over a data set the runtime finishes it from the
// confusion matrix of every batch (lamina/abi/Metrics.h).
//
//===----------------------------------------------------------------------===//
#include "ops/Metric/ClassifyCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferClassifyType(n, "f1");
}

// No gradient: counts of right answers are piecewise constant.

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerMacroAverage(n, ctx, abi::MetricFinish::F1);
}

extern const OpInfo F1Info = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason = "f1 is a piecewise constant metric";
  op.labelClasses = classifyLabelClasses;
  op.lower = lower;
  op.statsFinish = abi::MetricFinish::F1;
  op.statsSize = confusionStatsSize;
  op.lowerStats = lowerConfusionStats;
  op.operandDoc = "prediction, target";
  return op;
}();

} // namespace lamina
