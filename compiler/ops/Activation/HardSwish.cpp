//===- HardSwish.cpp - x clamp(x + 3, 0, 6) / 6 ---------------------------===//
//
// hard_swish(x) = x min(max(x + 3, 0), 6) / 6, MobileNetV3's piecewise
// swish, computed as PyTorch's hardswish does; NaN stays NaN.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// dy/dx = 0 below -3, x / 3 + 1/2 from -3 to 3, 1 above 3 (as PyTorch's
// hardswish_backward, which takes the middle piece at both ends).
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  Node *dy = g.outGrad(n);
  Node *slope = g.add(g.mul(x, 1.0 / 3.0), 0.5);
  Node *middle = g.mul(dy, slope);
  Node *low = g.greater(g.scalar(-3.0, x->dtype()), x);
  Node *belowHigh = g.select(low, g.scalar(0.0, x->dtype()), middle);
  Node *high = g.greater(x, 3.0);
  g.accumulate(*x, g.select(high, dy, belowHigh));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [](Halide::Expr x) {
    return Halide::select(Halide::is_nan(x), x, x * hardSigmoidOf(x));
  });
}

extern const OpInfo HardSwishInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
