//===- SoftmaxCommon.h - The max and sum of exps along an axis ------------===//
#ifndef LAMINA_OPS_CLASSIFY_SOFTMAXCOMMON_H
#define LAMINA_OPS_CLASSIFY_SOFTMAXCOMMON_H

#include "ops/ElementwiseCommon.h"
#include "ops/ReduceCommon.h"

namespace lamina {

/// The pieces of a numerically stable softmax of input `i` of n along
/// `axis`: max(v) = max_a x, sumExp(v) = sum_a exp(x - max), both indexed by
/// the Vars of x minus the axis, and shifted = x - max at x's Vars `v`.
struct SoftmaxParts {
  std::vector<Halide::Var> v;
  Halide::Func max, sumExp;
  Halide::Expr shifted;
};

/// Builds the parts of softmax along `axis` for input `i` of n. max and
/// sumExp are compute_root: each is read once per element of x.
inline SoftmaxParts softmaxParts(const Node &n, unsigned i, int64_t axis,
                                 LowerContext &ctx) {
  SoftmaxParts p;
  const Shape &in = n.input(i).shape();
  p.v = LowerContext::vars(static_cast<unsigned>(in.size()));
  std::vector<Halide::Var> rest;
  for (size_t d = 0; d < in.size(); ++d)
    if (static_cast<int64_t>(d) != axis)
      rest.push_back(p.v[d]);
  std::vector<Halide::Expr> restE = LowerContext::exprs(rest);
  ReduceIndex ri =
      reduceIndex(in, {axis}, false, restE, ctx, ctx.name(n) + "_r");
  p.max = Halide::Func(ctx.name(n) + "_max");
  p.sumExp = Halide::Func(ctx.name(n) + "_sumexp");
  Halide::Type t = LowerContext::halideType(n.input(i).dtype());
  LowerContext::define(p.max, rest, t.min());
  at(p.max, restE) = Halide::max(at(p.max, restE), ctx.read(n, i, ri.idx));
  LowerContext::define(p.sumExp, rest, Halide::cast(t, 0));
  at(p.sumExp, restE) +=
      ieeeExp(ctx.read(n, i, ri.idx) - LowerContext::call(p.max, restE));
  p.max.compute_root();
  p.sumExp.compute_root();
  p.shifted = ctx.read(n, i, LowerContext::exprs(p.v)) -
              LowerContext::call(p.max, restE);
  return p;
}

} // namespace lamina

#endif // LAMINA_OPS_CLASSIFY_SOFTMAXCOMMON_H
