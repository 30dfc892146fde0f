//===- MetricStats.cpp - Metrics as sums in the executable's pipelines ----===//
//
// The forward graph and the train step compute each metric's value over
// the batch, which `lamina-run` and the tests read. The executable's train
// and eval pipelines compute the metric's sums instead (lamina/abi/
// Metrics.h), so that its figure over a data set does not depend on the
// batch size: withMetricStats adds a metric_stats node with the metric's
// operands right after it and points the metric's output there.
//
//===----------------------------------------------------------------------===//
#include "lamina/OpInfo.h"
#include "lamina/Plan.h"

#include <cassert>

namespace lamina {

std::unique_ptr<Graph> withMetricStats(const Graph &g) {
  auto out = std::make_unique<Graph>();
  g.cloneInto(*out);
  for (const std::string &name : g.metrics()) {
    Node *metric = nullptr;
    for (const auto &[o, n] : out->outputs())
      if (o == name)
        metric = n;
    assert(metric && "a metric without an output");
    const OpInfo &info = getOpInfo(metric->kind());
    if (!info.lowerStats)
      continue;
    assert(metric->attrs().empty() && "a metric with sums and attributes");
    Node *stats = out->insert(
        metric->id() + 1, OpKind::MetricStats, metric->inputs(),
        TensorType{DType::F64, {info.statsSize(*metric)}},
        Attrs{{"metric", std::string(opName(metric->kind()))}}, metric->loc());
    out->replaceOutput(name, stats);
  }
  out->removeDeadNodes();
  return out;
}

} // namespace lamina
