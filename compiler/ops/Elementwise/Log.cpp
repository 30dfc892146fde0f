//===- Log.cpp - ln x -----------------------------------------------------===//
//
// log(x) = ln x elementwise, on floats: -inf at 0, nan below.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// d/dx ln x = 1 / x
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  g.accumulate(*x, g.div(g.outGrad(n), x));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [](Halide::Expr x) { return Halide::log(x); });
}

extern const OpInfo LogInfo = {"log",   1,     inferType, buildGradient,
                               nullptr, lower, nullptr};

} // namespace lamina
