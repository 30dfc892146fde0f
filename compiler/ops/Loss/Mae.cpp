//===- Mae.cpp - mean absolute error
//---------------------------------------===//
//
// mae(y, t) = 1/N sum |y - t| over the N elements of the compared shape.
//
//===----------------------------------------------------------------------===//
#include "ops/Loss/LossCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPairType(n, "mae");
}

// dL/dy = sign(y - t) / N (0 where y == t),  dL/dt = -dL/dy.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *d = g.sub(&n.input(0), &n.input(1));
  accumulatePair(g, n, g.div(g.sign(d), pairCount(g, n, d)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerPairMean(n, ctx, [](Halide::Expr y, Halide::Expr t) {
    return Halide::abs(y - t);
  });
}

extern const OpInfo MaeInfo = {"mae",   2,     inferType, buildGradient,
                               nullptr, lower, nullptr};

} // namespace lamina
