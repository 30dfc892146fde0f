//===- Elu.cpp - x > 0 ? x : alpha (e^x - 1) ------------------------------===//
//
// elu(x, alpha) = x > 0 ? x : alpha (e^x - 1), the exponential linear unit;
// attribute alpha (default 1.0) is the value it tends to at -inf (negated).
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

#include <algorithm>
#include <cmath>

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

static double alphaOf(const Node &n) { return floatAttrOf(n, "alpha"); }

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
    // e^x - 1 in f64, rounded once: in f32 it would cancel (elu(-1e-12)
    // would be 0). min keeps e^x finite where x itself is selected.
    Halide::Expr d = Halide::cast<double>(x), zero(0.0), one(1.0);
    Halide::Expr alpha =
        Halide::Internal::make_const(Halide::Float(64), alphaOf(n));
    Halide::Expr below = Halide::cast(
        x.type(), alpha * (Halide::exp(Halide::min(d, zero)) - one));
    // NaN is selected as itself, as in torch.
    return Halide::select(Halide::is_nan(x) || x > ctx.constant(n, 0), x,
                          below);
  });
}

static constexpr AttrSpec kAttrs[] = {
    {"alpha", AttrType::Float, "1.0", "the value approached below 0 is -alpha"},
};

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n, [a = alphaOf(n)](double x) {
    return std::isnan(x) || x > 0 ? x : a * (std::exp(std::min(x, 0.0)) - 1.0);
  });
}

extern const OpInfo EluInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  op.fusible = true;
  return op;
}();

} // namespace lamina
