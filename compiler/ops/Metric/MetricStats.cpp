//===- MetricStats.cpp - a metric's sums over one batch -------------------===//
//
// metric_stats(operands...) {metric}: the stats of the metric op named
// `metric` over the batch (OpInfo::lowerStats), f64[statsSize], which the
// runtime merges over a data set and finishes (lamina/abi/Metrics.h). The
// executable's train and eval pipelines compute it in place of the metric's
// value (withMetricStats in compiler/lower); model files cannot call it.
// The metrics with sums take no attributes of their own.
//
//===----------------------------------------------------------------------===//
#include "ops/ReduceCommon.h"

namespace lamina {

/// The metric's OpInfo, or nullptr when `metric` names no op with stats.
static const OpInfo *metricInfo(const Node &n) {
  std::optional<OpKind> k = lookupOp(n.strAttr("metric"));
  if (!k)
    return nullptr;
  const OpInfo &info = getOpInfo(*k);
  if (!info.lowerStats || !info.statsSize ||
      static_cast<int>(n.inputs().size()) != opArity(*k))
    return nullptr;
  return &info;
}

static Expected<TensorType> inferType(const Node &n) {
  const OpInfo *info = metricInfo(n);
  if (!info)
    return typeError("'metric_stats' needs the name of a metric with sums "
                     "(r2, rmse, accuracy, precision, recall, f1) and its "
                     "operands, got '" +
                     n.strAttr("metric") + "'");
  // The metric's own type rule checks the operands.
  Expected<TensorType> value = info->inferType(n);
  if (!value)
    return value;
  return TensorType{DType::F64, {info->statsSize(n)}};
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return metricInfo(n)->lowerStats(n, ctx);
}

// A handful of sums: computed once, in one loop each (the confusion
// matrix's scatter cannot be vectorized).
static void schedule(const Node &, Halide::Func &f, LowerContext &) {
  f.compute_root();
  for (int u = 0; u < f.num_update_definitions(); ++u)
    f.update(u).unscheduled();
}

static constexpr AttrSpec kAttrs[] = {
    {"metric", AttrType::String, nullptr, "the metric op"},
};

extern const OpInfo MetricStatsInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.noGradReason = "metric sums are reported, not trained on";
  op.lower = lower;
  op.schedule = schedule;
  op.form = DslForm::None;
  op.operandDoc = "the metric's operands";
  return op;
}();

} // namespace lamina
