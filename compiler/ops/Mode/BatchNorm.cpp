//===- BatchNorm.cpp - (x - mean) / sqrt(var + eps) per channel -----------===//
//
// batch_norm(x, mean, var) {eps, momentum}: x [batch, C, ...] normalized
// with the statistics of its channels (dim 1), mean and var [C]. In eval
// and predict they are the layer's running statistics (Params of role
// "buffer"). The train step (trainForm) normalizes with the batch's own
// mean and biased variance over every dim but 1, and updates the running
// ones as torch.nn.BatchNorm does:
//   running = (1 - momentum) running + momentum batch statistic,
// the variance unbiased (times n / (n - 1)); a batch of one value per
// channel leaves them as they were. The layer form batch_norm(x)
// (frontend) adds the affine weight and bias.
//
//===----------------------------------------------------------------------===//
#include "ops/ElementwiseCommon.h"
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  if (!isFloat(x.dtype) || x.shape.size() < 2 || x.shape[1] == kBatch)
    return typeError("'batch_norm' needs a float tensor [batch, channels, "
                     "...], got " +
                     typeToString(x));
  TensorType stats{x.dtype, {x.shape[1]}};
  for (unsigned i = 1; i < 3; ++i)
    if (n.input(i).type() != stats)
      return typeError(std::string("'batch_norm' needs its ") +
                       (i == 1 ? "mean" : "variance") + " as " +
                       typeToString(stats) + " for " + typeToString(x) +
                       ", got " + typeToString(n.input(i).type()));
  if (!(floatAttrOf(n, "eps") > 0.0))
    return typeError("'batch_norm' needs a positive eps");
  return x;
}

/// Every dim of x but the channels.
static std::vector<int64_t> otherAxes(const Node &x) {
  std::vector<int64_t> axes;
  for (unsigned d = 0; d < x.rank(); ++d)
    if (d != 1)
      axes.push_back(d);
  return axes;
}

/// A [C] statistic shaped [C, 1, ..] to broadcast against x [batch, C, ..].
static Node *perChannel(NodeMaker &b, Node *s, const Node &x) {
  if (x.rank() == 2)
    return s;
  Shape shape(x.rank() - 1, 1);
  shape[0] = x.shape()[1];
  return b.reshape(s, shape);
}

// With r = 1 / sqrt(var + eps) and y = (x - mean) r:
//   dx = dy r,  dmean = -sum(dy) r,  dvar = -1/2 sum(dy (x - mean)) r^3,
// the sums over every dim but the channels.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0), *mean = &n.input(1), *var = &n.input(2);
  Node *dy = g.outGrad(n);
  std::vector<int64_t> axes = otherAxes(*x);
  Node *shifted = g.add(var, floatAttrOf(n, "eps"));
  Node *root = g.make(OpKind::Sqrt, {shifted});
  Node *r = g.div(g.scalar(1.0, x->dtype()), root);
  Node *rc = perChannel(g, r, *x);
  g.accumulate(*x, g.mul(dy, rc));
  Node *dySum = g.sum(dy, axes, false);
  g.accumulate(*mean, g.neg(g.mul(dySum, r)));
  Node *centered = g.sub(x, perChannel(g, mean, *x));
  Node *dyCentered = g.sum(g.mul(dy, centered), axes, false);
  Node *r3 = g.mul(g.mul(r, r), r);
  g.accumulate(*var, g.mul(g.mul(dyCentered, r3), -0.5));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  Halide::Expr x = ctx.read(n, 0, LowerContext::exprs(v));
  Halide::Expr mean = ctx.read(n, 1, {v[1]});
  Halide::Expr var = ctx.read(n, 2, {v[1]});
  Halide::Expr eps = ctx.constant(n, floatAttrOf(n, "eps"));
  LowerContext::define(f, v, (x - mean) / Halide::sqrt(var + eps));
  return f;
}

// The train step: the batch's statistics, and the running ones updated.
static Node *trainForm(const Node &n, const std::vector<Node *> &ins,
                       TrainFormBuilder &b) {
  Node *x = ins[0];
  std::vector<int64_t> axes = otherAxes(*x);
  Attrs reduce = {{"axes", axes}, {"keepdims", int64_t(0)}};
  Node *mean = b.make(OpKind::Mean, {x}, reduce);
  Node *centered = b.sub(x, perChannel(b, mean, *x));
  Node *square = b.mul(centered, centered);
  Node *var = b.make(OpKind::Mean, {square}, reduce);
  Node *y = b.make(OpKind::BatchNorm, {x, mean, var}, n.attrs());
  double m = floatAttrOf(n, "momentum");
  // n / (n - 1); a batch of one value per channel (n = 1, where torch
  // raises an error) leaves the running statistics as they were.
  Node *count = b.count(x, axes);
  Node *several = b.greater(count, 1.0);
  Node *less = b.add(count, -1.0);
  Node *divisor = b.make(OpKind::Maximum, {less, b.scalar(1.0, x->dtype())});
  Node *unbiased = b.mul(var, b.div(count, divisor));
  const std::pair<Node *, Node *> running[] = {{ins[1], mean},
                                               {ins[2], unbiased}};
  for (auto [leaf, batchStat] : running) {
    if (leaf->kind() != OpKind::Param || !leaf->hasAttr("role") ||
        leaf->strAttr("role") != "buffer")
      continue;
    Node *kept = b.mul(leaf, 1.0 - m);
    Node *added = b.mul(batchStat, m);
    b.updateBuffer(leaf, b.select(several, b.add(kept, added), leaf));
  }
  return y;
}

static constexpr AttrSpec kAttrs[] = {
    {"eps", AttrType::Float, "1e-05", "added to the variance"},
    {"momentum", AttrType::Float, "0.1",
     "the weight of a batch's statistics in the running ones"},
};

extern const OpInfo BatchNormInfo = [] {
  OpInfo op;
  op.attrs = kAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.trainForm = trainForm;
  op.lower = lower;
  op.fusible = true;
  op.form = DslForm::Layer;
  op.operandDoc = "x";
  return op;
}();

} // namespace lamina
