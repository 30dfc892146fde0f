//===- BinaryCrossEntropy.cpp - cross-entropy of probabilities
//-------------===//
//
// binary_cross_entropy(p, t) = -1/N sum [t ln p + (1 - t) ln(1 - p)] over
// the N elements, with p probabilities (after a sigmoid) and t targets in
// [0, 1]. p is clamped to [eps, 1 - eps] (eps = 1e-7 for f32, 1e-12 for
// f64) so a saturated sigmoid gives a large finite loss, not inf or NaN.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/Loss/LossCommon.h"

namespace lamina {

static double epsFor(DType t) { return t == DType::F64 ? 1e-12 : 1e-7; }

static Expected<TensorType> inferType(const Node &n) {
  return inferPairType(n, "binary_cross_entropy");
}

// With q = clamp(p, eps, 1 - eps):
//   dL/dp = (q - t) / (q (1 - q)) / N   (the clamp's zero slope outside the
//           range is ignored, so a saturated p still gets pushed back),
//   dL/dt = (ln(1 - q) - ln q) / N.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *p = &n.input(0), *t = &n.input(1);
  DType dt = p->dtype();
  double eps = epsFor(dt);
  // clamp(p, lo, hi) = -max(-max(p, lo), -hi), from the ops we have.
  Node *lo = g.make(OpKind::Maximum, {p, g.scalar(eps, dt)});
  Node *q =
      g.neg(g.make(OpKind::Maximum, {g.neg(lo), g.scalar(-(1.0 - eps), dt)}));
  Node *d = g.sub(q, t);
  Node *count = pairCount(g, n, d);
  Node *dl = g.outGrad(n);
  Node *gp = g.div(g.div(d, g.mul(q, g.sub(1.0, q))), count);
  g.accumulate(*p, g.mul(gp, dl));
  if (!isFloat(t->dtype()))
    return;
  // One node per statement: the order of argument evaluation, and so the
  // numbering of the dump, differs between compilers.
  Node *logQ = g.log(q);
  Node *gt = g.div(g.sub(g.log(g.sub(1.0, q)), logQ), count);
  g.accumulate(*t, g.mul(gt, dl));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  double eps = epsFor(n.dtype());
  Halide::Expr lo = ctx.constant(n, eps), hi = ctx.constant(n, 1.0 - eps);
  Halide::Expr one = ctx.constant(n, 1.0);
  return lowerPairMean(n, ctx, [=](Halide::Expr p, Halide::Expr t) {
    Halide::Expr q = Halide::clamp(p, lo, hi);
    return -(t * ieeeLog(q) + (one - t) * ieeeLog(one - q));
  });
}

extern const OpInfo BinaryCrossEntropyInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.operandDoc = "probabilities, targets";
  return op;
}();

} // namespace lamina
