//===- MaxPoolGrad.cpp - dL/dx of max pooling -----------------------------===//
//
// maxpool_grad(x, dy) with the pooling attrs: dy of each window goes to the
// first arg-max of the window in x, summed where windows overlap. Built only
// by the max pooling gradient rules.
//
//===----------------------------------------------------------------------===//
#include "ops/Pool/PoolAttrs.h"
#include "ops/Pool/PoolCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPoolGradType(n, true);
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerMaxPoolGrad(n, ctx);
}

static void schedule(const Node &n, Halide::Func &f, LowerContext &ctx) {
  schedulePoolGrad(n, f, ctx);
}

// Second derivatives of pooling are not needed to train.
extern const OpInfo MaxPoolGradInfo = [] {
  OpInfo op;
  op.attrs = kPoolAttrs;
  op.inferType = inferType;
  op.noGradReason = "second derivatives of pooling are not supported";
  op.lower = lower;
  op.rowDims = poolRowDims;
  op.schedule = schedule;
  op.tilesEpilogue = true;
  op.form = DslForm::None;
  op.operandDoc = "x, dy";
  return op;
}();

} // namespace lamina
