//===- ConvGradInput.cpp - dL/dx of conv1d and conv2d ---------------------===//
//
// conv_grad_input(dy, w) with the conv's attrs and `input_shape`: the
// gradient of a convolution with respect to its input (a transposed
// convolution). Built only by the conv gradient rules.
//
//===----------------------------------------------------------------------===//
#include "ops/Conv/ConvCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferConvGradType(n, "input_shape");
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerConvGradInput(n, ctx);
}

// Ungrouped, dilation 1: the forward conv's register tiles over dy with the
// flipped kernel, or a scatter from dy's side where dy's padding is under
// half the kernel (ConvTiles.h); at a stride, per phase plane of dx.
// Depthwise at stride 1: one chain of FMAs per element (ConvDepthwise.h).
// Otherwise the direct loops, vectors along the input width. One parallel
// task per sample.
static void schedule(const Node &n, Halide::Func &f, LowerContext &ctx) {
  scheduleConv(n, f, ctx);
}

// Second derivatives of convolution are not needed to train.
extern const OpInfo ConvGradInputInfo = [] {
  OpInfo op;
  op.attrs = kConvGradInputAttrs;
  op.inferType = inferType;
  op.noGradReason = "second derivatives of convolution are not supported";
  op.lower = lower;
  op.schedule = schedule;
  op.computeBound = true;
  op.flops = convFlops;
  op.tilesEpilogue = true;
  op.form = DslForm::None;
  op.operandDoc = "dy, W";
  return op;
}();

} // namespace lamina
