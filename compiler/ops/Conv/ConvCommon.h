//===- ConvCommon.h - Convolutions over 1 or 2 spatial dims ---------------===//
//
// conv1d and conv2d share everything here: the geometry (stride, zero
// padding before and after each spatial dim, dilation, groups), the output
// size rule, and the lowering of the forward pass and both backward passes,
// written once for S = 1 or 2 spatial dims. Convolution is cross-correlation
// (as in the notes and PyTorch):
//
//   y[n, o, p] = b[o] + sum_{c, k} x[n, g C' + c, p s + k d - before] w[o, c,
//   k]
//
// with g = o / O' the group of o, C' = C / groups and O' = O / groups.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_CONV_CONVCOMMON_H
#define LAMINA_OPS_CONV_CONVCOMMON_H

#include "ops/Conv/ConvDepthwise.h"
#include "ops/Conv/ConvTiles.h"
#include "ops/ReduceCommon.h"

#include <algorithm>
#include <optional>

#include <string>
#include <vector>

namespace lamina {

/// The attributes of conv1d and conv2d.
#define LAMINA_CONV_ATTRS                                                      \
  {"stride", AttrType::Ints, "[]", "the step per spatial dim (1)"},            \
      {"padding", AttrType::Ints, "[]",                                        \
       "zeros added per spatial dim, [p..] or [before.., after..] (0)"},       \
      {"dilation", AttrType::Ints, "[]",                                       \
       "the spacing of kernel taps per spatial dim (1)"},                      \
  {                                                                            \
    "groups", AttrType::Int, "1",                                              \
        "channel groups; in and out channels must divide by it"                \
  }
inline constexpr AttrSpec kConvAttrs[] = {LAMINA_CONV_ATTRS};
/// conv_grad_input's: the conv's plus the input shape it restores.
inline constexpr AttrSpec kConvGradInputAttrs[] = {
    LAMINA_CONV_ATTRS,
    {"input_shape", AttrType::Shape, nullptr, "the shape of the conv's input"},
};
/// conv_grad_weight's: the conv's plus the weight shape it restores.
inline constexpr AttrSpec kConvGradWeightAttrs[] = {
    LAMINA_CONV_ATTRS,
    {"weight_shape", AttrType::Shape, nullptr, "the shape of the conv's W"},
};
#undef LAMINA_CONV_ATTRS

/// The geometry of a convolution node (conv1d, conv2d and their gradients).
struct ConvGeometry {
  unsigned spatial = 2;
  std::vector<int64_t> stride, dilation, before, after;
  int64_t groups = 1;

  /// Reads the attributes of `n` for `spatial` dims, with defaults stride 1,
  /// padding 0, dilation 1, groups 1.
  static ConvGeometry of(const Node &n, unsigned spatial) {
    ConvGeometry g;
    g.spatial = spatial;
    auto list = [&](const char *name, int64_t dflt, size_t len) {
      std::vector<int64_t> v =
          n.hasAttr(name) ? n.intsAttr(name) : std::vector<int64_t>{};
      if (v.empty())
        v.assign(len, dflt);
      return v;
    };
    g.stride = list("stride", 1, spatial);
    g.dilation = list("dilation", 1, spatial);
    std::vector<int64_t> pad = list("padding", 0, 2 * spatial);
    if (pad.size() == spatial) // symmetric form [ph, pw]
      pad.insert(pad.end(), pad.begin(), pad.end());
    if (pad.size() == 2 * spatial) {
      g.before.assign(pad.begin(), pad.begin() + spatial);
      g.after.assign(pad.begin() + spatial, pad.end());
    }
    g.groups = intAttrOf(n, "groups");
    return g;
  }

  /// Checks list lengths and signs; "" if fine.
  std::string check(const char *op) const {
    std::string o = std::string("'") + op + "' ";
    if (stride.size() != spatial || dilation.size() != spatial ||
        before.size() != spatial || after.size() != spatial)
      return o + "needs " + std::to_string(spatial) +
             " stride and dilation "
             "values and " +
             std::to_string(2 * spatial) + " padding values";
    for (unsigned d = 0; d < spatial; ++d) {
      if (stride[d] <= 0)
        return o + "stride must be positive, got " + std::to_string(stride[d]);
      if (dilation[d] <= 0)
        return o + "dilation must be positive, got " +
               std::to_string(dilation[d]);
      if (before[d] < 0 || after[d] < 0)
        return o + "padding must not be negative";
    }
    if (groups <= 0)
      return o + "groups must be positive, got " + std::to_string(groups);
    return "";
  }

  /// The output extent of spatial dim `d` for input extent `in` and kernel
  /// extent `k`, as PyTorch: floor((in + pad - d(k - 1) - 1)/s) + 1, or an
  /// error naming the computed size when the kernel does not fit at all.
  Expected<int64_t> outExtent(const char *op, unsigned d, int64_t in,
                              int64_t k) const {
    int64_t padded = in + before[d] + after[d];
    int64_t span = dilation[d] * (k - 1) + 1;
    std::string o = std::string("'") + op + "' ";
    std::string dim = spatial == 1 ? "" : (d == 0 ? " (height)" : " (width)");
    if (span > padded)
      return Expected<int64_t>::error(
          o + "kernel" + dim + " spans " + std::to_string(span) +
          " but the padded input is only " + std::to_string(padded) +
          "; the output size would be floor((" + std::to_string(in) + " + " +
          std::to_string(before[d] + after[d]) + " - " + std::to_string(span) +
          ")/" + std::to_string(stride[d]) + ") + 1 = " +
          std::to_string((padded - span) / stride[d] + 1 - (padded < span)));
    return (padded - span) / stride[d] + 1;
  }

  /// How many trailing input elements of spatial dim `d` no window reads
  /// (the stride does not divide the rest): 0 for ResNet's kernel 3,
  /// stride 2, padding 1 on an even size; 1 for the notes' 7x7, kernel 3,
  /// stride 3.
  int64_t unreadTail(unsigned d, int64_t in, int64_t k) const {
    int64_t padded = in + before[d] + after[d];
    int64_t span = dilation[d] * (k - 1) + 1;
    if (span > padded)
      return 0;
    int64_t lastRead = (padded - span) / stride[d] * stride[d] + span - 1;
    int64_t lastInput = before[d] + in - 1;
    return std::max<int64_t>(0, lastInput - lastRead);
  }
};

/// The warning of conv1d/conv2d when input rows or columns at the end are
/// never read, or "".
inline std::string convUnreadWarning(const Node &n, unsigned spatial,
                                     const char *op) {
  ConvGeometry g = ConvGeometry::of(n, spatial);
  const Shape &x = n.input(0).shape(), &w = n.input(1).shape();
  std::string msg;
  for (unsigned d = 0; d < spatial; ++d) {
    int64_t t = g.unreadTail(d, x[2 + d], w[2 + d]);
    if (t == 0)
      continue;
    std::string unit = spatial == 1 ? "element" : d == 0 ? "row" : "column";
    msg += std::string(msg.empty() ? "" : "; ") + "the last " +
           std::to_string(t) + " " + unit + (t == 1 ? "" : "s") +
           " of the input " + (t == 1 ? "is" : "are") + " never read";
  }
  if (msg.empty())
    return msg;
  return std::string("'") + op + "' stride does not fit the input " +
         shapeToString(x) + ": " + msg +
         " (the output size is floor((in + padding - span)/stride) + 1, as "
         "in PyTorch); change the padding or the stride to use them";
}

/// Type rule of conv1d/conv2d: x [N, C, *S], w [O, C/groups, *K], b [O].
inline Expected<TensorType> inferConvType(const Node &n, unsigned spatial,
                                          const char *op) {
  if (n.numInputs() != 2 && n.numInputs() != 3)
    return typeError(std::string("'") + op +
                     "' takes x, weight and an optional bias");
  const TensorType &x = n.input(0).type(), &w = n.input(1).type();
  unsigned rank = spatial + 2;
  if (x.rank() != rank)
    return typeError(std::string("'") + op + "' needs an input of rank " +
                     std::to_string(rank) + " ([batch, channels, " +
                     (spatial == 1 ? "length" : "height, width") + "]), got " +
                     typeToString(x));
  if (w.rank() != rank)
    return typeError(std::string("'") + op + "' needs a weight of rank " +
                     std::to_string(rank) + ", got " + typeToString(w));
  if (!isFloat(x.dtype) || x.dtype != w.dtype)
    return typeError(std::string("'") + op +
                     "' needs float operands of one type, got " +
                     typeToString(x) + " and " + typeToString(w));
  ConvGeometry g = ConvGeometry::of(n, spatial);
  if (std::string e = g.check(op); !e.empty())
    return typeError(e);
  int64_t c = x.shape[1], o = w.shape[0];
  if (c % g.groups != 0 || o % g.groups != 0)
    return typeError(std::string("'") + op + "' groups " +
                     std::to_string(g.groups) + " must divide the " +
                     std::to_string(c) + " input and " + std::to_string(o) +
                     " output channels");
  if (w.shape[1] * g.groups != c)
    return typeError(std::string("'") + op + "' weight " +
                     shapeToString(w.shape) + " expects " +
                     std::to_string(w.shape[1] * g.groups) +
                     " input channels, but the input " +
                     shapeToString(x.shape) + " has " + std::to_string(c));
  if (n.numInputs() == 3) {
    const TensorType &b = n.input(2).type();
    if (b.dtype != x.dtype || b.shape != Shape{o})
      return typeError(std::string("'") + op + "' bias must be " +
                       dtypeName(x.dtype) + "[" + std::to_string(o) +
                       "], got " + typeToString(b));
  }
  Shape out{x.shape[0], o};
  for (unsigned d = 0; d < spatial; ++d) {
    Expected<int64_t> e = g.outExtent(op, d, x.shape[2 + d], w.shape[2 + d]);
    if (!e)
      return typeError(e.errorMessage() + " (input " + shapeToString(x.shape) +
                       ", weight " + shapeToString(w.shape) + ")");
    out.push_back(*e);
  }
  return TensorType{x.dtype, out};
}

/// The flat-row geometry of conv node n (conv1d, conv2d, conv_grad_input,
/// conv_grad_weight) when it is computed by the register-tiled kernels of
/// ConvTiles.h: dilation 1, one group, stride 1, and at least a vector of
/// flat positions per sample. A strided conv and its gradients run the
/// same tiles on phase planes (phaseGeometry); other convolutions use the
/// direct loops below.
inline std::optional<FlatGeometry> flatGeometry(const Node &n,
                                                LowerContext &ctx) {
  bool gradInput = n.kind() == OpKind::ConvGradInput;
  bool gradWeight = n.kind() == OpKind::ConvGradWeight;
  unsigned spatial = n.rank() - 2;
  ConvGeometry cg = ConvGeometry::of(n, spatial);
  if (cg.groups != 1)
    return std::nullopt;
  for (unsigned d = 0; d < spatial; ++d)
    if (cg.stride[d] != 1 || cg.dilation[d] != 1)
      return std::nullopt;
  // The output and kernel extents of the correlation computed.
  const Shape &out = gradWeight ? n.input(1).shape() : n.shape();
  const Shape &k = gradWeight ? n.shape() : n.input(1).shape();
  FlatGeometry g;
  g.spatial = spatial;
  g.cols = out.back();
  g.kCols = k.back();
  g.left = cg.before.back();
  if (spatial == 2) {
    g.rows = out[2];
    g.kRows = k[2];
    g.top = cg.before[0];
  }
  if (gradInput) {
    // dx is the correlation of dy with the flipped kernel, dy padded by
    // K - 1 - before.
    g.top = g.kRows - 1 - g.top;
    g.left = g.kCols - 1 - g.left;
  }
  if (g.positions() < ctx.vectorWidth(n))
    return std::nullopt;
  return g;
}

/// A strided convolution as a stride-1 one over phase planes: with
/// kh - before = s q + a (0 <= a < s), x[s h + kh - before] is plane a's
/// row h + q, X_a[i] = x[s i + a]. The planes of the residues a that some
/// tap has, for every channel, are the "virtual channels" (c, a, b) of a
/// stride-1 correlation whose virtual kernel spans the taps' q, weight zero
/// where no tap is: a 3x3 stride-2 conv is 4 planes of 2x2 (16 slots for 9
/// taps), a 1x1 stride-2 one a single plane of 1x1.
struct PhaseGeometry {
  FlatGeometry g; // the stride-1 correlation over the planes
  int64_t strideRows = 1, strideCols = 1;
  std::vector<int> phaseRows{0}, phaseCols{0}; // the residues a, b used
  int64_t qRows = 0, qCols = 0;                // the least q (<= 0)
  int64_t before = 0, beforeCols = 0;          // the conv's padding
  int64_t kRows = 1, kCols = 1;                // the real kernel
  int64_t phases() const {
    return static_cast<int64_t>(phaseRows.size() * phaseCols.size());
  }
};

/// The phase planes of a strided conv1d/conv2d or its gradients: dilation
/// 1, one group, a stride above 1, at least a vector of flat positions per
/// sample. For conv_grad_input, g is the correlation that computes dx's
/// planes from dy.
inline std::optional<PhaseGeometry> phaseGeometry(const Node &n,
                                                  LowerContext &ctx) {
  bool gradWeight = n.kind() == OpKind::ConvGradWeight;
  bool gradInput = n.kind() == OpKind::ConvGradInput;
  unsigned spatial = n.rank() - 2;
  ConvGeometry cg = ConvGeometry::of(n, spatial);
  bool strided = false;
  for (unsigned d = 0; d < spatial; ++d) {
    if (cg.dilation[d] != 1)
      return std::nullopt;
    strided |= cg.stride[d] != 1;
  }
  if (cg.groups != 1 || !strided)
    return std::nullopt;
  const Shape &out = gradWeight ? n.input(1).shape() : n.shape();
  const Shape &k = gradWeight ? n.shape() : n.input(1).shape();
  PhaseGeometry pg;
  // Per dim: the residues used, the least and greatest q.
  auto dim = [&](unsigned d, std::vector<int> &phases, int64_t &q0,
                 int64_t &kExtent, int64_t &stride, int64_t &before) {
    int64_t s = cg.stride[d], q1 = 0;
    stride = s;
    before = cg.before[d];
    kExtent = k[2 + d];
    phases.clear();
    q0 = 0;
    for (int64_t kk = 0; kk < k[2 + d]; ++kk) {
      int64_t t = kk - before, a = ((t % s) + s) % s, q = (t - a) / s;
      if (std::find(phases.begin(), phases.end(), a) == phases.end())
        phases.push_back(static_cast<int>(a));
      q0 = kk == 0 ? q : std::min(q0, q);
      q1 = kk == 0 ? q : std::max(q1, q);
    }
    std::sort(phases.begin(), phases.end());
    return q1 - q0 + 1;
  };
  pg.g.spatial = spatial;
  pg.g.cols = out.back();
  pg.g.kCols = dim(spatial - 1, pg.phaseCols, pg.qCols, pg.kCols, pg.strideCols,
                   pg.beforeCols);
  pg.g.left = -pg.qCols;
  if (spatial == 2) {
    pg.g.rows = out[2];
    pg.g.kRows =
        dim(0, pg.phaseRows, pg.qRows, pg.kRows, pg.strideRows, pg.before);
    pg.g.top = -pg.qRows;
  }
  if (gradInput) {
    // dX_a[i] = sum_q dy[i - q] w(a, q): the planes of dx are correlations
    // of dy, padded by the greatest q, with the flipped virtual kernel.
    pg.g.cols = ceilDiv(out.back() - pg.phaseCols[0], pg.strideCols);
    pg.g.left = pg.qCols + pg.g.kCols - 1;
    if (spatial == 2) {
      pg.g.rows = ceilDiv(out[2] - pg.phaseRows[0], pg.strideRows);
      pg.g.top = pg.qRows + pg.g.kRows - 1;
    }
  }
  if (pg.g.positions() < ctx.vectorWidth(n))
    return std::nullopt;
  return pg;
}

/// v[i] for a small constant table v.
inline Halide::Expr phaseTable(const std::vector<int> &v,
                               const Halide::Expr &i) {
  std::vector<Halide::Expr> e(v.begin(), v.end());
  return e.size() == 1 ? e[0] : Halide::mux(i, e);
}

/// The phase planes of input 0 (x) of n as flat rows (Halide order q,
/// virtual channel, b): virtual channel c P + ph holds plane
/// (phaseRows[ph / B], phaseCols[ph % B]) of channel c (P planes, B column
/// phases), zero outside x. Stored per call like flatInput.
inline Halide::Func phaseInput(const Node &n, const PhaseGeometry &pg,
                               LowerContext &ctx) {
  const Node &in = n.input(0);
  const Shape &s = in.shape();
  const FlatGeometry &g = pg.g;
  int64_t pitch = g.pitch(), cols = s.back();
  int64_t rows = g.spatial == 2 ? s[2] : 1;
  int nph = static_cast<int>(pg.phases());
  int nb = static_cast<int>(pg.phaseCols.size());
  // The plane rows and columns that land inside the flat rows.
  int64_t planeCols = std::min<int64_t>(
      ceilDiv(cols - pg.phaseCols[0], pg.strideCols), pitch - g.left);
  int64_t planeRows =
      std::min<int64_t>(ceilDiv(rows - pg.phaseRows[0], pg.strideRows),
                        g.rows + g.kRows - 1 - g.top);
  Halide::Func f = zeroFlatRows(n, in, ctx.name(n) + "_phases", ctx);
  Halide::Var c = f.args()[1], b = f.args()[2];
  int vw = ctx.vectorWidth(n);
  bool par = ctx.parallel(n, s[0]);
  if (planeCols <= 0 || planeRows <= 0)
    return f;
  Halide::Expr ph = c % nph;
  Halide::Expr a = phaseTable(pg.phaseRows, ph / nb),
               bc = phaseTable(pg.phaseCols, ph % nb);
  Halide::RDom r(
      {{0, static_cast<int>(planeCols)}, {0, static_cast<int>(planeRows)}},
      ctx.name(n) + "_planes");
  Halide::Expr row = r.y * static_cast<int>(pg.strideRows) + a;
  Halide::Expr col = r.x * static_cast<int>(pg.strideCols) + bc;
  Halide::Expr inside = col < static_cast<int>(cols);
  std::vector<Halide::Expr> idx{b, c / nph};
  if (g.spatial == 2) {
    inside = inside && row < static_cast<int>(rows);
    idx.push_back(Halide::min(row, static_cast<int>(rows - 1)));
  }
  idx.push_back(Halide::min(col, static_cast<int>(cols - 1)));
  Halide::Expr at = (r.y + static_cast<int>(g.top)) * static_cast<int>(pitch) +
                    r.x + static_cast<int>(g.left);
  f(at, c, b) = Halide::select(inside, LowerContext::call(ctx.input(n, 0), idx),
                               Halide::cast(ctx.type(in), 0));
  scheduleRowCopy(f, r, planeCols, vw, par);
  return f;
}

/// The real tap (kh or kw) of virtual tap `v` of phase `a` in one dim, and
/// whether it exists.
inline std::pair<Halide::Expr, Halide::Expr>
phaseTap(const Halide::Expr &v, const Halide::Expr &a, int64_t q0,
         int64_t stride, int64_t before, int64_t k) {
  Halide::Expr kk = (v + static_cast<int>(q0)) * static_cast<int>(stride) + a +
                    static_cast<int>(before);
  return {Halide::clamp(kk, 0, static_cast<int>(k - 1)),
          kk >= 0 && kk < static_cast<int>(k)};
}

/// wv(t_w, t_h, cv, o) = w[o, c, kh, kw] for virtual channel cv = c P + ph
/// and virtual tap t (q = t + q0, or Kq - 1 - t + q0 if `flip`: dL/dx),
/// zero where plane ph has no such tap; stored per call.
inline Halide::Func phaseWeight(const Node &n, LowerContext &ctx,
                                const PhaseGeometry &pg, bool flip) {
  int nph = static_cast<int>(pg.phases());
  int nb = static_cast<int>(pg.phaseCols.size());
  Halide::Var vo("vo"), vc("vc"), vh("vh"), vw("vw");
  Halide::Expr ph = vc % nph;
  Halide::Expr tw = flip ? static_cast<int>(pg.g.kCols - 1) - vw : vw;
  auto [kw, okw] = phaseTap(tw, phaseTable(pg.phaseCols, ph % nb), pg.qCols,
                            pg.strideCols, pg.beforeCols, pg.kCols);
  Halide::Expr w, ok = okw;
  if (pg.g.spatial == 1) {
    w = ctx.read(n, 1, {vo, vc / nph, kw});
  } else {
    Halide::Expr th = flip ? static_cast<int>(pg.g.kRows - 1) - vh : vh;
    auto [kh, okh] = phaseTap(th, phaseTable(pg.phaseRows, ph / nb), pg.qRows,
                              pg.strideRows, pg.before, pg.kRows);
    w = ctx.read(n, 1, {vo, vc / nph, kh, kw});
    ok = ok && okh;
  }
  Halide::Func wv(ctx.name(n) + "_phase_w");
  wv(vw, vh, vc, vo) = Halide::select(ok, w, ctx.constant(n, 0));
  wv.compute_root();
  return wv;
}

/// A strided conv1d/conv2d over its phase planes: the weight over the
/// virtual kernel is stored per call (zero where no tap is), then the flat
/// correlation.
inline Halide::Func lowerPhaseConv(const Node &n, LowerContext &ctx,
                                   const PhaseGeometry &pg) {
  int nph = static_cast<int>(pg.phases());
  Halide::Func wv = phaseWeight(n, ctx, pg, false);
  auto weight = [&](Halide::Expr o, Halide::Expr c, Halide::Expr kh,
                    Halide::Expr kwv) { return wv(kwv, kh, c, o); };
  Halide::Var o("o");
  Halide::Expr init =
      n.numInputs() == 3 ? ctx.read(n, 2, {o}) : ctx.constant(n, 0);
  return lowerFlatCorrelation(n, ctx, pg.g, n.input(1).shape()[1] * nph, weight,
                              init, o, phaseInput(n, pg, ctx));
}

/// A strided conv's weight gradient over the phase planes of x: the flat
/// weight gradient over the virtual kernel (recorded with setAux for
/// scheduleConv), gathered into dw[o, c, kh, kw].
inline Halide::Func lowerPhaseGradWeight(const Node &n, LowerContext &ctx,
                                         const PhaseGeometry &pg) {
  Halide::Func virt = lowerFlatGradWeight(n, ctx, pg.g, phaseInput(n, pg, ctx));
  ctx.setAux(n, virt);
  int nb = static_cast<int>(pg.phaseCols.size());
  int nph = static_cast<int>(pg.phases());
  // The plane and virtual tap of real tap k in one dim.
  auto where = [](const std::vector<int> &phases, int64_t k, int64_t q0,
                  int64_t stride, int64_t before, const Halide::Expr &kk) {
    std::vector<Halide::Expr> plane, tap;
    for (int64_t t = 0; t < k; ++t) {
      int64_t u = t - before, a = ((u % stride) + stride) % stride;
      plane.push_back(static_cast<int>(
          std::find(phases.begin(), phases.end(), a) - phases.begin()));
      tap.push_back(static_cast<int>((u - a) / stride - q0));
    }
    if (k == 1)
      return std::make_pair(plane[0], tap[0]);
    return std::make_pair(Halide::mux(kk, plane), Halide::mux(kk, tap));
  };
  std::vector<Halide::Var> v = ctx.vars(n); // o, c, (kh), kw
  auto [pw, tw] = where(pg.phaseCols, pg.kCols, pg.qCols, pg.strideCols,
                        pg.beforeCols, v.back());
  Halide::Expr plane = pw;
  std::vector<Halide::Expr> taps;
  if (pg.g.spatial == 2) {
    auto [prow, trow] =
        where(pg.phaseRows, pg.kRows, pg.qRows, pg.strideRows, pg.before, v[2]);
    plane = prow * nb + pw;
    taps.push_back(trow);
  }
  taps.push_back(tw);
  std::vector<Halide::Expr> idx{v[0], v[1] * nph + plane};
  idx.insert(idx.end(), taps.begin(), taps.end());
  Halide::Func out(ctx.name(n));
  LowerContext::define(out, v, LowerContext::call(virt, idx));
  return out;
}

/// A strided conv's dL/dx by phase planes: plane (a, b) of dx, dX[i, j] =
/// dx[s i + a, s j + b], is the correlation of dy with the flipped virtual
/// kernel of (a, b) (virtual output channels c P + ph, stored per call),
/// computed in the register tiles; dx reads its plane, zero at residues no
/// tap has.
inline Halide::Func lowerPhaseGradInput(const Node &n, LowerContext &ctx,
                                        const PhaseGeometry &pg) {
  int nph = static_cast<int>(pg.phases());
  int nb = static_cast<int>(pg.phaseCols.size());
  Halide::Func wv = phaseWeight(n, ctx, pg, true);
  auto weight = [&](Halide::Expr cv, Halide::Expr o, Halide::Expr th,
                    Halide::Expr tw) { return wv(tw, th, cv, o); };
  lowerFlatCorrelation(n, ctx, pg.g, n.input(1).shape()[0], weight,
                       ctx.constant(n, 0), Halide::Var("c"));
  Halide::Func sum = ctx.reductionOf(n);
  // The plane of each residue, or -1 where no tap has it.
  auto planeOf = [](const std::vector<int> &phases, int64_t stride,
                    const Halide::Expr &r) {
    std::vector<Halide::Expr> e;
    for (int64_t a = 0; a < stride; ++a) {
      auto it = std::find(phases.begin(), phases.end(), a);
      e.push_back(it == phases.end() ? -1
                                     : static_cast<int>(it - phases.begin()));
    }
    return Halide::mux(r, e);
  };
  std::vector<Halide::Var> v = ctx.vars(n); // b, c, (h), w
  int sc = static_cast<int>(pg.strideCols),
      sr = static_cast<int>(pg.strideRows);
  Halide::Expr pc = planeOf(pg.phaseCols, sc, v.back() % sc);
  Halide::Expr pos = v.back() / sc;
  Halide::Expr plane = pc, inside = pc >= 0;
  if (pg.g.spatial == 2) {
    Halide::Expr pr = planeOf(pg.phaseRows, sr, v[2] % sr);
    pos += (v[2] / sr) * static_cast<int>(pg.g.pitch());
    plane = Halide::max(pr, 0) * nb + Halide::max(pc, 0);
    inside = inside && pr >= 0;
  } else {
    plane = Halide::max(pc, 0);
  }
  Halide::Expr value = sum(pos, v[1] * nph + plane, v[0]);
  Halide::Func out(ctx.name(n));
  LowerContext::define(out, v,
                       pg.phases() == pg.strideRows * pg.strideCols
                           ? value
                           : Halide::select(inside, value, ctx.constant(n, 0)));
  return out;
}

/// The Func of input `i` of `n` read with zeros outside its logical extents,
/// materialized with its halo of zeros, so the reduction that reads it many
/// times per element does no bounds test.
inline Halide::Func zeroPadded(const Node &n, unsigned i, LowerContext &ctx) {
  const Node &in = n.input(i);
  Halide::Region bounds;
  for (unsigned d = in.rank(); d-- > 0;)
    bounds.push_back({0, ctx.extent(in.shape(), d)});
  Halide::Func padded = Halide::BoundaryConditions::constant_exterior(
      ctx.input(n, i), Halide::cast(ctx.type(in), 0), bounds);
  Halide::Func stored(ctx.name(n) + "_padded" + std::to_string(i));
  stored(padded.args()) = padded(padded.args());
  stored.compute_root();
  std::vector<Halide::Var> args = stored.args();
  if (in.shape().back() >= 8)
    stored.vectorize(args[0], 8, Halide::TailStrategy::GuardWithIf);
  if (ctx.parallel(n, in.shape()[0]))
    stored.parallel(args.back());
  return stored;
}

/// Vectorizes the innermost logical dim of `f` (pure and update stages) by
/// up to the natural width, and parallelizes its outermost dim.
inline void scheduleConvLike(const Node &n, Halide::Func &f, LowerContext &ctx,
                             bool parallelOuter) {
  f.compute_root();
  std::vector<Halide::Var> args = f.args();
  int64_t inner = n.shape().back();
  int vw = std::min(ctx.vectorWidth(n), 8);
  bool vec = inner != kBatch && inner >= vw;
  if (vec)
    f.vectorize(args[0], vw, Halide::TailStrategy::GuardWithIf);
  if (parallelOuter && ctx.parallel(n))
    f.parallel(args.back());
  for (int u = 0; u < f.num_update_definitions(); ++u) {
    Halide::Stage s = f.update(u);
    // The reduction runs outside the vector of outputs, so each step is a
    // vector multiply-add into accumulators that stay in cache.
    reorderReductionInsideVector(f, u);
    if (vec)
      s.vectorize(args[0], vw, Halide::TailStrategy::GuardWithIf);
    if (parallelOuter && ctx.parallel(n))
      s.parallel(args.back());
  }
}

/// The depthwise shape class (ConvDepthwise.h) of conv node n: as many
/// groups as input channels (more than one), dilation 1, stride 1 for
/// dL/dx and along the width for dL/dw (the others keep the direct loops).
inline std::optional<DepthwiseGeometry> depthwiseGeometry(const Node &n) {
  bool gradWeight = n.kind() == OpKind::ConvGradWeight;
  bool gradInput = n.kind() == OpKind::ConvGradInput;
  unsigned spatial = n.rank() - 2;
  ConvGeometry cg = ConvGeometry::of(n, spatial);
  int64_t channels = gradInput ? n.shape()[1] : n.input(0).shape()[1];
  const Shape &w = gradWeight ? n.shape() : n.input(1).shape();
  if (cg.groups <= 1 || cg.groups != channels || w[1] != 1)
    return std::nullopt;
  for (unsigned d = 0; d < spatial; ++d)
    if (cg.dilation[d] != 1 || (gradInput && cg.stride[d] != 1))
      return std::nullopt;
  // Halide 14 emits aligned loads at misaligned addresses for some vector
  // reads of x at a stride (a crash, seen for stride 2 and 3), so the
  // weight gradient takes only a stride 1 along the width.
  if (gradWeight && cg.stride.back() != 1)
    return std::nullopt;
  DepthwiseGeometry g;
  g.spatial = spatial;
  g.multiplier = w[0] / channels;
  g.kernel.assign(w.begin() + 2, w.end());
  g.stride = cg.stride;
  g.before = cg.before;
  return g;
}

/// x[n, g C' + c, p s + k d - before] for the conv geometry `g`, read from
/// the zero-padded Func `xp`; `p` and `k` per spatial dim.
inline Halide::Expr convInputAt(const ConvGeometry &g, Halide::Func &xp,
                                Halide::Expr n, Halide::Expr channel,
                                const std::vector<Halide::Expr> &p,
                                const std::vector<Halide::Expr> &k) {
  std::vector<Halide::Expr> idx{std::move(n), std::move(channel)};
  for (unsigned d = 0; d < g.spatial; ++d)
    idx.push_back(p[d] * static_cast<int>(g.stride[d]) +
                  k[d] * static_cast<int>(g.dilation[d]) -
                  static_cast<int>(g.before[d]));
  return LowerContext::call(xp, idx);
}

/// The group of channel `c` when each group has `perGroup` channels.
inline Halide::Expr groupOf(const ConvGeometry &g, Halide::Expr c,
                            int64_t perGroup) {
  if (g.groups == 1)
    return Halide::Expr(0);
  return c / static_cast<int>(perGroup);
}

/// The pure result of a convolution whose reduction is `f` (computed by
/// the direct loops): a Func reading f, so that the result and any epilogue
/// inline into one pass whatever the schedule of f.
inline Halide::Func convResult(const Node &n, Halide::Func f,
                               LowerContext &ctx) {
  ctx.setReduction(n, f);
  std::vector<Halide::Var> v = ctx.vars(n);
  Halide::Func out(ctx.name(n));
  LowerContext::define(out, v, LowerContext::call(f, LowerContext::exprs(v)));
  return out;
}

/// conv1d/conv2d: y = b + sum over (c, k) as in the file comment.
inline Halide::Func lowerConv(const Node &n, LowerContext &ctx,
                              unsigned spatial) {
  ConvGeometry g = ConvGeometry::of(n, spatial);
  const Shape &ws = n.input(1).shape();
  if (std::optional<FlatGeometry> fg = flatGeometry(n, ctx)) {
    Halide::Var o("o");
    Halide::Expr init =
        n.numInputs() == 3 ? ctx.read(n, 2, {o}) : ctx.constant(n, 0);
    auto weight = [&](Halide::Expr oc, Halide::Expr c, Halide::Expr kh,
                      Halide::Expr kw) {
      if (spatial == 1)
        return ctx.read(n, 1, {oc, c, kw});
      return ctx.read(n, 1, {oc, c, kh, kw});
    };
    return lowerFlatCorrelation(n, ctx, *fg, ws[1], weight, init, o);
  }
  if (std::optional<PhaseGeometry> pg = phaseGeometry(n, ctx))
    return lowerPhaseConv(n, ctx, *pg);
  Halide::Func xp = zeroPadded(n, 0, ctx);
  if (std::optional<DepthwiseGeometry> dg = depthwiseGeometry(n))
    return lowerDepthwiseConv(n, ctx, *dg, xp);
  int64_t cg = ws[1], og = ws[0] / g.groups;
  Halide::Func f(ctx.name(n) + "_sum");
  std::vector<Halide::Var> v = ctx.vars(n);
  Halide::Region ranges{{0, static_cast<int>(cg)}};
  for (unsigned d = 0; d < spatial; ++d)
    ranges.push_back({0, static_cast<int>(ws[2 + d])});
  Halide::RDom r(ranges, ctx.name(n) + "_r");
  std::vector<Halide::Expr> p, k, wi{v[1], r[0]};
  for (unsigned d = 0; d < spatial; ++d) {
    p.push_back(v[2 + d]);
    k.push_back(r[1 + d]);
    wi.push_back(r[1 + d]);
  }
  Halide::Expr channel = groupOf(g, v[1], og) * static_cast<int>(cg) + r[0];
  LowerContext::define(
      f, v, n.numInputs() == 3 ? ctx.read(n, 2, {v[1]}) : ctx.constant(n, 0));
  at(f, LowerContext::exprs(v)) +=
      convInputAt(g, xp, v[0], channel, p, k) * ctx.read(n, 1, wi);
  return convResult(n, f, ctx);
}

/// conv_grad_input(dy, w) = dL/dx:
///   dx[n, c, h] = sum_{o in c's group, k, h = p s + k d - before} dy[n, o, p]
///   w[o, c', k]
/// read as a gather: p = (h + before - k d) / s where that divides exactly.
inline Halide::Func lowerConvGradInput(const Node &n, LowerContext &ctx) {
  unsigned spatial = n.rank() - 2;
  ConvGeometry g = ConvGeometry::of(n, spatial);
  const Shape &ws = n.input(1).shape();
  if (std::optional<PhaseGeometry> pg = phaseGeometry(n, ctx))
    return lowerPhaseGradInput(n, ctx, *pg);
  if (std::optional<FlatGeometry> fg = flatGeometry(n, ctx)) {
    if (std::optional<ScatterGeometry> sg = scatterGradInput(n, ctx, *fg))
      return lowerScatterGradInput(n, ctx, *sg);
    // w'[c, o, kh, kw] = w[o, c, KH - 1 - kh, KW - 1 - kw].
    int kh1 = static_cast<int>(fg->kRows - 1),
        kw1 = static_cast<int>(fg->kCols - 1);
    auto weight = [&](Halide::Expr c, Halide::Expr o, Halide::Expr kh,
                      Halide::Expr kw) {
      if (spatial == 1)
        return ctx.read(n, 1, {o, c, kw1 - kw});
      return ctx.read(n, 1, {o, c, kh1 - kh, kw1 - kw});
    };
    return lowerFlatCorrelation(n, ctx, *fg, ws[0], weight, ctx.constant(n, 0),
                                Halide::Var("c"));
  }
  Halide::Func dyp = zeroPadded(n, 0, ctx);
  if (std::optional<DepthwiseGeometry> dg = depthwiseGeometry(n))
    return lowerDepthwiseGradInput(n, ctx, *dg, dyp);
  int64_t cg = ws[1], og = ws[0] / g.groups;
  Halide::Func f(ctx.name(n) + "_sum");
  std::vector<Halide::Var> v = ctx.vars(n);
  Halide::Region ranges{{0, static_cast<int>(og)}};
  for (unsigned d = 0; d < spatial; ++d)
    ranges.push_back({0, static_cast<int>(ws[2 + d])});
  Halide::RDom r(ranges, ctx.name(n) + "_r");
  Halide::Expr grp = groupOf(g, v[1], cg);
  Halide::Expr o = grp * static_cast<int>(og) + r[0];
  std::vector<Halide::Expr> dyi{v[0], o},
      wi{o, v[1] - grp * static_cast<int>(cg)};
  Halide::Expr valid = Halide::cast<bool>(true);
  for (unsigned d = 0; d < spatial; ++d) {
    Halide::Expr q = v[2 + d] + static_cast<int>(g.before[d]) -
                     r[1 + d] * static_cast<int>(g.dilation[d]);
    int s = static_cast<int>(g.stride[d]);
    if (s > 1) {
      valid = valid && (q % s == 0);
      q = q / s;
    }
    dyi.push_back(q);
    wi.push_back(r[1 + d]);
  }
  Halide::Expr term = LowerContext::call(dyp, dyi) * ctx.read(n, 1, wi);
  LowerContext::define(f, v, ctx.constant(n, 0));
  at(f, LowerContext::exprs(v)) +=
      Halide::select(valid, term, ctx.constant(n, 0));
  return convResult(n, f, ctx);
}

/// conv_grad_weight(x, dy) = dL/dw:
///   dw[o, c, k] = sum_{n, p} x[n, g C' + c, p s + k d - before] dy[n, o, p]
/// The last spatial output dim is summed last, from a partial sum that
/// keeps it as a pure dim, so the long reduction over the batch and the
/// other output positions runs on vectors (a hand-written rfactor).
inline Halide::Func lowerConvGradWeight(const Node &n, LowerContext &ctx) {
  unsigned spatial = n.rank() - 2;
  ConvGeometry g = ConvGeometry::of(n, spatial);
  if (std::optional<FlatGeometry> fg = flatGeometry(n, ctx))
    return lowerFlatGradWeight(n, ctx, *fg);
  if (std::optional<PhaseGeometry> pg = phaseGeometry(n, ctx))
    return lowerPhaseGradWeight(n, ctx, *pg);
  Halide::Func xp = zeroPadded(n, 0, ctx);
  if (std::optional<DepthwiseGeometry> dg = depthwiseGeometry(n))
    return lowerDepthwiseGradWeight(n, ctx, *dg, xp, zeroPadded(n, 1, ctx));
  const Node &x = n.input(0), &dy = n.input(1);
  int64_t cg = n.shape()[1], og = n.shape()[0] / g.groups;
  // partial[o, c, k.., pl] = sum over n and the other output positions.
  Halide::Func partial(ctx.name(n) + "_partial");
  std::vector<Halide::Var> pv = LowerContext::vars(n.rank() + 1);
  Halide::Region ranges{{0, ctx.extent(x.shape(), 0)}};
  for (unsigned d = 0; d + 1 < spatial; ++d)
    ranges.push_back({0, static_cast<int>(dy.shape()[2 + d])});
  Halide::RDom r(ranges, ctx.name(n) + "_r");
  std::vector<Halide::Expr> p, k;
  for (unsigned d = 0; d + 1 < spatial; ++d)
    p.push_back(r[1 + d]);
  p.push_back(pv.back());
  for (unsigned d = 0; d < spatial; ++d)
    k.push_back(pv[2 + d]);
  Halide::Expr channel = groupOf(g, pv[0], og) * static_cast<int>(cg) + pv[1];
  std::vector<Halide::Expr> dyi{r[0], pv[0]};
  dyi.insert(dyi.end(), p.begin(), p.end());
  LowerContext::define(partial, pv, ctx.constant(n, 0));
  at(partial, LowerContext::exprs(pv)) +=
      convInputAt(g, xp, r[0], channel, p, k) *
      LowerContext::call(ctx.input(n, 1), dyi);
  // Vectors along the last output position, the reduction outside them,
  // one parallel task per output channel.
  partial.compute_root();
  int vw = std::min(ctx.vectorWidth(n), 8);
  bool vec = dy.shape().back() >= vw;
  std::vector<Halide::VarOrRVar> order{pv.back()};
  for (int i = 0; i < r.dimensions(); ++i)
    order.push_back(r[i]);
  for (size_t d = pv.size() - 1; d-- > 0;)
    order.push_back(pv[d]);
  Halide::Stage upd = partial.update();
  upd.reorder(order);
  if (vec) {
    partial.vectorize(pv.back(), vw, Halide::TailStrategy::GuardWithIf);
    upd.vectorize(pv.back(), vw, Halide::TailStrategy::GuardWithIf);
  }
  if (ctx.parallel(n)) {
    partial.parallel(pv[0]);
    upd.parallel(pv[0]);
  }

  Halide::Func f(ctx.name(n) + "_sum");
  std::vector<Halide::Var> v = ctx.vars(n);
  Halide::RDom last(0, static_cast<int>(dy.shape().back()),
                    ctx.name(n) + "_last");
  std::vector<Halide::Expr> pi = LowerContext::exprs(v);
  pi.push_back(last);
  LowerContext::define(f, v, ctx.constant(n, 0));
  at(f, LowerContext::exprs(v)) += LowerContext::call(partial, pi);
  return convResult(n, f, ctx);
}

/// The schedule of every convolution node n, computing its result into
/// `out` (n's Func, or the last Func of its epilogue): the register tiles
/// of ConvTiles.h, or the direct loops' reduction at root, vectorized along
/// the innermost dim, then the result in a pass of its own.
inline void scheduleConv(const Node &n, Halide::Func &out, LowerContext &ctx) {
  if (std::optional<FlatGeometry> fg = flatGeometry(n, ctx)) {
    if (n.kind() == OpKind::ConvGradWeight)
      scheduleGradWeightTiles(n, out, ctx, fg->kCols, n.shape()[1]);
    else if (std::optional<ScatterGeometry> sg =
                 n.kind() == OpKind::ConvGradInput
                     ? scatterGradInput(n, ctx, *fg)
                     : std::nullopt)
      scheduleScatterGradInput(n, out, ctx, *sg);
    else
      scheduleFlatCorrelation(n, out, ctx, *fg);
    return;
  }
  if (std::optional<PhaseGeometry> pg = phaseGeometry(n, ctx)) {
    if (n.kind() == OpKind::ConvGradWeight) {
      Halide::Func virt = ctx.auxOf(n);
      scheduleGradWeightTiles(n, virt, ctx, pg->g.kCols,
                              n.shape()[1] * pg->phases());
      out.compute_root();
    } else if (n.kind() == OpKind::ConvGradInput) {
      scheduleFlatCorrelation(n, out, ctx, pg->g,
                              static_cast<int>(pg->phases()));
    } else {
      scheduleFlatCorrelation(n, out, ctx, pg->g);
    }
    return;
  }
  if (std::optional<DepthwiseGeometry> dg = depthwiseGeometry(n)) {
    if (n.kind() == OpKind::ConvGradWeight)
      scheduleGradWeightTiles(n, out, ctx, dg->kernel.back(), 1);
    else
      scheduleDepthwise(n, out, ctx);
    return;
  }
  Halide::Func f = ctx.reductionOf(n);
  scheduleConvLike(n, f, ctx, true);
  scheduleDefault(n, out, ctx);
}

/// Type rule of conv_grad_input / conv_grad_weight: the shape attribute.
inline Expected<TensorType> inferConvGradType(const Node &n,
                                              const char *shapeAttr) {
  if (n.numInputs() != 2 || !n.hasAttr(shapeAttr))
    return typeError(std::string("needs two operands and a '") + shapeAttr +
                     "' attribute");
  const Shape &s = n.intsAttr(shapeAttr);
  if (s.size() != n.input(1).rank() || (s.size() != 3 && s.size() != 4))
    return typeError(std::string("'") + shapeAttr + "' " + shapeToString(s) +
                     " does not match the operands");
  ConvGeometry g = ConvGeometry::of(n, static_cast<unsigned>(s.size() - 2));
  if (std::string e = g.check(opName(n.kind())); !e.empty())
    return typeError(e);
  return TensorType{n.input(0).dtype(), s};
}

/// OpInfo::flops of conv1d, conv2d and their gradients: a multiply-add per
/// output element of the forward conv and weight element of its group.
inline double convFlops(const Node &n, int64_t batch) {
  bool gradWeight = n.kind() == OpKind::ConvGradWeight;
  const Shape &out = n.kind() == OpKind::ConvGradInput ? n.input(0).shape()
                     : gradWeight                      ? n.input(1).shape()
                                                       : n.shape();
  const Shape &w = gradWeight ? n.shape() : n.input(1).shape();
  // Each output element reads one weight row [C', K..].
  return 2.0 * static_cast<double>(numElements(out, batch)) *
         static_cast<double>(numElements(w) / w[0]);
}

/// The attributes of a conv node, for the nodes of its gradient.
inline Attrs convAttrs(const Node &n) {
  Attrs a;
  for (const char *k : {"stride", "padding", "dilation", "groups"})
    if (n.hasAttr(k))
      a[k] = n.attrs().at(k);
  return a;
}

/// dx, dw and db of conv1d/conv2d from dy.
inline void buildConvGradient(const Node &n, GradBuilder &g) {
  Node *dy = g.outGrad(n);
  Node *x = &n.input(0), *w = &n.input(1);
  Attrs ai = convAttrs(n), aw = convAttrs(n);
  ai["input_shape"] = x->shape();
  aw["weight_shape"] = w->shape();
  g.accumulate(*x, g.make(OpKind::ConvGradInput, {dy, w}, ai));
  g.accumulate(*w, g.make(OpKind::ConvGradWeight, {x, dy}, aw));
  if (n.numInputs() == 3) {
    std::vector<int64_t> axes{0};
    for (unsigned d = 2; d < n.rank(); ++d)
      axes.push_back(d);
    g.accumulate(n.input(2), g.sum(dy, axes, false));
  }
}

} // namespace lamina

#endif // LAMINA_OPS_CONV_CONVCOMMON_H
