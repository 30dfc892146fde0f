//===- Sign.cpp - -1, 0 or 1 ----------------------------------------------===//
//
// sign(x) = 1 for x > 0, -1 for x < 0, 0 for 0 (and for nan), on floats or i32.
// Gradient rules use it (d|x|/dx = sign x); it has no gradient of its own.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryAny(n);
}

// No gradient: sign is piecewise constant.
static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [&](Halide::Expr x) {
    Halide::Expr zero = ctx.constant(n, 0);
    // x itself where it is neither above nor below 0: NaN stays NaN and
    // -0 stays -0, as in torch.sign.
    return Halide::select(x > zero, ctx.constant(n, 1), x < zero,
                          ctx.constant(n, -1), x);
  });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n, [](double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x; });
}

extern const OpInfo SignInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.noGradReason =
      "sign has zero gradient almost everywhere; use it only on constants";
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
