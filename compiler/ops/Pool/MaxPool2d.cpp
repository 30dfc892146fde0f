//===- MaxPool2d.cpp - 2-D max pooling ------------------------------------===//
//
// maxpool2d(x [N, C, H, W]) with attrs kernel, stride, padding
// [top, left, bottom, right], ceil_mode. See PoolCommon.h.
//
//===----------------------------------------------------------------------===//
#include "ops/Pool/PoolAttrs.h"
#include "ops/Pool/PoolCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPoolType(n, 2, "maxpool2d");
}

// The gradient goes to the first arg-max of each window (summed where
// windows overlap).
static void buildGradient(const Node &n, GradBuilder &g) {
  Attrs a = n.attrs();
  Node *x = const_cast<Node *>(&n.input(0));
  g.accumulate(*x, g.make(OpKind::MaxPoolGrad, {x, g.outGrad(n)}, a));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerPool(n, ctx, 2, true);
}

// Vectors along the output width, one parallel task per sample.
static void schedule(const Node &n, Halide::Func &f, LowerContext &ctx) {
  schedulePool(n, f, ctx);
}

extern const OpInfo MaxPool2dInfo = [] {
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
