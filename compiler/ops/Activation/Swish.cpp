//===- Swish.cpp - x sigmoid(beta x) --------------------------------------===//
//
// swish(x, beta) = x sigmoid(beta x); attribute beta (default 1.0). beta = 1
// is SiLU; large beta approaches relu.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/FoldCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferUnaryFloat(n);
}

static double betaOf(const Node &n) { return floatAttrOf(n, "beta"); }

// y = x s with s = sigmoid(b x), and ds/dx = b s (1 - s):
//   dy/dx = s + b x s (1 - s) = s + b y (1 - s)
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  Node *y = const_cast<Node *>(&n);
  double beta = betaOf(n);
  Node *s = g.sigmoid(g.mul(x, beta));
  // One node per statement: the order of argument evaluation, and so the
  // numbering of the dump, differs between compilers.
  Node *oneMinusS = g.sub(1.0, s);
  Node *betaY = g.mul(y, beta);
  Node *dydx = g.add(s, g.mul(betaY, oneMinusS));
  g.accumulate(*x, g.mul(g.outGrad(n), dydx));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  return lowerUnary(n, ctx, [&](Halide::Expr x) {
    return x * stableSigmoid(ctx.constant(n, betaOf(n)) * x);
  });
}

static constexpr AttrSpec kAttrs[] = {
    {"beta", AttrType::Float, "1.0", "the slope of the sigmoid gate"},
};

static std::optional<FoldValues> fold(const Node &n) {
  return foldUnary(n,
                   [b = betaOf(n)](double x) { return x * sigmoidOf(b * x); });
}

extern const OpInfo SwishInfo = [] {
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
