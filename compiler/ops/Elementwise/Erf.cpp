//===- Erf.cpp - The error function ---------------------------------------===//
//
// erf(x) = 2/sqrt(pi) integral_0^x e^-t^2 dt, in (-1, 1). Computed in f64 by
// erfF64 (ElementwiseCommon.h) and rounded once to x's type: Halide 14's own
// erf is f32 only.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// d/dx erf x = 2/sqrt(pi) e^-x^2
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  Node *gauss = g.exp(g.neg(g.mul(x, x)));
  Node *slope = g.mul(gauss, 1.1283791670955126);
  g.accumulate(*x, g.mul(g.outGrad(n), slope));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [](Halide::Expr x) {
    return Halide::cast(x.type(), erfF64(Halide::cast<double>(x)));
  });
}

extern const OpInfo ErfInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
