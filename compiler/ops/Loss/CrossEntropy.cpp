//===- CrossEntropy.cpp - softmax cross-entropy of logits
//------------------===//
//
// cross_entropy(z, t): z are logits [.., C]; t is either i32 class indices
// [..] or float class probabilities [.., C] (one-hot rows, say). Per sample
//   loss = sum_c t_c (lse(z) - z_c),   lse(z) = ln sum_c e^(z_c),
// which for a class index k is lse(z) - z_k; the result is the mean over
// the samples (every dim but the last). The logsumexp subtracts the max, so
// any logits are safe. A class index is clamped to [0, C) when read: it is
// data, so it cannot be checked when compiling, and it must never read out
// of bounds.
//
//===----------------------------------------------------------------------===//
#include "ops/Classify/SoftmaxCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &z = n.input(0).type(), &t = n.input(1).type();
  std::string both = shapeToString(z.shape) + " and " + shapeToString(t.shape);
  if (!isFloat(z.dtype) || z.rank() < 1)
    return typeError("'cross_entropy' needs float logits [.., classes], got " +
                     typeToString(z));
  Shape samples(z.shape.begin(), z.shape.end() - 1);
  if (t.dtype == DType::I32) {
    if (t.shape != samples)
      return typeError("'cross_entropy' class labels must have the logits' "
                       "shape without the class dim: logits and labels are " +
                       both);
    return TensorType{z.dtype, {}};
  }
  // Float targets of the labels' shape are class indices of the wrong type.
  if (t.shape == samples && t.shape != z.shape)
    return typeError("'cross_entropy' targets " + typeToString(t) +
                     " have the logits' shape without the class dim, as class "
                     "labels do, but labels must be i32: declare them as "
                     "'label NAME: i32" +
                     shapeToString(t.shape) +
                     ";' (or give probabilities of the logits' shape " +
                     shapeToString(z.shape) + ")");
  if (t.dtype != z.dtype)
    return typeError("'cross_entropy' target must be i32 labels or " +
                     std::string(dtypeName(z.dtype)) + " probabilities, got " +
                     typeToString(t));
  if (t.shape != z.shape)
    return typeError("'cross_entropy' target probabilities must have the "
                     "logits' shape: logits and target are " +
                     both);
  return TensorType{z.dtype, {}};
}

// With S samples, y = softmax(z) and s = sum_c t_c per sample:
//   dL/dz = (y s - t) / S, which is (y - onehot(k)) / S for a label k;
//   dL/dt = (lse(z) - z) / S = -log_softmax(z) / S (float targets only).
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *z = &n.input(0), *t = &n.input(1), *dl = g.outGrad(n);
  DType dt = z->dtype();
  int64_t classes = z->shape().back();
  Node *samples =
      z->rank() == 1 ? g.scalar(1.0, dt) : g.count(z, allAxes(z->rank() - 1));
  Node *scale = g.div(dl, samples);
  Node *y = g.softmax(z, -1);
  if (t->dtype() == DType::I32) {
    g.accumulate(*z, g.mul(g.sub(y, g.oneHot(t, classes, dt)), scale));
    return;
  }
  Node *s = g.sum(t, {-1}, true);
  g.accumulate(*z, g.mul(g.sub(g.mul(y, s), t), scale));
  Node *logp = g.make(OpKind::LogSoftmax, {z}, {{"axis", int64_t(-1)}});
  g.accumulate(*t, g.mul(g.neg(logp), scale));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  const Node &z = n.input(0), &t = n.input(1);
  int64_t axis = z.rank() - 1;
  SoftmaxParts p = softmaxParts(n, 0, axis, ctx);
  std::vector<Halide::Expr> s(p.v.begin(), p.v.end() - 1);
  std::vector<Halide::Var> sv(p.v.begin(), p.v.end() - 1);
  Halide::Expr lse =
      LowerContext::call(p.max, s) + ieeeLog(LowerContext::call(p.sumExp, s));
  // The loss of each sample.
  Halide::Func per(ctx.name(n) + "_sample");
  if (t.dtype() == DType::I32) {
    Halide::Expr k =
        Halide::clamp(ctx.read(n, 1, s), 0, ctx.extent(z.shape(), axis) - 1);
    std::vector<Halide::Expr> zi = s;
    zi.push_back(k);
    LowerContext::define(per, sv, lse - ctx.read(n, 0, zi));
  } else {
    Halide::RDom c(0, ctx.extent(z.shape(), axis), ctx.name(n) + "_c");
    std::vector<Halide::Expr> zi = s;
    zi.push_back(c);
    LowerContext::define(per, sv, ctx.constant(n, 0));
    at(per, s) += ctx.read(n, 1, zi) * (lse - ctx.read(n, 0, zi));
  }
  per.compute_root();
  Halide::Func f(ctx.name(n));
  if (s.empty()) {
    f() = per();
    return f;
  }
  Shape samples(z.shape().begin(), z.shape().end() - 1);
  ReduceIndex ri = fullReduceIndex(samples, ctx, ctx.name(n) + "_r");
  f() = ctx.constant(n, 0);
  f() += LowerContext::call(per, ri.idx);
  f() = f() / ctx.cast(n, ctx.count(samples, allAxes(samples.size())));
  return f;
}

// Labels of one dim less than the logits are class indices.
static int64_t labelClasses(const Node &n, unsigned i) {
  const Node &z = n.input(0);
  return i == 1 && z.rank() > n.input(1).rank() ? z.shape().back() : 0;
}

extern const OpInfo CrossEntropyInfo = [] {
  OpInfo op;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.labelClasses = labelClasses;
  op.lower = lower;
  op.operandDoc = "logits, i32 classes (or a distribution)";
  return op;
}();

} // namespace lamina
