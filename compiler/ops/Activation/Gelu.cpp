//===- Gelu.cpp - x Phi(x), the Gaussian error linear unit ----------------===//
//
// gelu(x) = x Phi(x) = x/2 (1 + erf(x / sqrt 2)), Phi the standard normal
// CDF; with approximate = tanh, x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
// both as PyTorch's F.gelu computes them. Computed in f64 and rounded once.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static constexpr double kSqrtHalf = 0.70710678118654752440;
static constexpr double kSqrtTwoOverPi = 0.79788456080286535588;
static constexpr double kOneOverSqrtTwoPi = 0.39894228040143267794;
static constexpr double kCubic = 0.044715;

static bool tanhForm(const Node &n) {
  return n.hasAttr("approximate") && n.strAttr("approximate") == "tanh";
}

static Expected<TensorType> inferType(const Node &n) {
  if (n.hasAttr("approximate")) {
    const std::string &a = n.strAttr("approximate");
    if (a != "none" && a != "tanh")
      return Expected<TensorType>::error(
          "'gelu' approximate must be none or tanh, got '" + a + "'");
  }
  return inferUnaryFloat(n);
}

// erf form:  dy/dx = Phi(x) + x phi(x), phi(x) = e^(-x^2/2) / sqrt(2 pi).
// tanh form: with u = sqrt(2/pi) (x + c x^3) and t = tanh u,
//            dy/dx = (1 + t)/2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 c x^2).
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  Node *x2 = g.mul(x, x);
  Node *slope = nullptr;
  if (tanhForm(n)) {
    Node *x3 = g.mul(x2, x);
    Node *inner = g.add(x, g.mul(x3, kCubic));
    Node *t = g.make(OpKind::Tanh, {g.mul(inner, kSqrtTwoOverPi)});
    Node *half = g.mul(g.add(t, 1.0), 0.5);
    Node *sech2 = g.sub(1.0, g.mul(t, t));
    Node *du = g.mul(g.add(g.mul(x2, 3 * kCubic), 1.0), kSqrtTwoOverPi);
    Node *tail = g.mul(g.mul(g.mul(x, 0.5), sech2), du);
    slope = g.add(half, tail);
  } else {
    Node *e = g.make(OpKind::Erf, {g.mul(x, kSqrtHalf)});
    Node *cdf = g.mul(g.add(e, 1.0), 0.5);
    Node *pdf = g.mul(g.exp(g.mul(x2, -0.5)), kOneOverSqrtTwoPi);
    slope = g.add(cdf, g.mul(x, pdf));
  }
  g.accumulate(*x, g.mul(g.outGrad(n), slope));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  bool approx = tanhForm(n);
  return lowerUnary(n, ctx, [approx](Halide::Expr x) {
    using Halide::Internal::make_const;
    const Halide::Type f64 = Halide::Float(64);
    Halide::Expr d = Halide::cast<double>(x);
    Halide::Expr one = make_const(f64, 1.0), half = make_const(f64, 0.5);
    Halide::Expr gate;
    if (approx) {
      Halide::Expr inner = d + make_const(f64, kCubic) * d * d * d;
      gate = one + Halide::tanh(make_const(f64, kSqrtTwoOverPi) * inner);
    } else {
      gate = one + erfF64(d * make_const(f64, kSqrtHalf));
    }
    return Halide::cast(x.type(), d * half * gate);
  });
}

static constexpr AttrSpec kAttrs[] = {
    {"approximate", AttrType::String, "none",
     "none (the erf form) or tanh (PyTorch's approximate='tanh')"},
};

extern const OpInfo GeluInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
