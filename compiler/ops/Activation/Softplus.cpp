//===- Softplus.cpp - ln(1 + e^x) -----------------------------------------===//
//
// softplus(x) = ln(1 + e^x), a smooth relu; always positive.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

#include <cmath>

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

// d/dx ln(1 + e^x) = e^x / (1 + e^x) = sigmoid(x)
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  g.accumulate(*x, g.mul(g.outGrad(n), g.sigmoid(x)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  // ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|): e^-|x| is at most 1, so this
  // neither overflows for large x nor loses x to rounding.
  return lowerUnary(n, ctx, [&](Halide::Expr x) {
    Halide::Expr one = ctx.constant(n, 1);
    return Halide::max(x, ctx.constant(n, 0)) +
           Halide::log(one + Halide::exp(-Halide::abs(x)));
  });
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n, [](double x) {
    return (std::isnan(x) || x > 0 ? x : 0.0) +
           std::log(1.0 + std::exp(-std::fabs(x)));
  });
}

extern const OpInfo SoftplusInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  return op;
}();

} // namespace lamina
