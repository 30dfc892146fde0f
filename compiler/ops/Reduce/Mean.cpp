//===- Mean.cpp - mean over axes
//-------------------------------------------===//
//
// mean(x, axes, keepdims) = sum(x, axes, keepdims) / count(x, axes). A mean
// over the batch axis divides by the run-time batch.
//
//===----------------------------------------------------------------------===//
#include "ops/FoldCommon.h"
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  if (!isFloat(x.dtype))
    return typeError("'mean' needs a float tensor, got " + typeToString(x));
  std::optional<std::vector<int64_t>> axes = reduceAxes(n);
  if (!axes)
    return typeError("'mean' axes " + axesToString(n) + " out of range for " +
                     shapeToString(x.shape));
  return TensorType{x.dtype, reduceShape(x.shape, *axes, keepDims(n))};
}

// y = sum_{axes} x / N with N = count(x, axes)
//   =>  dL/dx = broadcast(dL/dy) / N.
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  std::vector<int64_t> axes = *reduceAxes(n);
  Node *dy = expandReduced(g, g.outGrad(n), x->shape(), axes);
  g.accumulate(*x, g.div(dy, g.count(x, axes)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<Halide::Expr> out = LowerContext::exprs(v);
  std::vector<int64_t> axes = *reduceAxes(n);
  const Shape &in = n.input(0).shape();
  ReduceIndex ri =
      reduceIndex(in, axes, keepDims(n), out, ctx, ctx.name(n) + "_r");
  if (!ri.dom) {
    LowerContext::define(f, v, ctx.read(n, 0, ri.idx));
    return f;
  }
  LowerContext::define(f, v, ctx.constant(n, 0));
  at(f, out) += ctx.read(n, 0, ri.idx);
  at(f, out) = at(f, out) / ctx.cast(n, ctx.count(in, axes));
  return f;
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldReduce(n, FoldReduce::Mean);
}

extern const OpInfo MeanInfo = [] {
  OpInfo op;
  op.attrs = kReduceAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  return op;
}();

} // namespace lamina
