//===- PoolCommon.cpp - Max and average pooling over 1 or 2 spatial dims --===//
//
// The geometry, type rules, lowerings and schedules declared in
// PoolCommon.h, compiled once for the six pooling ops.
//
//===----------------------------------------------------------------------===//
#include "ops/Pool/PoolCommon.h"
#include "ops/ReduceCommon.h"

#include <string>
#include <vector>

namespace lamina {

/// "[2, 2]".
static std::string poolIntsToString(const std::vector<int64_t> &v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// PoolGeometry
//===----------------------------------------------------------------------===//

PoolGeometry PoolGeometry::of(const Node &n, unsigned spatial) {
  // checkNode has checked the attribute kinds against the schema
  // (PoolAttrs.h), whose defaults fill in what the node leaves out.
  auto list = [&](const Attr &a) {
    if (const auto *v = std::get_if<int64_t>(&a))
      return std::vector<int64_t>(spatial, *v);
    return std::get<std::vector<int64_t>>(a);
  };
  PoolGeometry g;
  g.spatial = spatial;
  g.kernel = list(n.attrs().at("kernel"));
  g.stride = n.hasAttr("stride") ? list(n.attrs().at("stride")) : g.kernel;
  if (g.stride.empty())
    g.stride = g.kernel;
  std::vector<int64_t> pad = list(attrOrDefault(n, "padding"));
  if (pad.size() == spatial)
    pad.insert(pad.end(), pad.begin(), pad.end());
  if (pad.size() == 2 * spatial) {
    g.before.assign(pad.begin(), pad.begin() + spatial);
    g.after.assign(pad.begin() + spatial, pad.end());
  }
  g.ceilMode = intAttrOf(n, "ceil_mode") != 0;
  g.countIncludePad = intAttrOf(n, "count_include_pad") != 0;
  return g;
}

int64_t PoolGeometry::outExtentOf(unsigned d, int64_t in) const {
  int64_t span = in + before[d] + after[d] - kernel[d];
  int64_t out = floorDiv(span + (ceilMode ? stride[d] - 1 : 0), stride[d]) + 1;
  // PyTorch: the last window must start inside the input or the padding
  // before it.
  if (ceilMode && out > 1 && (out - 1) * stride[d] >= in + before[d])
    --out;
  return out;
}

std::string PoolGeometry::formula(unsigned d, int64_t in) const {
  std::string f = std::string(ceilMode ? "ceil" : "floor") + "((" +
                  std::to_string(in) + " + " + std::to_string(before[d]) +
                  " + " + std::to_string(after[d]) + " - " +
                  std::to_string(kernel[d]) + ")/" + std::to_string(stride[d]) +
                  ") + 1";
  if (stride[d] <= 0)
    return f + " is undefined";
  return "would be " + f + " = " + std::to_string(outExtentOf(d, in));
}

Expected<int64_t> PoolGeometry::outExtent(const char *op, unsigned d,
                                          const Shape &x) const {
  int64_t in = x[2 + d];
  std::string o = std::string("'") + op + "' ";
  std::string dim = spatial == 1 ? "" : (d == 0 ? " (height)" : " (width)");
  std::string tail = " (input " + shapeToString(x) + ")";
  auto fail = [&](std::string msg) {
    return Expected<int64_t>::error(o + msg + "; the output size" + dim + " " +
                                    formula(d, in) + tail);
  };
  if (stride[d] <= 0)
    return fail("stride must be positive, got " + poolIntsToString(stride));
  if (kernel[d] <= 0)
    return fail("kernel must be positive, got " + poolIntsToString(kernel));
  if (before[d] < 0 || after[d] < 0 || 2 * before[d] > kernel[d] ||
      2 * after[d] > kernel[d])
    return fail("padding " + poolIntsToString(padding()) +
                " must be between 0 and half the kernel " +
                poolIntsToString(kernel));
  int64_t padded = in + before[d] + after[d];
  if (kernel[d] > padded)
    return fail("window " + std::to_string(kernel[d]) + dim +
                " is larger than the padded input " + std::to_string(in) +
                " + " + std::to_string(before[d]) + " + " +
                std::to_string(after[d]) + " = " + std::to_string(padded));
  return outExtentOf(d, in);
}

Expected<Shape> PoolGeometry::outShape(const char *op, const Shape &x) const {
  Shape out{x[0], x[1]};
  for (unsigned d = 0; d < spatial; ++d) {
    Expected<int64_t> e = outExtent(op, d, x);
    if (!e)
      return Expected<Shape>::error(e.errorMessage());
    out.push_back(*e);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Type rules
//===----------------------------------------------------------------------===//

/// Type rule of max/avg pooling over `spatial` dims.
Expected<TensorType> inferPoolType(const Node &n, unsigned spatial,
                                   const char *op) {
  const TensorType &x = n.input(0).type();
  std::string o = std::string("'") + op + "' ";
  if (x.rank() != spatial + 2 || !isFloat(x.dtype))
    return typeError(o + "needs a float input " +
                     (spatial == 1 ? "[batch, channels, length]"
                                   : "[batch, channels, height, width]") +
                     ", got " + typeToString(x));
  PoolGeometry g = PoolGeometry::of(n, spatial);
  if (g.kernel.size() != spatial || g.stride.size() != spatial ||
      g.before.size() != spatial)
    return typeError(
        o + "needs " + std::to_string(spatial) +
        " kernel and stride values and " + std::to_string(2 * spatial) +
        " padding values, got kernel " + poolIntsToString(g.kernel) +
        ", stride " + poolIntsToString(g.stride) + ", padding " +
        poolIntsToString(g.padding()));
  Expected<Shape> out = g.outShape(op, x.shape);
  if (!out)
    return typeError(out.errorMessage());
  return TensorType{x.dtype, *out};
}

/// Type rule of maxpool_grad (x, dy) and avgpool_grad (dy, input_shape): the
/// pooling of the input shape must give dy's shape.
Expected<TensorType> inferPoolGradType(const Node &n, bool isMax) {
  const char *op = isMax ? "maxpool_grad" : "avgpool_grad";
  std::string o = std::string("'") + op + "' ";
  const TensorType &dy = n.input(isMax ? 1 : 0).type();
  TensorType x;
  if (isMax) {
    x = n.input(0).type();
    if (x.dtype != dy.dtype)
      return typeError(o + "needs x and dy of one type, got " +
                       typeToString(x) + " and " + typeToString(dy));
  } else {
    auto it = n.attrs().find("input_shape");
    if (it == n.attrs().end() ||
        !std::holds_alternative<std::vector<int64_t>>(it->second))
      return typeError(o + "needs an 'input_shape' attribute");
    x = TensorType{dy.dtype, std::get<std::vector<int64_t>>(it->second)};
  }
  if (x.rank() != 3 && x.rank() != 4)
    return typeError(o + "needs an input of rank 3 or 4, got " +
                     typeToString(x));
  unsigned spatial = x.rank() - 2;
  PoolGeometry g = PoolGeometry::of(n, spatial);
  if (g.kernel.size() != spatial || g.stride.size() != spatial ||
      g.before.size() != spatial)
    return typeError(o + "has malformed pooling attributes");
  Expected<Shape> out = g.outShape(op, x.shape);
  if (!out)
    return typeError(out.errorMessage());
  if (dy.shape != *out)
    return typeError(o + "dy " + typeToString(dy) + " does not match the " +
                     "pooled input shape " + shapeToString(*out));
  return x;
}

//===----------------------------------------------------------------------===//
// Lowering
//===----------------------------------------------------------------------===//

/// Input 0 of pooling node `n` (x, whose pooling has output shape `out`)
/// as a Func read with `fill` outside the input, bounded only along the
/// spatial dims where windows leave it.
static Halide::Func poolSource(const Node &n, LowerContext &ctx,
                               const PoolGeometry &g, const Shape &out,
                               const Halide::Expr &fill) {
  const Node &x = n.input(0);
  Halide::Region bounds(x.rank());
  bool any = false;
  for (unsigned d = 0; d < g.spatial; ++d) {
    int64_t in = x.shape()[2 + d];
    if (g.inside(d, in, out[2 + d]))
      continue;
    // Halide lists dims innermost first.
    bounds[g.spatial - 1 - d] = Halide::Range(0, static_cast<int>(in));
    any = true;
  }
  if (!any)
    return ctx.input(n, 0);
  return Halide::BoundaryConditions::constant_exterior(ctx.input(n, 0), fill,
                                                       bounds);
}

/// The logical indices of x under window position `p` (its first two
/// entries are n and c) at window offset `k`.
static std::vector<Halide::Expr>
windowIndex(const PoolGeometry &g, const std::vector<Halide::Expr> &p,
            const std::vector<Halide::Expr> &k) {
  std::vector<Halide::Expr> idx{p[0], p[1]};
  for (unsigned d = 0; d < g.spatial; ++d)
    idx.push_back(p[2 + d] * static_cast<int>(g.stride[d]) + k[d] -
                  static_cast<int>(g.before[d]));
  return idx;
}

/// The divisor of the average over window `p` (spatial indices only) for
/// input shape `in` and output shape `out`: the window clipped to the
/// padded input, and to the input itself without count_include_pad (as
/// PyTorch). A constant when no window is clipped.
static Halide::Expr avgDivisor(const PoolGeometry &g, const Shape &in,
                               const Shape &out,
                               const std::vector<Halide::Expr> &p) {
  bool constant = true;
  for (unsigned d = 0; d < g.spatial; ++d)
    constant &= g.countIncludePad ? g.insidePadded(d, in[2 + d], out[2 + d])
                                  : g.inside(d, in[2 + d], out[2 + d]);
  if (constant)
    return static_cast<int>(g.windowSize());
  Halide::Expr count = 1;
  for (unsigned d = 0; d < g.spatial; ++d) {
    int extent = static_cast<int>(in[2 + d]);
    Halide::Expr start =
        p[d] * static_cast<int>(g.stride[d]) - static_cast<int>(g.before[d]);
    Halide::Expr end = Halide::min(start + static_cast<int>(g.kernel[d]),
                                   extent + static_cast<int>(g.after[d]));
    if (!g.countIncludePad) {
      start = Halide::max(start, 0);
      end = Halide::min(end, extent);
    }
    count = count * Halide::max(end - start, 1);
  }
  return count;
}

/// max or sum of `e` as a balanced tree (independent operations).
static Halide::Expr poolTree(std::vector<Halide::Expr> e, bool isMax) {
  while (e.size() > 1) {
    std::vector<Halide::Expr> next;
    for (size_t i = 0; i + 1 < e.size(); i += 2)
      next.push_back(isMax ? Halide::max(e[i], e[i + 1]) : e[i] + e[i + 1]);
    if (e.size() % 2)
      next.push_back(e.back());
    e = std::move(next);
  }
  return e[0];
}

/// How a pooling Func's innermost dim of `extent` is vectorized.
struct PoolVectors {
  int width = 0; // 0: scalar
  Halide::TailStrategy tail = Halide::TailStrategy::GuardWithIf;
};

/// The vectors of a pure stage: the widest power of two of at most the
/// target's width that fits in the extent (14 -> 8), the last vector shifted
/// inwards to overlap the one before it (a few values computed twice, no
/// predicated store); for an update stage, whose values may not be
/// recomputed, and extents under 4: the widest of at most a 256-bit vector
/// that divides the extent (10 -> 5), or scalar. There is never a
/// predicated tail: Halide 14 loses the predicate of such a tail's stores
/// once it deinterleaves the stride-2 window reads of a gradient, writing
/// past the row (and the predicated strided loads of a forward tail cost
/// as much as a scalar loop anyway).
static PoolVectors poolVectors(const Node &n, int64_t extent, LowerContext &ctx,
                               bool pure) {
  if (pure && extent >= 4)
    return {widestPow2Vector(n, extent, ctx),
            Halide::TailStrategy::ShiftInwards};
  int vw = 32 / static_cast<int>(dtypeSize(n.dtype()));
  for (int w = vw; w >= 2; --w)
    if (extent % w == 0)
      return {w};
  return {};
}

namespace {
/// The column tiling of a pooling gradient (see schedulePoolGrad): `s`
/// columns per window step along the width, unrolled, under vectors of
/// window columns. Tiled only when s divides the width, so no store is
/// predicated; s == 1 means not tiled (the vectors then run along the
/// columns).
struct PoolGradTiles {
  int s = 1;
  PoolVectors v;
};
} // namespace

static PoolGradTiles poolGradTiles(const Node &n, LowerContext &ctx) {
  PoolGeometry g = PoolGeometry::of(n, n.rank() - 2);
  int64_t s = g.stride.back(), width = n.shape().back();
  if (s > 1 && s <= 4 && width % s == 0) {
    PoolVectors v = poolVectors(n, width / s, ctx, true);
    if (v.width)
      return {static_cast<int>(s), v};
  }
  return {1, poolVectors(n, width, ctx, true)};
}

/// maxpool / avgpool forward.
Halide::Func lowerPool(const Node &n, LowerContext &ctx, unsigned spatial,
                       bool isMax) {
  PoolGeometry g = PoolGeometry::of(n, spatial);
  const Node &x = n.input(0);
  Halide::Type t = ctx.type(x);
  Halide::Expr fill = isMax ? t.min() : Halide::cast(t, 0);
  Halide::Func src = poolSource(n, ctx, g, n.shape(), fill);
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  std::vector<Halide::Expr> idx = LowerContext::exprs(v);
  std::vector<Halide::Expr> p(idx.begin() + 2, idx.end());
  Halide::Expr div = avgDivisor(g, x.shape(), n.shape(), p);
  const int64_t *constDiv = Halide::Internal::as_const_int(div);
  auto finish = [&](Halide::Expr sum) {
    if (constDiv)
      return sum * Halide::Internal::make_const(
                       t, 1.0 / static_cast<double>(*constDiv));
    return sum / Halide::cast(t, div);
  };
  if (g.windowSize() <= kPoolUnrollLimit) {
    std::vector<Halide::Expr> vals;
    for (const std::vector<int> &o : rowMajorOffsets(g.kernel)) {
      std::vector<Halide::Expr> k(o.begin(), o.end());
      vals.push_back(LowerContext::call(src, windowIndex(g, idx, k)));
    }
    Halide::Expr e = poolTree(vals, isMax);
    LowerContext::define(f, v, isMax ? e : finish(e));
    return f;
  }
  Halide::RDom r = [&] {
    Halide::Region rk;
    for (int64_t k : g.kernel)
      rk.push_back({0, static_cast<int>(k)});
    return Halide::RDom(rk, ctx.name(n) + "_r");
  }();
  std::vector<Halide::Expr> k;
  for (unsigned d = 0; d < spatial; ++d)
    k.push_back(r[d]);
  Halide::Expr val = LowerContext::call(src, windowIndex(g, idx, k));
  if (isMax) {
    LowerContext::define(f, v, fill);
    at(f, idx) = Halide::max(at(f, idx), val);
    return f;
  }
  Halide::Func sum(ctx.name(n) + "_sum");
  LowerContext::define(sum, v, fill);
  at(sum, idx) += val;
  LowerContext::define(f, v, finish(LowerContext::call(sum, idx)));
  sum.compute_at(f, v[0]);
  return f;
}

namespace {
/// The windows that contain input position `v` (logical vars of x): one
/// entry per combination j of window steps back, in row-major order.
struct CoveringWindow {
  /// Window indices (n, c, p..) to read dy and per-window values at; clamped
  /// into range where `valid` may be false.
  std::vector<Halide::Expr> p;
  /// Whether the window exists and contains v; undefined means always.
  Halide::Expr valid;
  /// v's row-major offset within the window.
  Halide::Expr offset;
};
} // namespace

static std::vector<CoveringWindow>
coveringWindows(const PoolGeometry &g, const std::vector<Halide::Var> &v,
                const Shape &in, const Shape &out) {
  std::vector<int64_t> steps;
  for (unsigned d = 0; d < g.spatial; ++d)
    steps.push_back((g.kernel[d] + g.stride[d] - 1) / g.stride[d]);
  std::vector<CoveringWindow> all;
  for (const std::vector<int> &j : rowMajorOffsets(steps)) {
    CoveringWindow w;
    w.p = {v[0], v[1]};
    w.offset = 0;
    for (unsigned d = 0; d < g.spatial; ++d) {
      int s = static_cast<int>(g.stride[d]), k = static_cast<int>(g.kernel[d]);
      int b = static_cast<int>(g.before[d]), o = static_cast<int>(out[2 + d]);
      int64_t lastQ = (in[2 + d] - 1 + b) / s;
      Halide::Expr shifted = v[2 + d] + b;
      Halide::Expr p = shifted / s - j[d];
      Halide::Expr off = shifted % s + j[d] * s;
      std::vector<Halide::Expr> conds;
      Halide::Expr safe = p;
      if (j[d] > 0) {
        conds.push_back(p >= 0);
        safe = Halide::max(safe, 0);
      }
      if (lastQ - j[d] >= o) {
        conds.push_back(p < o);
        safe = Halide::min(safe, o - 1);
      }
      if (j[d] * s + s - 1 >= k)
        conds.push_back(off < k);
      for (const Halide::Expr &c : conds)
        w.valid = w.valid.defined() ? (w.valid && c) : c;
      w.p.push_back(safe);
      w.offset = w.offset * k + off;
    }
    all.push_back(std::move(w));
  }
  return all;
}

/// maxpool_grad(x, dy): dy of each window goes to the window's first
/// arg-max (the first in row-major order within the window).
Halide::Func lowerMaxPoolGrad(const Node &n, LowerContext &ctx) {
  const Node &x = n.input(0), &dy = n.input(1);
  unsigned spatial = x.rank() - 2;
  PoolGeometry g = PoolGeometry::of(n, spatial);
  Halide::Type t = ctx.type(x);
  Halide::Func src = poolSource(n, ctx, g, dy.shape(), t.min());
  // first[n, c, p]: the row-major offset within window p of its first max.
  Halide::Func first(ctx.name(n) + "_argmax");
  std::vector<Halide::Var> pv = LowerContext::vars(dy.rank());
  std::vector<Halide::Expr> pi = LowerContext::exprs(pv);
  if (g.windowSize() <= kPoolUnrollLimit) {
    Halide::Expr best, arg = 0;
    int i = 0;
    for (const std::vector<int> &o : rowMajorOffsets(g.kernel)) {
      std::vector<Halide::Expr> k(o.begin(), o.end());
      Halide::Expr val = LowerContext::call(src, windowIndex(g, pi, k));
      if (i == 0) {
        best = val;
      } else {
        // Strictly greater: ties keep the earlier position.
        arg = Halide::select(val > best, i, arg);
        best = Halide::max(best, val);
      }
      ++i;
    }
    LowerContext::define(first, pv, arg);
  } else {
    Halide::Region rk;
    for (int64_t k : g.kernel)
      rk.push_back({0, static_cast<int>(k)});
    Halide::RDom r(rk, ctx.name(n) + "_r");
    std::vector<Halide::Expr> k;
    Halide::Expr flat = 0;
    for (unsigned d = 0; d < spatial; ++d) {
      k.push_back(r[d]);
      flat = flat * static_cast<int>(g.kernel[d]) + r[d];
    }
    Halide::Expr val = LowerContext::call(src, windowIndex(g, pi, k));
    Halide::Func best(ctx.name(n) + "_max");
    LowerContext::define(best, pv, t.min());
    at(best, pi) = Halide::max(at(best, pi), val);
    int size = static_cast<int>(g.windowSize());
    LowerContext::define(first, pv, size);
    at(first, pi) = Halide::min(
        at(first, pi),
        Halide::select(val == LowerContext::call(best, pi), flat, size));
    best.compute_at(first, pv[1]);
  }

  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  Halide::Expr zero = ctx.constant(n, 0);
  std::vector<Halide::Expr> terms;
  for (const CoveringWindow &w : coveringWindows(g, v, x.shape(), dy.shape())) {
    Halide::Expr hit = LowerContext::call(first, w.p) == w.offset;
    if (w.valid.defined())
      hit = w.valid && hit;
    terms.push_back(Halide::select(hit, ctx.read(n, 1, w.p), zero));
  }
  LowerContext::define(f, v, poolTree(terms, false));
  // schedulePoolGrad computes the arg-maxes where f (or its epilogue) needs
  // them.
  ctx.setReduction(n, first);
  if (PoolVectors pure = poolVectors(n, dy.shape().back(), ctx, true);
      pure.width)
    first.vectorize(pv.back(), pure.width, pure.tail);
  if (PoolVectors upd = poolVectors(n, dy.shape().back(), ctx, false);
      upd.width)
    for (int u = 0; u < first.num_update_definitions(); ++u)
      first.update(u).vectorize(pv.back(), upd.width, upd.tail);
  return f;
}

/// avgpool_grad(dy): each window's dy, divided by its divisor, goes to
/// every position of the window.
Halide::Func lowerAvgPoolGrad(const Node &n, LowerContext &ctx) {
  const Node &dy = n.input(0);
  unsigned spatial = n.rank() - 2;
  PoolGeometry g = PoolGeometry::of(n, spatial);
  Halide::Type t = ctx.type(n);
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  Halide::Expr zero = ctx.constant(n, 0);
  std::vector<Halide::Expr> terms;
  int64_t constDiv = 0;
  for (const CoveringWindow &w : coveringWindows(g, v, n.shape(), dy.shape())) {
    std::vector<Halide::Expr> p(w.p.begin() + 2, w.p.end());
    Halide::Expr div = avgDivisor(g, n.shape(), dy.shape(), p);
    Halide::Expr share = ctx.read(n, 0, w.p);
    if (const int64_t *c = Halide::Internal::as_const_int(div))
      constDiv = *c;
    else
      share = share / Halide::cast(t, div);
    terms.push_back(w.valid.defined() ? Halide::select(w.valid, share, zero)
                                      : share);
  }
  Halide::Expr e = poolTree(terms, false);
  if (constDiv)
    e = e *
        Halide::Internal::make_const(t, 1.0 / static_cast<double>(constDiv));
  LowerContext::define(f, v, e);
  return f;
}

/// Schedule of the forward ops: compute_root, vectors along the output
/// width (strided loads of x when the stride is > 1), parallel over the
/// batch.
void schedulePool(const Node &n, Halide::Func &f, LowerContext &ctx) {
  f.compute_root();
  std::vector<Halide::Var> args = f.args();
  PoolVectors pure = poolVectors(n, n.shape().back(), ctx, true);
  PoolVectors upd = poolVectors(n, n.shape().back(), ctx, false);
  if (pure.width)
    f.vectorize(args[0], pure.width, pure.tail);
  if (ctx.parallel(n))
    f.parallel(args.back());
  for (int u = 0; u < f.num_update_definitions(); ++u) {
    Halide::Stage s = f.update(u);
    // The window loop runs outside the vector of outputs.
    reorderReductionInsideVector(f, u);
    if (upd.width)
      s.vectorize(args[0], upd.width, upd.tail);
    if (ctx.parallel(n))
      s.parallel(args.back());
  }
}

/// Schedule of the gradients: compute_root, parallel over the batch. With
/// a stride s > 1 along the width, columns are taken s at a time (unrolled)
/// so each window index is affine in the vector lane: dy and the arg-maxes
/// are dense loads and the s stores interleave into dense ones. `f` may be
/// an epilogue of n (OpInfo::tilesEpilogue: a relu mask), into which n's
/// values are inlined; maxpool_grad's arg-maxes are computed per row of the
/// outermost dim (a sample, or a sample's channel), inside the parallel
/// loop.
void schedulePoolGrad(const Node &n, Halide::Func &f, LowerContext &ctx) {
  f.compute_root();
  std::vector<Halide::Var> args = f.args();
  if (n.kind() == OpKind::MaxPoolGrad)
    ctx.reductionOf(n).compute_at(f, args.back());
  PoolGradTiles t = poolGradTiles(n, ctx);
  if (t.s > 1) {
    Halide::Var wo(args[0].name() + "_o"), wi(args[0].name() + "_i");
    f.split(args[0], wo, wi, t.s, Halide::TailStrategy::GuardWithIf)
        .unroll(wi)
        .vectorize(wo, t.v.width, t.v.tail);
  } else if (t.v.width) {
    f.vectorize(args[0], t.v.width, t.v.tail);
  }
  if (ctx.parallel(n))
    f.parallel(args.back());
}

} // namespace lamina
