//===- ConvTiles.h - Register-tiled convolutions on flat rows -------------===//
//
// A stride-1, dilation-1, ungrouped correlation is computed on "flat rows":
// the zero-padded input is stored with a row pitch Wp = OW + KW - 1, so the
// output at p = h Wp + w reads the input at p + kh Wp + kw for tap (kh, kw).
// The output positions of one sample are then one contiguous range
// [0, P), P = (OH - 1) Wp + OW (the columns w >= OW of each row are
// computed and dropped), and every tap reads whole vectors of it.
//
// The forward pass and the gradient with respect to the input (a
// correlation of dy with the flipped kernel) compute a register tile of
// output channels x vectors of positions (chooseFlatTile, e.g. 8 x 3 within
// AVX-512's registers), the reduction over (c, kh, kw) outside the unrolled
// tile: each step is 3 vector loads of the input, 8 broadcast weights and
// 24 FMAs into accumulators that never leave the registers. The tiles of a
// sample's flat rows are stored for a tile of channels at a time and copied
// into the output (with any epilogue: bias is the accumulators' initial
// value, relu or a mask is applied at the copy).
//
// Where dy's padding is under half the kernel, most taps of that
// correlation read dy's zero padding; dL/dx is then a scatter from dy's
// side (scatterGradInput): per tap, a register tile of input channels x
// vectors of dy's flat positions summed over the output channels, added
// into the flat rows of the full correlation, from which dx is copied.
//
// The gradient with respect to the weight, dw[o, c, kh, kw] = sum over the
// batch and p of x_flat[p + kh Wp + kw] dy_flat[p], keeps one vector of
// partial sums over p per (o, kw) of a tile of output channels x the whole
// kernel row, the reduction over the batch and p outside it, and sums the
// lanes at the end. dy_flat holds zeros at the dropped columns.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_CONV_CONVTILES_H
#define LAMINA_OPS_CONV_CONVTILES_H

#include "ops/ReduceCommon.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lamina {

/// The geometry of a stride-1 correlation in the flat layout. For one
/// spatial dim, rows and kRows are 1 and top is 0.
struct FlatGeometry {
  unsigned spatial = 2;
  int64_t rows = 1, cols = 1;   // output extents OH, OW
  int64_t kRows = 1, kCols = 1; // kernel extents KH, KW
  int64_t top = 0, left = 0;    // zeros before the input; may be negative
  int64_t pitch() const { return cols + kCols - 1; }
  /// The flat positions a sample's outputs span.
  int64_t positions() const { return (rows - 1) * pitch() + cols; }
};

/// ceil(a / b) for b > 0.
inline int64_t ceilDiv(int64_t a, int64_t b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/// Flat rows f(q, c, b) of input `in` of n, zero until an update copies
/// rows in: stored per call, vectors along q, parallel over the batch.
inline Halide::Func zeroFlatRows(const Node &n, const Node &in,
                                 const std::string &name, LowerContext &ctx) {
  Halide::Var q("q"), c("c"), b("b");
  Halide::Func f(name);
  f(q, c, b) = Halide::cast(ctx.type(in), 0);
  f.compute_root().vectorize(q, ctx.vectorWidth(n),
                             Halide::TailStrategy::GuardWithIf);
  if (ctx.parallel(n, in.shape()[0]))
    f.parallel(b);
  return f;
}

/// The schedule of the update of flat rows f(q, c, b) that copies rows of
/// `width` columns over RDom r (columns r.x, rows r.y): vectors along the
/// columns, parallel over the batch if `par`. The lanes of a vector are
/// consecutive columns of one row, stored at consecutive flat positions, so
/// no two lanes race (Halide cannot prove it for a store index computed
/// from RVars).
inline void scheduleRowCopy(Halide::Func &f, const Halide::RDom &r,
                            int64_t width, int vw, bool par) {
  std::vector<Halide::Var> a = f.args(); // q, c, b
  Halide::Stage copy = f.update(0);
  copy.reorder(r.x, r.y, a[1], a[2]);
  int cw = width >= vw ? vw : width >= 8 ? 8 : width >= 4 ? 4 : 0;
  if (cw)
    copy.allow_race_conditions().vectorize(r.x, cw,
                                           Halide::TailStrategy::GuardWithIf);
  if (par)
    copy.parallel(a[2]);
}

/// In[b, c, q / Wp - top, q % Wp - left] as f(q, c, b) (Halide order), zero
/// outside In's logical extents; In is input `i` of `n`. Stored per call:
/// zeros, then each input row copied to its place with vector loads
/// (reading In at q / Wp and q % Wp would gather lane by lane).
inline Halide::Func flatInput(const Node &n, unsigned i, const FlatGeometry &g,
                              LowerContext &ctx) {
  const Node &in = n.input(i);
  const Shape &s = in.shape();
  int64_t pitch = g.pitch(), cols = s.back();
  int64_t rows = g.spatial == 2 ? s[2] : 1;
  // The input columns and rows that land inside the flat rows.
  int64_t c0 = std::max<int64_t>(0, -g.left);
  int64_t c1 = std::min<int64_t>(cols, pitch - g.left);
  int64_t r0 = std::max<int64_t>(0, -g.top);
  Halide::Func f =
      zeroFlatRows(n, in, ctx.name(n) + "_flat" + std::to_string(i), ctx);
  Halide::Var c = f.args()[1], b = f.args()[2];
  int vw = ctx.vectorWidth(n);
  bool par = ctx.parallel(n, s[0]);
  if (c1 <= c0 || rows <= r0)
    return f;
  Halide::RDom r({{static_cast<int>(c0), static_cast<int>(c1 - c0)},
                  {static_cast<int>(r0), static_cast<int>(rows - r0)}},
                 ctx.name(n) + "_rows" + std::to_string(i));
  std::vector<Halide::Expr> idx{b, c};
  if (g.spatial == 2)
    idx.push_back(r.y);
  idx.push_back(r.x);
  Halide::Expr at = (r.y + static_cast<int>(g.top)) * static_cast<int>(pitch) +
                    r.x + static_cast<int>(g.left);
  f(at, c, b) = LowerContext::call(ctx.input(n, i), idx);
  scheduleRowCopy(f, r, c1 - c0, vw, par);
  return f;
}

/// The weight of a flat correlation: w(o, c, kh, kw) in logical order
/// (kh is 0 for one spatial dim).
using FlatWeight = std::function<Halide::Expr(Halide::Expr, Halide::Expr,
                                              Halide::Expr, Halide::Expr)>;

/// out[b, o, h, w] = init(o) + sum_{c < channels, kh, kw}
///   src[b, c, h + kh - top, w + kw - left] weight(o, c, kh, kw)
/// for node n, src its input 0 (or `src`, flat rows of `channels`
/// channels: the phase planes of a strided conv), as a pure Func reading
/// the flat sum
/// (recorded with setReduction for scheduleFlatCorrelation). `init` may
/// use the Var `o`.
inline Halide::Func
lowerFlatCorrelation(const Node &n, LowerContext &ctx, const FlatGeometry &g,
                     int64_t channels, const FlatWeight &weight,
                     const Halide::Expr &init, const Halide::Var &o,
                     Halide::Func src = Halide::Func()) {
  if (!src.defined())
    src = flatInput(n, 0, g, ctx);
  Halide::RDom r({{0, static_cast<int>(g.kCols)},
                  {0, static_cast<int>(g.kRows)},
                  {0, static_cast<int>(channels)}},
                 ctx.name(n) + "_r");
  Halide::Var p("p"), b("b");
  Halide::Func sum(ctx.name(n) + "_sum");
  sum(p, o, b) = init;
  Halide::Expr kh = g.spatial == 2 ? Halide::Expr(r.y) : Halide::Expr(0);
  sum(p, o, b) += src(p + r.y * static_cast<int>(g.pitch()) + r.x, r.z, b) *
                  weight(o, r.z, kh, r.x);
  ctx.setReduction(n, sum);
  std::vector<Halide::Var> v = ctx.vars(n);
  Halide::Expr pos = v.back();
  if (g.spatial == 2)
    pos = v[2] * static_cast<int>(g.pitch()) + v[3];
  Halide::Func out(ctx.name(n));
  LowerContext::define(out, v, sum(pos, v[1], v[0]));
  return out;
}

/// The accumulator registers of a register tile: 24 of AVX-512's 32 vector
/// registers, 12 of AVX2's 16 (the rest hold the loaded operands).
inline int64_t accumulatorBudget(const Halide::Target &t) {
  return t.has_feature(Halide::Target::AVX512) ? 24 : 12;
}

/// A register tile of a flat correlation: output channels x vectors of
/// flat positions.
struct FlatTile {
  int channels = 1, vectors = 1;
};

/// The tile that computes the fewest values for `channels` output channels
/// over `positions` flat positions (tiles at an edge are shifted inwards and
/// overlap), counting each step's loads (one per vector and per channel)
/// as half an FMA each; within the accumulator budget.
inline FlatTile chooseFlatTile(int64_t positions, int64_t channels, int vw,
                               const Halide::Target &t) {
  int64_t budget = accumulatorBudget(t);
  FlatTile best;
  double bestCost = -1;
  for (int64_t to = 1; to <= std::min<int64_t>(channels, 8); ++to)
    for (int64_t nv = 1; to * nv <= budget && nv * vw <= positions; ++nv) {
      int64_t span = nv * vw;
      double work = static_cast<double>((channels + to - 1) / to * to) *
                    static_cast<double>((positions + span - 1) / span * span);
      double cost = work * (1 + 0.5 / static_cast<double>(to) +
                            0.5 / static_cast<double>(nv));
      if (bestCost < 0 || cost < bestCost) {
        bestCost = cost;
        best = {static_cast<int>(to), static_cast<int>(nv)};
      }
    }
  return best;
}

/// Computes the flat correlation of anchor n into `out` (n's result or its
/// epilogue, [b, o, rows.., cols]): per sample and 4 output channels, the
/// flat rows in register tiles (see the file comment), then the copy.
/// The loops of `out` ([b, o, rows.., cols], n's result or its epilogue's)
/// when its values come from flat rows computed per sample and tile of `to`
/// output channels: per sample (parallel), per tile of channels, the copy
/// vectorized along the columns. Returns the loop of the tiles, where the
/// flat rows are computed.
inline Halide::Var scheduleFlatCopy(const Node &n, Halide::Func &out,
                                    LowerContext &ctx, int to) {
  int vw = ctx.vectorWidth(n);
  std::vector<Halide::Var> a = out.args(); // w, (h), o, b
  size_t od = a.size() - 2;
  Halide::Var oo("oo"), oi("oi");
  out.compute_root().split(a[od], oo, oi, to,
                           Halide::TailStrategy::ShiftInwards);
  std::vector<Halide::VarOrRVar> order(a.begin(), a.begin() + od);
  order.push_back(oi);
  order.push_back(oo);
  order.push_back(a.back());
  out.reorder(order);
  int64_t cols = n.shape().back();
  int copyWidth = cols >= vw ? vw : cols >= 8 ? 8 : cols >= 4 ? 4 : 0;
  if (copyWidth)
    out.vectorize(a[0], copyWidth, Halide::TailStrategy::GuardWithIf);
  if (ctx.parallel(n))
    out.parallel(a.back());
  return oo;
}

inline void scheduleFlatCorrelation(const Node &n, Halide::Func &out,
                                    LowerContext &ctx, const FlatGeometry &g,
                                    int planes = 1) {
  Halide::Func sum = ctx.reductionOf(n);
  int vw = ctx.vectorWidth(n);
  // With `planes` flat channels per channel of out (the phase planes of a
  // strided conv's dL/dx), the tile holds whole channels' planes.
  FlatTile t =
      chooseFlatTile(g.positions(), n.shape()[1] * planes, vw, ctx.target());
  int to = std::max(1, t.channels / planes);
  int vectors = std::clamp(
      static_cast<int>(accumulatorBudget(ctx.target()) / (to * planes)), 1,
      t.vectors);
  int tile = vectors * vw;
  const auto shift = Halide::TailStrategy::ShiftInwards;
  Halide::Var oo = scheduleFlatCopy(n, out, ctx, to);

  // The flat rows of `to` channels of one sample, computed tile by tile.
  Halide::Func rowsOf = sum.in();
  std::vector<Halide::Var> fa = rowsOf.args(); // p, o, b
  Halide::Var po("po"), pi("pi");
  rowsOf.compute_at(out, oo)
      .split(fa[0], po, pi, tile, shift)
      .reorder(pi, fa[1], po)
      .vectorize(pi, vw)
      .unroll(pi)
      .unroll(fa[1]);

  std::vector<Halide::Var> sa = sum.args();
  sum.compute_at(rowsOf, po)
      .bound_storage(sa[0], tile)
      .bound_storage(sa[1], to * planes)
      .vectorize(sa[0], vw)
      .unroll(sa[0])
      .unroll(sa[1]);
  std::vector<Halide::VarOrRVar> uorder{sa[0], sa[1]};
  for (const Halide::Internal::ReductionVariable &rv :
       sum.function().update(0).schedule().rvars())
    uorder.push_back(Halide::RVar(rv.var));
  uorder.push_back(sa[2]);
  sum.update(0).reorder(uorder).vectorize(sa[0], vw).unroll(sa[0]).unroll(
      sa[1]);
}

/// dL/dx of a stride-1 convolution as a scatter, read from dy's side: dy's
/// flat rows at pitch Wp = OW + KW - 1 (top and left 0), and per tap
/// (kh, kw) and tile of positions p the sums over o of w[o, c, kh, kw]
/// dy_flat[o, p] (a register tile of input channels x vectors of p, the
/// reduction over o outside it) added into the "full" flat rows at
/// p + kh Wp + kw; full holds OH + KH - 1 rows of Wp, of which dx is the
/// part from row and column `before` (the forward conv's padding). The
/// correlation over dy padded by K - 1 - before (scheduleFlatCorrelation)
/// reads zeros on those rows and columns; without padding, as in LeNet-5's
/// conv2 (dy 10x10, dx 14x14, 5x5), that is 60% of its multiply-adds.
struct ScatterGeometry {
  FlatGeometry dy; // dy's flat rows: rows, cols of dy; the kernel
  FlatTile tile;   // input channels x vectors of dy's positions
  int64_t tiles = 1;
  int64_t before = 0, beforeCols = 0; // the forward conv's padding
};

/// The scatter form of conv_grad_input node n, whose flat correlation is
/// `g`, when it computes a fifth fewer values counting its additions into
/// full.
inline std::optional<ScatterGeometry>
scatterGradInput(const Node &n, LowerContext &ctx, const FlatGeometry &g) {
  const Shape &dys = n.input(0).shape();
  ScatterGeometry sg;
  sg.dy.spatial = g.spatial;
  sg.dy.cols = dys.back();
  sg.dy.kCols = g.kCols;
  sg.dy.kRows = g.kRows;
  if (g.spatial == 2)
    sg.dy.rows = dys[2];
  sg.before = g.kRows - 1 - g.top;
  sg.beforeCols = g.kCols - 1 - g.left;
  int vw = ctx.vectorWidth(n);
  int64_t channels = n.shape()[1], outChannels = dys[1];
  if (sg.dy.positions() < vw)
    return std::nullopt;
  sg.tile = chooseFlatTile(sg.dy.positions(), channels, vw, ctx.target());
  int64_t span = sg.tile.vectors * vw;
  sg.tiles = (sg.dy.positions() + span - 1) / span;
  FlatTile ct = chooseFlatTile(g.positions(), channels, vw, ctx.target());
  int64_t cspan = ct.vectors * vw;
  auto work = [&](int64_t positions, int64_t to) {
    return static_cast<double>(positions) *
           static_cast<double>((channels + to - 1) / to * to);
  };
  double scatter = work(sg.tiles * span, sg.tile.channels) *
                   (1 + 1.5 / static_cast<double>(outChannels));
  double correlation =
      work((g.positions() + cspan - 1) / cspan * cspan, ct.channels);
  if (scatter > 0.8 * correlation)
    return std::nullopt;
  return sg;
}

/// The scatter form's dx for node n (dy input 0, w input 1) as a pure Func
/// reading full; full and its tiles are scheduled here, its place in the
/// result's loops by scheduleScatterGradInput.
inline Halide::Func lowerScatterGradInput(const Node &n, LowerContext &ctx,
                                          const ScatterGeometry &sg) {
  const FlatGeometry &d = sg.dy;
  int vw = ctx.vectorWidth(n);
  int span = sg.tile.vectors * vw, to = sg.tile.channels;
  int pitch = static_cast<int>(d.pitch());
  Halide::Func dyf = flatInput(n, 0, d, ctx);
  Halide::Var p("p"), c("c"), kh("kh"), kw("kw"), b("b"), q("q");
  Halide::RDom ro(0, static_cast<int>(n.input(0).shape()[1]),
                  ctx.name(n) + "_o");
  Halide::Expr w = n.rank() == 3 ? ctx.read(n, 1, {ro, c, kw})
                                 : ctx.read(n, 1, {ro, c, kh, kw});
  Halide::Func col(ctx.name(n) + "_col");
  col(p, c, kh, kw, b) = ctx.constant(n, 0);
  col(p, c, kh, kw, b) += w * dyf(p, ro, b);
  Halide::RDom r({{0, static_cast<int>(sg.tiles * span)},
                  {0, static_cast<int>(d.kCols)},
                  {0, static_cast<int>(d.kRows)}},
                 ctx.name(n) + "_taps");
  Halide::Func full(ctx.name(n) + "_full");
  full(q, c, b) = ctx.constant(n, 0);
  full(r.x + r.z * pitch + r.y, c, b) += col(r.x, c, r.z, r.y, b);
  ctx.setReduction(n, full);

  full.vectorize(q, vw, Halide::TailStrategy::GuardWithIf);
  Halide::RVar po("po"), pi("pi");
  // The lanes of a vector add into distinct positions of full.
  full.update(0)
      .allow_race_conditions()
      .split(r.x, po, pi, span)
      .reorder(pi, c, po, r.y, r.z, b)
      .vectorize(pi, vw)
      .unroll(pi)
      .unroll(c);
  std::vector<Halide::Var> ca = col.args(); // p, c, kh, kw, b
  col.compute_at(full, po)
      .bound_storage(ca[0], span)
      .bound_storage(ca[1], to)
      .vectorize(ca[0], vw)
      .unroll(ca[0])
      .unroll(ca[1]);
  col.update(0)
      .reorder(ca[0], ca[1], Halide::RVar(ro), ca[2], ca[3], ca[4])
      .vectorize(ca[0], vw)
      .unroll(ca[0])
      .unroll(ca[1]);

  std::vector<Halide::Var> v = ctx.vars(n); // b, c, (h), w
  Halide::Expr at = v.back() + static_cast<int>(sg.beforeCols);
  if (d.spatial == 2)
    at += (v[2] + static_cast<int>(sg.before)) * pitch;
  Halide::Func out(ctx.name(n));
  LowerContext::define(out, v, full(at, v[1], v[0]));
  return out;
}

/// Computes lowerScatterGradInput's result into `out` (n's or its
/// epilogue's): per sample and tile of input channels, full, then the copy.
inline void scheduleScatterGradInput(const Node &n, Halide::Func &out,
                                     LowerContext &ctx,
                                     const ScatterGeometry &sg) {
  Halide::Var oo = scheduleFlatCopy(n, out, ctx, sg.tile.channels);
  ctx.reductionOf(n).compute_at(out, oo);
}

/// A register tile of a weight gradient: output channels x input channels
/// x a kernel row of taps.
struct GradWeightTile {
  int outChannels = 1, inChannels = 1;
};

/// The tile of the weight gradient with `kCols` taps per kernel row over
/// `outChannels` x `inChannels` that computes the fewest values (edge tiles
/// overlap), counting each step's loads (a vector of dy per output channel,
/// one of x per input channel and tap) as half an FMA each; within the
/// accumulator budget. Several input channels only for a 1x1 kernel,
/// whose taps share no dy load: 4 x 6 there (10 loads for 24 FMAs rather
/// than 25), where wider kernels measured slower with them (ResNet-20's
/// 3x3 tiles of 4 x 2 channels: 46 GFLOP/s against 52 for 8 x 1).
inline GradWeightTile chooseGradWeightTile(const Halide::Target &t,
                                           int64_t kCols, int64_t outChannels,
                                           int64_t inChannels) {
  int64_t budget = accumulatorBudget(t);
  GradWeightTile best;
  double bestCost = -1;
  for (int64_t to = 1; to <= std::min(outChannels, budget / kCols); ++to)
    for (int64_t tc = 1;
         tc <= (kCols == 1 ? std::min(inChannels, budget / to) : 1); ++tc) {
      double work = static_cast<double>((outChannels + to - 1) / to * to) *
                    static_cast<double>((inChannels + tc - 1) / tc * tc);
      double fmas = static_cast<double>(to * tc * kCols);
      double cost =
          work * (1 + 0.5 * static_cast<double>(to + tc * kCols) / fmas);
      if (bestCost < 0 || cost < bestCost) {
        bestCost = cost;
        best = {static_cast<int>(to), static_cast<int>(tc)};
      }
    }
  return best;
}

/// The weight gradient of n from its partial sums part(l, kw, kh, c, o),
/// vectors of `vw` lanes (recorded with setReduction for
/// scheduleGradWeightTiles): a pure Func `name` of n's rank (o, c, (kh),
/// kw) summing the lanes.
inline Halide::Func sumGradWeightLanes(const Node &n, LowerContext &ctx,
                                       Halide::Func part, int vw,
                                       const std::string &name) {
  ctx.setReduction(n, part);
  std::vector<Halide::Var> v = ctx.vars(n);
  Halide::Expr vkh = n.rank() == 4 ? Halide::Expr(v[2]) : Halide::Expr(0);
  Halide::Expr total = part(0, v.back(), vkh, v[1], v[0]);
  for (int i = 1; i < vw; ++i)
    total += part(i, v.back(), vkh, v[1], v[0]);
  Halide::Func out(name);
  LowerContext::define(out, v, total);
  return out;
}

/// dw[o, c, kh, kw] = sum_{b, p} x_flat[b, c, p + kh Wp + kw] dy_flat[b, o, p]
/// for conv_grad_weight node n (x input 0, or the flat rows `xf`: the phase
/// planes of a strided conv, with the virtual kernel of `g`; dy input 1),
/// as a pure Func of n's rank summing the lanes of the partial sums
/// (recorded with setReduction for scheduleFlatGradWeight).
inline Halide::Func lowerFlatGradWeight(const Node &n, LowerContext &ctx,
                                        const FlatGeometry &g,
                                        Halide::Func xf = Halide::Func()) {
  int vw = ctx.vectorWidth(n);
  // Over the phase planes of a strided conv, the result is over their
  // virtual kernel, gathered by the caller.
  bool phases = xf.defined();
  if (!phases)
    xf = flatInput(n, 0, g, ctx);
  FlatGeometry dg = g;
  dg.top = dg.left = 0;
  Halide::Func dyf = flatInput(n, 1, dg, ctx);
  int64_t vectors = (g.positions() + vw - 1) / vw;
  Halide::RDom r(
      {{0, static_cast<int>(vectors)}, {0, ctx.extent(n.input(0).shape(), 0)}},
      ctx.name(n) + "_r");
  // part(l, kw, kh, c, o): lane l of the partial sums.
  Halide::Var l("l"), kw("kw"), kh("kh"), c("c"), o("o");
  Halide::Func part(ctx.name(n) + "_part");
  Halide::Expr p = r.x * vw + l;
  Halide::Expr row = g.spatial == 2 ? Halide::Expr(kh) : Halide::Expr(0);
  part(l, kw, kh, c, o) = ctx.constant(n, 0);
  part(l, kw, kh, c, o) +=
      xf(p + row * static_cast<int>(g.pitch()) + kw, c, r.y) * dyf(p, o, r.y);
  return sumGradWeightLanes(n, ctx, part, vw,
                            ctx.name(n) + (phases ? "_virtual" : ""));
}

/// Computes the result of lowerFlatGradWeight (or of a weight gradient
/// whose reduction has the same partial sums part(l, kw, kh, c, o), as the
/// depthwise one) over `inChannels` input channels into `out` (n's or its
/// epilogue's): per kernel row of `kCols` taps and tile of output x input
/// channels (chooseGradWeightTile), the partial sums in registers, then
/// their lanes summed.
inline void scheduleGradWeightTiles(const Node &n, Halide::Func &out,
                                    LowerContext &ctx, int64_t kCols,
                                    int64_t inChannels) {
  Halide::Func part = ctx.reductionOf(n);
  int vw = ctx.vectorWidth(n);
  int64_t outChannels = n.shape()[0];
  GradWeightTile t =
      chooseGradWeightTile(ctx.target(), kCols, outChannels, inChannels);
  std::vector<Halide::Var> a = out.args(); // kw, (kh), c, o
  bool twoD = a.size() == 4;
  Halide::Var oo("oo"), oi("oi"), co("co"), ci("ci");
  out.compute_root()
      .split(a.back(), oo, oi, t.outChannels,
             Halide::TailStrategy::ShiftInwards)
      .split(a[a.size() - 2], co, ci, t.inChannels,
             Halide::TailStrategy::ShiftInwards);
  std::vector<Halide::VarOrRVar> order{a[0], oi, ci};
  if (twoD)
    order.push_back(a[1]);
  order.push_back(co);
  order.push_back(oo);
  out.reorder(order);
  if (ctx.parallel(n, (outChannels + t.outChannels - 1) / t.outChannels))
    out.parallel(oo);

  std::vector<Halide::Var> pa = part.args(); // l, kw, kh, c, o
  part.compute_at(out, twoD ? a[1] : co)
      .bound_storage(pa[0], vw)
      .bound_storage(pa[1], static_cast<int>(kCols))
      .bound_storage(pa[3], t.inChannels)
      .bound_storage(pa[4], t.outChannels)
      .vectorize(pa[0])
      .unroll(pa[1])
      .unroll(pa[3])
      .unroll(pa[4]);
  std::vector<Halide::VarOrRVar> uorder{pa[0], pa[1], pa[4], pa[3]};
  for (const Halide::Internal::ReductionVariable &rv :
       part.function().update(0).schedule().rvars())
    uorder.push_back(Halide::RVar(rv.var));
  uorder.push_back(pa[2]);
  part.update(0)
      .reorder(uorder)
      .vectorize(pa[0])
      .unroll(pa[1])
      .unroll(pa[3])
      .unroll(pa[4]);
}

} // namespace lamina

#endif // LAMINA_OPS_CONV_CONVTILES_H
