//===- AvgPoolGrad.cpp - dL/dx of average pooling -------------------------===//
//
// avgpool_grad(dy) with the pooling attrs and input_shape: dy of each window,
// divided by its divisor, goes to each position it averaged. Built only
// by the average pooling gradient rules.
//
//===----------------------------------------------------------------------===//
#include "ops/Pool/PoolAttrs.h"
#include "ops/Pool/PoolCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPoolGradType(n, false);
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerAvgPoolGrad(n, ctx);
}

static void schedule(const Node &n, Halide::Func &f, LowerContext &ctx) {
  schedulePoolGrad(n, f, ctx);
}

// Second derivatives of pooling are not needed to train.
extern const OpInfo AvgPoolGradInfo = [] {
  OpInfo op;
  op.attrs = kPoolGradAttrs;
  op.inferType = inferType;
  op.noGradReason = "second derivatives of pooling are not supported";
  op.lower = lower;
  op.rowDims = poolRowDims;
  op.schedule = schedule;
  op.tilesEpilogue = true;
  op.form = DslForm::None;
  op.operandDoc = "dy";
  return op;
}();

} // namespace lamina
