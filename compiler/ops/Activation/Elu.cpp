//===- Elu.cpp - x > 0 ? x : alpha (e^x - 1) ------------------------------===//
//
// elu(x, alpha) = x > 0 ? x : alpha (e^x - 1), the exponential linear unit;
// attribute alpha (default 1.0) is the value it tends to at -inf (negated).
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

static double alphaOf(const Node &n) { return n.floatAttrOr("alpha", 1.0); }

// y = elu(x):  dy/dx = x > 0 ? 1 : alpha e^x = y + alpha (below 0)
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  Node *y = const_cast<Node *>(&n);
  Node *dy = g.outGrad(n);
  // One node per statement: the order of argument evaluation, and so the
  // numbering of the dump, differs between compilers.
  Node *scaled = g.mul(dy, g.add(y, alphaOf(n)));
  Node *positive = g.greater(x, 0.0);
  g.accumulate(*x, g.select(positive, dy, scaled));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [&](Halide::Expr x) {
    Halide::Expr zero = ctx.constant(n, 0);
    // Both arms are evaluated; min keeps e^x finite where x is selected.
    Halide::Expr below =
        ctx.constant(n, alphaOf(n)) *
        (Halide::exp(Halide::min(x, zero)) - ctx.constant(n, 1));
    return Halide::select(x > zero, x, below);
  });
}

extern const OpInfo EluInfo = {"elu",   1,     inferType, buildGradient,
                               nullptr, lower, nullptr};

} // namespace lamina
