//===- BinaryCrossEntropyWithLogits.cpp - cross-entropy of logits ---------===//
//
// binary_cross_entropy_with_logits(z, t) = 1/N sum [max(z, 0) - z t
// + ln(1 + e^-|z|)] over the N elements: binary_cross_entropy of sigmoid(z)
// and t, computed without forming sigmoid(z), so it neither saturates nor
// overflows (torch.nn.functional.binary_cross_entropy_with_logits).
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/Loss/LossCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  return inferPairType(n, "binary_cross_entropy_with_logits");
}

//   dL/dz = (sigmoid(z) - t) / N,   dL/dt = -z / N.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *z = &n.input(0), *t = &n.input(1);
  Node *d = g.sub(g.make(OpKind::Sigmoid, {z}), t);
  Node *count = pairCount(g, n, d);
  Node *dl = g.outGrad(n);
  g.accumulate(*z, g.mul(g.div(d, count), dl));
  if (!isFloat(t->dtype()))
    return;
  Node *gt = g.div(g.neg(z), count);
  g.accumulate(*t, g.mul(gt, dl));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Expr zero = ctx.constant(n, 0.0), one = ctx.constant(n, 1.0);
  return lowerPairMean(n, ctx, [=](Halide::Expr z, Halide::Expr t) {
    return Halide::max(z, zero) - z * t +
           ieeeLog(one + ieeeExp(-Halide::abs(z)));
  });
}

extern const OpInfo BinaryCrossEntropyWithLogitsInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.lower = lower;
  op.operandDoc = "logits, targets";
  return op;
}();

} // namespace lamina
