//===- Conv1d.cpp - 1-D convolution (cross-correlation), NCW --------------===//
//
// conv1d(x [N, C, L], w [O, C/groups, K], b [O]) -> [N, O, OL]
// with OL = (L + left + right - d (K - 1) - 1) / s + 1, which must divide
// exactly. attrs: stride [s], padding [left, right] (zeros), dilation [d],
// groups. The notes (001) write y_t = sum_k w_k x_{t-k+1}, a true
// convolution: conv1d with the kernel reversed. See ConvCommon.h.
//
//===----------------------------------------------------------------------===//
#include "ops/Conv/ConvCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferConvType(n, 1, "conv1d");
}

// dx = conv_grad_input(dy, w), dw = conv_grad_weight(x, dy),
// db = sum(dy) over batch and length.
static void buildGradient(const Node &n, GradBuilder &g) {
  buildConvGradient(n, g);
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerConv(n, ctx, 1);
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
  return convUnreadWarning(n, 1, "conv1d");
}

extern const OpInfo Conv1dInfo = [] {
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
