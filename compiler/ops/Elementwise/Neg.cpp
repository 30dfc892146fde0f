//===- Neg.cpp - -x -------------------------------------------------------===//
//
// neg(x) = -x elementwise, on floats or i32.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryAny(n);
}

// d/dx (-x) = -1
static void buildGradient(const Node &n, GradBuilder &g) {
  g.accumulate(n.input(0), g.neg(g.outGrad(n)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [](Halide::Expr x) { return -x; });
}

extern const OpInfo NegInfo = {"neg",   1,     inferType, buildGradient,
                               nullptr, lower, nullptr};

} // namespace lamina
