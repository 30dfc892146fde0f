//===- Conv2d.cpp - 2-D convolution (cross-correlation), NCHW -------------===//
//
// conv2d(x [N, C, H, W], w [O, C/groups, KH, KW], b [O]) -> [N, O, OH, OW]
// with OH = (H + top + bottom - dh (KH - 1) - 1) / sh + 1, which must divide
// exactly (the notes: a 3x3 kernel with stride 3 does not fit a 7x7 input).
// attrs: stride [sh, sw], padding [top, left, bottom, right] (zeros),
// dilation [dh, dw], groups. See ConvCommon.h for the lowering.
//
//===----------------------------------------------------------------------===//
#include "ops/Conv/ConvCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferConvType(n, 2, "conv2d");
}

// dx = conv_grad_input(dy, w), dw = conv_grad_weight(x, dy),
// db = sum(dy) over batch, height and width.
static void buildGradient(const Node &n, GradBuilder &g) {
  buildConvGradient(n, g);
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerConv(n, ctx, 2);
}

// Ungrouped, dilation 1: register tiles of output channels x flat
// positions, the (c, kh, kw) reduction outside them, with the epilogue
// (relu) applied as the tiles are copied out (ConvTiles.h); at a stride,
// the same over phase planes. Depthwise: one chain of FMAs per output in a
// register (ConvDepthwise.h). Otherwise the direct loops, vectors along
// the output width. One parallel task per sample.
static void schedule(const Node &n, Halide::Func &f, LowerContext &ctx) {
  scheduleConv(n, f, ctx);
}

static std::string warning(const Node &n) {
  return convUnreadWarning(n, 2, "conv2d");
}

extern const OpInfo Conv2dInfo = [] {
  OpInfo op;
  op.attrs = kConvAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.warning = warning;
  op.lower = lower;
  op.schedule = schedule;
  op.computeBound = true;
  op.flops = convFlops;
  op.tilesEpilogue = true;
  op.form = DslForm::Layer;
  op.operandDoc = "x, out channels (or W [, b])";
  return op;
}();

} // namespace lamina
