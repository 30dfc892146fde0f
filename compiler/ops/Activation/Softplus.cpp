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
  // neither overflows for large x nor loses x to rounding. An f32 input is
  // computed in f64 and rounded once: Halide's f32 log(1 + e) loses the
  // small e (softplus(-30) would be 0, not 9.4e-14).
  return lowerUnary(n, ctx, [&](Halide::Expr x) {
    Halide::Expr d = Halide::cast<double>(x), zero(0.0), one(1.0);
    Halide::Expr pos = Halide::select(Halide::is_nan(d) || d > zero, d, zero);
    Halide::Expr r = pos + Halide::log(one + Halide::exp(-Halide::abs(d)));
    return Halide::cast(x.type(), r);
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
  op.fusible = true;
  return op;
}();

} // namespace lamina
