//===- ReduceMax.cpp - max over axes
//---------------------------------------===//
//
// reduce_max(x, axes, keepdims): the largest element over `axes` (empty:
// every axis); reduced dims dropped or kept with extent 1.
//
//===----------------------------------------------------------------------===//
#include "ops/FoldCommon.h"
#include "ops/ReduceCommon.h"

namespace lamina {

static Expected<TensorType> inferType(const Node &n) {
  const TensorType &x = n.input(0).type();
  if (!isFloat(x.dtype))
    return typeError("'reduce_max' needs a float tensor, got " +
                     typeToString(x));
  std::optional<std::vector<int64_t>> axes = reduceAxes(n);
  if (!axes)
    return typeError("'reduce_max' axes " + axesToString(n) +
                     " out of range for " + shapeToString(x.shape));
  return TensorType{x.dtype, reduceShape(x.shape, *axes, keepDims(n))};
}

// y = max_{axes} x  =>  dL/dx = dL/dy where x == y, else 0. Equality is
// built from greater: eq = 1 - (x > y) - (y > x). Tied maxima each get the
// full gradient (a subgradient choice; ties are measure-zero for real data).
static void buildGradient(const Node &n, GradBuilder &g) {
  Node *x = &n.input(0);
  std::vector<int64_t> axes = *reduceAxes(n);
  Node *y = expandReduced(g, const_cast<Node *>(&n), x->shape(), axes);
  Node *dy = expandReduced(g, g.outGrad(n), x->shape(), axes);
  // One node per statement: the order of argument evaluation, and so the
  // numbering of the dump, differs between compilers.
  Node *yWins = g.greater(y, x);
  Node *eq = g.sub(g.sub(1.0, g.greater(x, y)), yWins);
  g.accumulate(*x, g.mul(eq, dy));
}

static Halide::Func lower(const Node &n, LowerContext &ctx) {
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<Halide::Expr> out = LowerContext::exprs(v);
  ReduceIndex ri = reduceIndex(n.input(0).shape(), *reduceAxes(n), keepDims(n),
                               out, ctx, ctx.name(n) + "_r");
  if (!ri.dom) {
    LowerContext::define(f, v, ctx.read(n, 0, ri.idx));
    return f;
  }
  LowerContext::define(f, v, ctx.type(n).min());
  // Not Halide::max, which keeps the later operand of a NaN comparison and
  // so drops a NaN seen earlier: a NaN anywhere gives NaN, as torch.amax.
  Halide::Expr acc = at(f, out), x = ctx.read(n, 0, ri.idx);
  // Each NaN test is explicit: Halide may rewrite acc >= x as !(acc < x),
  // which holds for a NaN x.
  at(f, out) = Halide::select(Halide::is_nan(acc), acc, Halide::is_nan(x), x,
                              acc >= x, acc, x);
  return f;
}

static std::optional<FoldValues> fold(const Node &n) {
  return foldReduce(n, FoldReduce::Max);
}

extern const OpInfo ReduceMaxInfo = [] {
  OpInfo op;
  op.attrs = kReduceAttrs;
  op.inferType = inferType;
  op.buildGradient = buildGradient;
  op.fold = fold;
  op.lower = lower;
  return op;
}();

} // namespace lamina
