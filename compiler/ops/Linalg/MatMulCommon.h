//===- MatMulCommon.h - Lowering, schedule and gradients of x @ W ---------===//
//
// matmul and dense share one lowering: out[.., i, j] = init[j] +
// sum_k a[.., i, k] * w[k, j], with init the bias of dense or 0, and one
// register-tiled schedule.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_LINALG_MATMULCOMMON_H
#define LAMINA_OPS_LINALG_MATMULCOMMON_H

#include "ops/ReduceCommon.h"

namespace lamina {

/// a @ w (+ bias) for node n whose inputs are a (0), w (1) and, when
/// `withBias`, the bias (2). a is [.., m, k] or [k]; w is [k, n]. Reads of a
/// row or a column whose extent is the run-time batch are clamped, so that
/// the register tiles of scheduleMatMul may compute past the edge without
/// reading out of bounds (those results are never stored). When a is the
/// transpose of a matrix x (as in the weight gradient x^T @ dy), x is read
/// directly: a is only read as scalars, and a[i..i+3, k] are adjacent in x.
inline bool readsTransposed(const Node &an) {
  return an.kind() == OpKind::Transpose && an.rank() == 2 &&
         (!an.hasAttr("perm") ||
          an.intsAttr("perm") == std::vector<int64_t>{1, 0});
}

/// OpInfo::readsThrough of matmul and dense: x for an operand transpose(x).
inline const Node *matMulReadsThrough(const Node &n, unsigned i) {
  return i == 0 && readsTransposed(n.input(0)) ? &n.input(0).input(0) : nullptr;
}

inline Halide::Func lowerMatMul(const Node &n, LowerContext &ctx,
                                bool withBias) {
  Halide::Func f(ctx.name(n) + "_sum");
  std::vector<Halide::Var> v = ctx.vars(n);
  const Node &an = n.input(0);
  const Shape &a = an.shape(), &w = n.input(1).shape();
  Halide::RDom k(0, ctx.extent(a, a.size() - 1), ctx.name(n) + "_k");
  Halide::Expr col = v.back();
  if (w[1] == kBatch)
    col = Halide::clamp(col, 0, ctx.extent(w, 1) - 1);
  std::vector<Halide::Expr> ai(v.begin(), v.end() - 1);
  if (a.size() >= 2 && a[a.size() - 2] == kBatch)
    ai.back() = Halide::clamp(ai.back(), 0, ctx.extent(a, a.size() - 2) - 1);
  ai.push_back(k);
  Halide::Expr aval;
  if (readsTransposed(an))
    aval = LowerContext::call(ctx.funcOf(an.input(0)), {ai[1], ai[0]});
  else
    aval = ctx.read(n, 0, ai);
  LowerContext::define(f, v,
                       withBias ? ctx.read(n, 2, {col}) : ctx.constant(n, 0));
  at(f, LowerContext::exprs(v)) += aval * ctx.read(n, 1, {k, col});
  // The result reads the sum: the schedule computes the sum in register
  // tiles inside the result's tiles, and the result may be a kernel's
  // output buffer.
  ctx.setReduction(n, f);
  Halide::Func out(ctx.name(n));
  LowerContext::define(out, v, LowerContext::call(f, LowerContext::exprs(v)));
  return out;
}

/// OpInfo::flops of matmul and dense: a multiply-add per result element
/// and step of the inner dim.
inline double matMulFlops(const Node &n, int64_t batch) {
  const Shape &a = n.input(0).shape();
  int64_t k = a.back() == kBatch ? batch : a.back();
  return 2.0 * static_cast<double>(numElements(n.shape(), batch)) *
         static_cast<double>(k);
}

/// The size of w above which matmul's column tiles are its outer loop: a
/// core's L2 cache (1 MiB on the AMD EPYC of our benchmarks, 1.25-2 MiB on
/// recent Intel cores).
inline constexpr int64_t kMatMulPanelBytes = 1 << 20;

/// Computes the result of lowerMatMul in register tiles of 2 vectors of
/// columns by 4 rows: `out` (n's result, or its epilogue, see
/// OpInfo::tilesEpilogue) is computed at root, split into tiles; each tile
/// of its sum f is computed at the tile with the k loop outside the fully
/// unrolled tile, so the accumulators stay in registers; w is read as
/// contiguous vectors and a as broadcast scalars. Static extents use
/// ShiftInwards tails (tiles never exceed them); the run-time batch uses
/// GuardWithIf, made safe by the clamped reads. The tiles of a row run
/// along the columns, w streamed once per tile of rows; where w is larger
/// than a core's L2 cache (VGG's 2048 x 256 dense), the columns are the
/// outer loop instead, so each panel of w stays in cache for every row.
inline void scheduleMatMul(const Node &n, Halide::Func &out,
                           LowerContext &ctx) {
  Halide::Func f = ctx.reductionOf(n);
  const Shape &s = n.shape();
  unsigned rank = n.rank();
  int vw = ctx.vectorWidth(n);
  int64_t cols = s.back();
  int tj = cols == kBatch   ? 2 * vw
           : cols >= 2 * vw ? 2 * vw
           : cols >= vw     ? vw
                            : static_cast<int>(cols);
  int vec = std::min(vw, tj);
  bool vectorize = vec >= 4;
  bool hasRow = rank >= 2;
  int64_t rows = hasRow ? s[rank - 2] : 1;
  int ti = rows == kBatch ? 4 : static_cast<int>(std::min<int64_t>(rows, 4));
  auto tail = [](int64_t extent) {
    return extent == kBatch ? Halide::TailStrategy::GuardWithIf
                            : Halide::TailStrategy::ShiftInwards;
  };

  const Shape &a = n.input(0).shape();
  int64_t colTiles = cols == kBatch ? 0 : (cols + tj - 1) / tj;
  bool panels = rank == 2 && hasRow && a.back() != kBatch && colTiles >= 4 &&
                a.back() * cols * static_cast<int64_t>(dtypeSize(n.dtype())) >
                    kMatMulPanelBytes;
  std::vector<Halide::Var> args = out.args();
  Halide::Var j = args[0], jo("jo"), ji("ji"), io("io"), ii("ii");
  out.compute_root().split(j, jo, ji, tj, tail(cols));
  if (hasRow)
    out.split(args[1], io, ii, ti, tail(rows))
        .reorder(ji, ii, panels ? io : jo, panels ? jo : io)
        .unroll(ii);
  if (vectorize)
    out.vectorize(ji, vec).unroll(ji);
  if (rank > 2 && ctx.parallel(n))
    out.parallel(args.back());
  else if (panels && ctx.parallel(n, colTiles))
    out.parallel(jo);
  else if (!panels && hasRow &&
           ctx.parallel(n, rows == kBatch ? kBatch : (rows + ti - 1) / ti))
    out.parallel(io);

  std::vector<Halide::Var> fa = f.args();
  f.compute_at(out, panels ? io : jo);
  // A tile at the run-time batch's edge computes fewer rows (GuardWithIf),
  // which would make the accumulator's size dynamic: a heap allocation per
  // tile, in memory. Its storage is the full tile, so it is a fixed-size
  // stack array that LLVM keeps in registers.
  f.bound_storage(fa[0], tj);
  if (hasRow)
    f.bound_storage(fa[1], ti);
  if (vectorize)
    f.vectorize(fa[0], vec);
  if (hasRow)
    f.unroll(fa[1]);
  Halide::Stage u = f.update(0);
  Halide::RVar k(f.function().update(0).schedule().rvars().at(0).var);
  if (hasRow)
    u.reorder(fa[0], fa[1], k);
  else
    u.reorder(fa[0], k);
  if (vectorize)
    u.vectorize(fa[0], vec).unroll(fa[0]);
  if (hasRow)
    u.unroll(fa[1]);
}

/// dL/dw for y = a @ w with dy = dL/dy: a^T @ dy, summed over a's leading
/// dims. A rank-2 a uses a materialized transpose and a matmul; other ranks
/// (the leading dims may hold the batch, which a reshape cannot merge with
/// others) form the outer products a[.., k, 1] * dy[.., 1, n] and sum them.
inline Node *weightGradient(GradBuilder &g, Node *a, Node *dy) {
  if (a->rank() == 2)
    return g.matmul(g.transposeLast2(a), dy);
  Shape as = a->shape(), ds = dy->shape();
  as.push_back(1);
  ds.insert(ds.end() - 1, 1);
  // One node per statement: the order of argument evaluation, and so the
  // numbering of the dump, differs between compilers.
  Node *dyRow = g.reshape(dy, ds);
  Node *outer = g.mul(g.reshape(a, as), dyRow);
  std::vector<int64_t> lead;
  for (unsigned d = 0; d + 2 < outer->rank(); ++d)
    lead.push_back(d);
  return lead.empty() ? outer : g.sum(outer, lead, false);
}

} // namespace lamina

#endif // LAMINA_OPS_LINALG_MATMULCOMMON_H
