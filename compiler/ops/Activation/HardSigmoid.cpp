//===- HardSigmoid.cpp - clamp(x + 3, 0, 6) / 6 ---------------------------===//
//
// hard_sigmoid(x) = min(max(x + 3, 0), 6) / 6, the piecewise-linear sigmoid
// of MobileNetV3, computed as PyTorch's hardsigmoid does; NaN stays NaN.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// dy/dx = 1/6 strictly between -3 and 3, else 0 (as PyTorch).
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  Node *above = g.greater(x, -3.0);
  Node *below = g.greater(g.scalar(3.0, x->dtype()), x);
  Node *inside = g.mul(above, below);
  g.accumulate(*x, g.mul(g.mul(g.outGrad(n), inside), 1.0 / 6.0));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [](Halide::Expr x) {
    return Halide::select(Halide::is_nan(x), x, hardSigmoidOf(x));
  });
}

extern const OpInfo HardSigmoidInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
