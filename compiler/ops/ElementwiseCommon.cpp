//===- ElementwiseCommon.cpp - Helpers shared by elementwise ops ----------===//
#include "ops/ElementwiseCommon.h"

#include <limits>

namespace lamina {

static std::string quotedName(const Node &n) {
  return std::string("'") + opName(n.kind()) + "'";
}

Expected<TensorType> inferUnaryFloat(const Node &n) {
  const TensorType &x = n.input(0).type();
  if (x.dtype == DType::I32)
    return Expected<TensorType>::error(
        quotedName(n) + " needs a float tensor, got " + typeToString(x));
  return x;
}

Expected<TensorType> inferUnaryAny(const Node &n) { return n.input(0).type(); }

Expected<TensorType> inferBinaryBroadcast(const Node &n) {
  const TensorType &a = n.input(0).type(), &b = n.input(1).type();
  if (a.dtype != b.dtype)
    return Expected<TensorType>::error(
        quotedName(n) + " operands have different types " + typeToString(a) +
        " and " + typeToString(b));
  std::optional<Shape> s = broadcastShapes(a.shape, b.shape);
  if (!s)
    return Expected<TensorType>::error(quotedName(n) + " cannot broadcast " +
                                       shapeToString(a.shape) + " and " +
                                       shapeToString(b.shape));
  return TensorType{a.dtype, *s};
}

Halide::Func lowerElementwise(const Node &n, LowerContext &ctx,
                              const ElementwiseFn &fn) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<Halide::Expr> idx = LowerContext::exprs(v);
  std::vector<Halide::Expr> operands;
  for (unsigned i = 0; i < n.numInputs(); ++i)
    operands.push_back(ctx.readBroadcast(n, i, idx));
  LowerContext::define(f, v, fn(operands));
  return f;
}

Halide::Func lowerUnary(const Node &n, LowerContext &ctx,
                        const std::function<Halide::Expr(Halide::Expr)> &fn) {
  return lowerElementwise(
      n, ctx, [&](const std::vector<Halide::Expr> &x) { return fn(x[0]); });
}

Halide::Func
lowerBinary(const Node &n, LowerContext &ctx,
            const std::function<Halide::Expr(Halide::Expr, Halide::Expr)> &fn) {
  return lowerElementwise(n, ctx, [&](const std::vector<Halide::Expr> &x) {
    return fn(x[0], x[1]);
  });
}

Halide::Expr ieeeExp(const Halide::Expr &x) {
  if (x.type() != Halide::Float(32))
    return Halide::exp(x);
  // The largest float whose e^x is finite in float.
  constexpr float kMaxArg = 88.72283935546875f;
  return Halide::select(Halide::is_nan(x), x, x > kMaxArg,
                        std::numeric_limits<float>::infinity(), Halide::exp(x));
}

Halide::Expr ieeeLog(const Halide::Expr &x) {
  if (x.type() != Halide::Float(32))
    return Halide::log(x);
  // ln x = ln(x 2^24) - 24 ln 2 brings a subnormal x into the normal range;
  // one log per element either way.
  constexpr float kScale = 16777216.0f, kLnScale = 16.635532333438687f;
  Halide::Expr tiny = x < std::numeric_limits<float>::min();
  Halide::Expr r = Halide::log(Halide::select(tiny, x * kScale, x)) -
                   Halide::select(tiny, kLnScale, 0.0f);
  return Halide::select(
      Halide::is_nan(x) || x == std::numeric_limits<float>::infinity(), x, r);
}

Halide::Expr stableSigmoid(const Halide::Expr &x) {
  Halide::Expr one = Halide::cast(x.type(), 1);
  Halide::Expr e = ieeeExp(-Halide::abs(x));
  Halide::Expr r = one / (one + e);
  return Halide::select(x >= Halide::cast(x.type(), 0), r, e * r);
}

Halide::Expr hardSigmoidOf(const Halide::Expr &x) {
  Halide::Type t = x.type();
  Halide::Expr six = Halide::cast(t, 6);
  return Halide::clamp(x + Halide::cast(t, 3), Halide::cast(t, 0), six) / six;
}

Halide::Expr erfF64(const Halide::Expr &x) {
  using Halide::Internal::make_const;
  const Halide::Type f64 = Halide::Float(64);
  constexpr int kTerms = 40;
  constexpr double kTwoOverSqrtPi = 1.1283791670955126;
  constexpr double kOneOverSqrtPi = 0.5641895835477563;
  Halide::Expr a = Halide::abs(x);
  Halide::Expr one = make_const(f64, 1.0);
  Halide::Expr gauss = Halide::exp(-(a * a));
  // The series, nested: x (1 + z/3 (1 + z/5 (1 + ...))) with z = 2 x^2.
  Halide::Expr z = a * a * make_const(f64, 2.0);
  Halide::Expr s = one;
  for (int n = kTerms; n >= 1; --n)
    s = one + z * make_const(f64, 1.0 / (2 * n + 1)) * s;
  Halide::Expr small = make_const(f64, kTwoOverSqrtPi) * gauss * a * s;
  // erfc a = e^-a^2 / sqrt(pi) / (a + 1/2 / (a + 1 / (a + 3/2 / (a + ..)))).
  // a is at least 2.5 where it is selected; clamping keeps the other lanes
  // free of divisions by 0.
  Halide::Expr c = Halide::max(a, make_const(f64, 2.5));
  Halide::Expr t = c;
  for (int k = kTerms; k >= 1; --k)
    t = c + make_const(f64, 0.5 * k) / t;
  Halide::Expr erfc = make_const(f64, kOneOverSqrtPi) * gauss / t;
  Halide::Expr big = Halide::select(a >= make_const(f64, 6.0), one, one - erfc);
  Halide::Expr r = Halide::select(a < make_const(f64, 2.5), small, big);
  return Halide::select(Halide::is_nan(x), x,
                        Halide::select(x < make_const(f64, 0.0), -r, r));
}

} // namespace lamina
