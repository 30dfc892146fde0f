//===- ConvGradWeight.cpp - dL/dw of conv1d and conv2d --------------------===//
//
// conv_grad_weight(x, dy) with the conv's attrs and `weight_shape`: the
// gradient of a convolution with respect to its weight, a correlation of
// the input with dy summed over the batch. Built only by the conv gradient
// rules.
//
//===----------------------------------------------------------------------===//
#include "ops/Conv/ConvCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferConvGradType(n, "weight_shape");
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerConvGradWeight(n, ctx);
}

// Ungrouped, dilation 1 (at a stride, over the phase planes), and depthwise
// at a stride of 1 along the width: a register tile of vector partial sums
// per output channels x kernel row (x input channels for a 1x1 kernel),
// the batch and positions outside it, lanes summed at the end (ConvTiles.h,
// ConvDepthwise.h). Otherwise partial sums vectorized along the last output
// position, scheduled by the lowering. Parallel over output channels.
static void schedule(const Node &n, Halide::Func &f, LowerContext &ctx) {
  scheduleConv(n, f, ctx);
}

// Second derivatives of convolution are not needed to train.
extern const OpInfo ConvGradWeightInfo = [] {
  OpInfo op;
  op.attrs = kConvGradWeightAttrs;
  op.inferType = inferType;
  op.noGradReason = "second derivatives of convolution are not supported";
  op.lower = lower;
  op.schedule = schedule;
  op.computeBound = true;
  op.flops = convFlops;
  op.form = DslForm::None;
  op.operandDoc = "x, dy";
  return op;
}();

} // namespace lamina
