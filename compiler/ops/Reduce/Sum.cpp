//===- Sum.cpp - sum over axes
//---------------------------------------------===//
//
// sum(x, axes, keepdims): adds x over `axes` (empty: every axis). The reduced
// dims are dropped, or kept with extent 1 when keepdims is 1. Summing over
// the batch axis sums over the run-time batch.
//
//===----------------------------------------------------------------------===//
#include "ops/FoldCommon.h"
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  std::optional<std::vector<int64_t>> axes = reduceAxes(n);
  if (!axes)
    return typeError("'sum' axes " + axesToString(n) + " out of range for " +
                     shapeToString(x.shape));
  return TensorType{x.dtype, reduceShape(x.shape, *axes, keepDims(n))};
}

// y = sum_{axes} x  =>  dL/dx = broadcast(dL/dy) over the reduced axes.
static void buildGradient(const Node &n, GradBuilder &g) {
  const Node &x = n.input(0);
  g.accumulate(x, expandReduced(g, g.outGrad(n), x.shape(), *reduceAxes(n)));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<int64_t> axes = *reduceAxes(n);
  ReduceIndex ri = reduceIndex(n.input(0).shape(), axes, keepDims(n),
                               LowerContext::exprs(v), ctx, ctx.name(n) + "_r");
  if (!ri.dom) {
    LowerContext::define(f, v, ctx.read(n, 0, ri.idx));
    return f;
  }
  LowerContext::define(f, v, ctx.constant(n, 0));
  at(f, LowerContext::exprs(v)) += ctx.read(n, 0, ri.idx);
  return f;
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldReduce(n, FoldReduce::Sum);
}

extern const OpInfo SumInfo = [] {
  OpInfo op;
  op.attrs = kReduceAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  return op;
}();

} // namespace lamina
