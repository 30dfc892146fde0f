//===- AvgPool1d.cpp - 1-D average pooling --------------------------------===//
//
// avgpool1d(x [N, C, L]) with attrs kernel, stride, padding
// [left, right], ceil_mode, count_include_pad. See PoolCommon.h.
//
//===----------------------------------------------------------------------===//
#include "ops/Pool/PoolAttrs.h"
#include "ops/Pool/PoolCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPoolType(n, 1, "avgpool1d");
}

// Each window's gradient is spread evenly over the positions it averaged.
static void buildGradient(const Node &n, GradBuilder &g) {
  Attrs a = n.attrs();
  a["input_shape"] = n.input(0).shape();
  g.accumulate(n.input(0), g.make(OpKind::AvgPoolGrad, {g.outGrad(n)}, a));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerPool(n, ctx, 1, false);
}

// Vectors along the output length, one parallel task per sample.
static void schedule(const Node &n, Halide::Func &f, LowerContext &ctx) {
  schedulePool(n, f, ctx);
}

extern const OpInfo AvgPool1dInfo = [] {
  OpInfo op;
  op.attrs = kPoolAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.rowDims = poolRowDims;
  op.schedule = schedule;
  op.form = DslForm::Layer;
  return op;
}();

} // namespace lamina
