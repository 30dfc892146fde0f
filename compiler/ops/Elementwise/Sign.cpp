//===- Sign.cpp - -1, 0 or 1 ----------------------------------------------===//
//
// sign(x) = 1 for x > 0, -1 for x < 0, 0 for 0 (and for nan), on floats or i32.
// Gradient rules use it (d|x|/dx = sign x); it has no gradient of its own.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryAny(n);
}

// No gradient: sign is piecewise constant.
static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [&](Halide::Expr x) {
    Halide::Expr zero = ctx.constant(n, 0);
    return Halide::select(x > zero, ctx.constant(n, 1),
                          Halide::select(x < zero, ctx.constant(n, -1), zero));
  });
}

extern const OpInfo SignInfo = {
    "sign",
    1,
    inferType,
    nullptr,
    "sign has zero gradient almost everywhere; use it only on constants",
    lower,
    nullptr};

} // namespace lamina
