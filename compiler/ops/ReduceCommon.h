//===- ReduceCommon.h - Helpers shared by reductions, softmax and losses --===//
//
// Reductions (sum, mean, reduce_max, count), the ops that reduce along one
// axis (softmax, log_softmax, argmax) and the losses and metrics all pick
// reduced axes, build the shape that remains and index their input with a
// Halide RDom. The helpers here do that once. Everything is in logical
// (row-major) order; LowerContext reverses it for Halide.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_REDUCECOMMON_H
#define LAMINA_OPS_REDUCECOMMON_H

#include "lamina/Lower.h"
#include "lamina/OpInfo.h"

#include <optional>
#include <string>
#include <vector>

namespace lamina {

/// A type-rule error result.
inline Expected<TensorType> typeError(std::string msg) {
  return Expected<TensorType>::error(std::move(msg));
}

/// Orders the loops of update `u` of `f` as: the innermost pure dim (the
/// one vectorized), then the update's reduction variables, then the other
/// pure dims, so each reduction step works on a whole vector of outputs.
inline void reorderReductionInsideVector(Halide::Func &f, int u) {
  std::vector<Halide::Var> args = f.args();
  std::vector<Halide::VarOrRVar> order{args[0]};
  for (const Halide::Internal::ReductionVariable &rv :
       f.function().update(u).schedule().rvars())
    order.push_back(Halide::RVar(rv.var));
  for (size_t d = 1; d < args.size(); ++d)
    order.push_back(args[d]);
  f.update(u).reorder(order);
}

/// The widest power-of-two vector of at least 4 lanes that fits both
/// `extent` and n's vector width (for a pure Func whose last vector shifts
/// inwards); call only with extent >= 4.
inline int widestPow2Vector(const Node &n, int64_t extent,
                            const LowerContext &ctx) {
  int w = 4;
  while (w * 2 <= std::min<int64_t>(extent, ctx.vectorWidth(n)))
    w *= 2;
  return w;
}

/// The offsets of a window (a pooling window, a kernel's taps) in row-major
/// order, one list per element: {{0, 0}, {0, 1}, {1, 0}, {1, 1}} for 2x2.
inline std::vector<std::vector<int>>
rowMajorOffsets(const std::vector<int64_t> &extents) {
  std::vector<std::vector<int>> all{{}};
  for (int64_t e : extents) {
    std::vector<std::vector<int>> next;
    for (const std::vector<int> &prefix : all)
      for (int k = 0; k < e; ++k) {
        next.push_back(prefix);
        next.back().push_back(k);
      }
    all = std::move(next);
  }
  return all;
}

/// True for f32 and f64.
inline bool isFloat(DType t) { return t != DType::I32; }

/// `f` at logical indices, for update definitions: `at(f, i) += e`.
inline Halide::FuncRef at(Halide::Func &f,
                          const std::vector<Halide::Expr> &idx) {
  std::vector<Halide::Expr> rev(idx.rbegin(), idx.rend());
  return f(rev);
}

/// The axes attribute of `n` (empty: all) normalized against input 0's rank;
/// nullopt if one is out of range.
inline std::optional<std::vector<int64_t>> reduceAxes(const Node &n) {
  std::vector<int64_t> axes;
  if (n.hasAttr("axes"))
    axes = n.intsAttr("axes");
  return normalizeAxes(axes, n.input(0).rank());
}

/// The attributes of sum, mean and reduce_max.
inline constexpr AttrSpec kReduceAttrs[] = {
    {"axes", AttrType::Ints, "[]", "the dims reduced (all by default)", "axis"},
    {"keepdims", AttrType::Bool, "false", "keep the reduced dims with size 1"},
};

/// The axes attribute of `n` as written, for error messages: "[0, -1]".
inline std::string axesToString(const Node &n) {
  if (!n.hasAttr("axes"))
    return "[]";
  std::string s = "[";
  for (int64_t a : n.intsAttr("axes"))
    s += (s.size() > 1 ? ", " : "") + std::to_string(a);
  return s + "]";
}

/// The keepdims attribute of `n` (default false).
inline bool keepDims(const Node &n) { return intAttrOf(n, "keepdims") != 0; }

/// `s` with `axes` (sorted) removed, or set to 1 when `keepdims`.
inline Shape reduceShape(const Shape &s, const std::vector<int64_t> &axes,
                         bool keepdims) {
  Shape out;
  size_t k = 0;
  for (size_t d = 0; d < s.size(); ++d) {
    bool reduced = k < axes.size() && axes[k] == static_cast<int64_t>(d);
    if (reduced)
      ++k;
    if (!reduced)
      out.push_back(s[d]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

/// The single axis attribute of `n` (default -1) normalized against input
/// 0's rank; nullopt if out of range.
inline std::optional<int64_t> singleAxis(const Node &n) {
  int64_t axis = intAttrOf(n, "axis");
  int64_t rank = n.input(0).rank();
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return std::nullopt;
  return axis;
}

/// The input indices of a reduction: the output's Vars at the kept dims and
/// the RDom's variables at the reduced dims. `dom` is unset when nothing is
/// reduced (a rank-0 input).
struct ReduceIndex {
  std::optional<Halide::RDom> dom;
  std::vector<Halide::Expr> idx;
};

/// Builds the RDom over `axes` (sorted) of `in` and the input indices for an
/// output indexed by `out` (which has the reduced dims removed, or kept with
/// extent 1 when `keepdims`). The RDom's innermost dimension is the last
/// reduced logical axis, so the reduction walks memory contiguously.
inline ReduceIndex reduceIndex(const Shape &in,
                               const std::vector<int64_t> &axes, bool keepdims,
                               const std::vector<Halide::Expr> &out,
                               const LowerContext &ctx,
                               const std::string &name) {
  ReduceIndex ri;
  if (!axes.empty()) {
    Halide::Region region;
    for (size_t k = axes.size(); k-- > 0;)
      region.emplace_back(0, ctx.extent(in, static_cast<unsigned>(axes[k])));
    ri.dom = Halide::RDom(region, name);
  }
  size_t k = 0, o = 0;
  for (size_t d = 0; d < in.size(); ++d) {
    if (k < axes.size() && axes[k] == static_cast<int64_t>(d)) {
      ri.idx.push_back((*ri.dom)[static_cast<int>(axes.size() - 1 - k)]);
      ++k;
      if (keepdims)
        ++o;
      continue;
    }
    ri.idx.push_back(out.at(o++));
  }
  return ri;
}

/// `idx` (indices of `full`) mapped to indices of `in`, which broadcasts to
/// `full` by numpy rules: leading dims dropped, size-1 dims pinned to 0.
inline std::vector<Halide::Expr>
broadcastIndex(const Shape &in, const Shape &full,
               const std::vector<Halide::Expr> &idx) {
  size_t lead = full.size() - in.size();
  std::vector<Halide::Expr> sub;
  for (size_t d = 0; d < in.size(); ++d) {
    bool pinned = in[d] == 1 && full[lead + d] != 1;
    sub.push_back(pinned ? Halide::Expr(0) : idx[lead + d]);
  }
  return sub;
}

/// The axes 0 .. rank-1.
inline std::vector<int64_t> allAxes(size_t rank) {
  std::vector<int64_t> all;
  for (size_t d = 0; d < rank; ++d)
    all.push_back(static_cast<int64_t>(d));
  return all;
}

/// An RDom over every element of `s` (innermost: the last logical dim) and
/// its variables as logical indices. `dom` is unset for a rank-0 shape.
inline ReduceIndex fullReduceIndex(const Shape &s, const LowerContext &ctx,
                                   const std::string &name) {
  return reduceIndex(s, allAxes(s.size()), false, {}, ctx, name);
}

/// Builds `y` (a reduction of a tensor of shape `in` over `axes`) back up to
/// `in`: reshaped to the keepdims shape, then broadcast.
inline Node *expandReduced(GradBuilder &g, Node *y, const Shape &in,
                           const std::vector<int64_t> &axes) {
  Shape kept = reduceShape(in, axes, true);
  if (y->shape() != kept && y->rank() != 0)
    y = g.reshape(y, kept);
  if (y->shape() == in)
    return y;
  return g.broadcastTo(y, in);
}

} // namespace lamina

#endif // LAMINA_OPS_REDUCECOMMON_H
