//===- PoolCommon.h - Max and average pooling over 1 or 2 spatial dims ----===//
//
// maxpool1d/2d and avgpool1d/2d share their geometry, output size rule and
// lowerings, written once for S = 1 or 2 spatial dims:
//
//   y[n, c, p] = max / mean over k of x[n, c, p s + k - before]
//
// attrs: kernel [..], stride [..], padding [before.., after..], ceil_mode,
// and for average pooling count_include_pad (as PyTorch). Max pooling pads
// with -inf; its gradient goes to the first arg-max of each window.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_POOL_POOLCOMMON_H
#define LAMINA_OPS_POOL_POOLCOMMON_H

#include "ops/Conv/ConvCommon.h"

#include <limits>

namespace lamina {

struct PoolGeometry {
  unsigned spatial = 2;
  std::vector<int64_t> kernel, stride, before, after;
  bool ceilMode = false;
  bool countIncludePad = true;

  static PoolGeometry of(const Node &n, unsigned spatial) {
    PoolGeometry g;
    g.spatial = spatial;
    if (n.hasAttr("kernel"))
      g.kernel = n.intsAttr("kernel");
    g.stride = n.hasAttr("stride") ? n.intsAttr("stride") : g.kernel;
    std::vector<int64_t> pad = n.hasAttr("padding")
                                   ? n.intsAttr("padding")
                                   : std::vector<int64_t>(2 * spatial, 0);
    if (pad.size() == 2 * spatial) {
      g.before.assign(pad.begin(), pad.begin() + spatial);
      g.after.assign(pad.begin() + spatial, pad.end());
    }
    g.ceilMode = n.intAttrOr("ceil_mode", 0) != 0;
    g.countIncludePad = n.intAttrOr("count_include_pad", 1) != 0;
    return g;
  }

  /// The output extent of spatial dim `d` for input extent `in`, or an
  /// error that prints the computed size.
  Expected<int64_t> outExtent(const char *op, unsigned d, int64_t in) const {
    std::string o = std::string("'") + op + "' ";
    if (kernel[d] <= 0 || stride[d] <= 0)
      return Expected<int64_t>::error(o + "kernel and stride must be positive");
    if (before[d] < 0 || after[d] < 0 || 2 * before[d] > kernel[d] ||
        2 * after[d] > kernel[d])
      return Expected<int64_t>::error(
          o + "padding must be between 0 and half the kernel (" +
          std::to_string(kernel[d]) + "), got " + std::to_string(before[d]));
    int64_t padded = in + before[d] + after[d];
    if (kernel[d] > padded)
      return Expected<int64_t>::error(
          o + "window " + std::to_string(kernel[d]) +
          " is larger than the padded input " + std::to_string(padded) +
          "; the output size would be floor((" + std::to_string(padded) +
          " - " + std::to_string(kernel[d]) + ")/" + std::to_string(stride[d]) +
          ") + 1 = " +
          std::to_string(floorDiv(padded - kernel[d], stride[d]) + 1));
    int64_t span = padded - kernel[d];
    int64_t out =
        (ceilMode ? (span + stride[d] - 1) / stride[d] : span / stride[d]) + 1;
    // PyTorch: the last window must start inside the input or the padding
    // before it.
    if (ceilMode && (out - 1) * stride[d] >= in + before[d])
      --out;
    return out;
  }
};

/// Type rule of max/avg pooling over `spatial` dims.
inline Expected<TensorType> inferPoolType(const Node &n, unsigned spatial,
                                          const char *op) {
  const TensorType &x = n.input(0).type();
  if (x.rank() != spatial + 2 || !isFloat(x.dtype))
    return typeError(std::string("'") + op + "' needs a float input " +
                     (spatial == 1 ? "[batch, channels, length]"
                                   : "[batch, channels, height, width]") +
                     ", got " + typeToString(x));
  PoolGeometry g = PoolGeometry::of(n, spatial);
  if (g.kernel.size() != spatial || g.stride.size() != spatial ||
      g.before.size() != spatial)
    return typeError(std::string("'") + op + "' needs " +
                     std::to_string(spatial) + " kernel and stride values");
  Shape out{x.shape[0], x.shape[1]};
  for (unsigned d = 0; d < spatial; ++d) {
    Expected<int64_t> e = g.outExtent(op, d, x.shape[2 + d]);
    if (!e)
      return typeError(e.errorMessage() + " (input " + shapeToString(x.shape) +
                       ")");
    out.push_back(*e);
  }
  return TensorType{x.dtype, out};
}

/// Logical indices of x under window position `p` and offset `k`.
inline std::vector<Halide::Expr>
windowIndex(const PoolGeometry &g, const std::vector<Halide::Var> &v,
            const std::vector<Halide::Expr> &k) {
  std::vector<Halide::Expr> idx{v[0], v[1]};
  for (unsigned d = 0; d < g.spatial; ++d)
    idx.push_back(v[2 + d] * static_cast<int>(g.stride[d]) + k[d] -
                  static_cast<int>(g.before[d]));
  return idx;
}

/// The kernel as an RDom, one dim per spatial dim.
inline Halide::RDom kernelDom(const PoolGeometry &g, const std::string &name) {
  Halide::Region r;
  for (int64_t k : g.kernel)
    r.push_back({0, static_cast<int>(k)});
  return Halide::RDom(r, name);
}

/// The divisor of the average over the window at output position `p`
/// (PyTorch: windows are clipped to the padded input, and to the input
/// itself without count_include_pad).
inline Halide::Expr avgDivisor(const PoolGeometry &g, const Shape &in,
                               const std::vector<Halide::Expr> &p) {
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

/// maxpool / avgpool forward.
inline Halide::Func lowerPool(const Node &n, LowerContext &ctx,
                              unsigned spatial, bool isMax) {
  PoolGeometry g = PoolGeometry::of(n, spatial);
  const Node &x = n.input(0);
  Halide::Region bounds;
  for (unsigned d = x.rank(); d-- > 0;)
    bounds.push_back({0, ctx.extent(x.shape(), d)});
  Halide::Expr fill =
      isMax ? Halide::Expr(ctx.type(x).min()) : Halide::cast(ctx.type(x), 0);
  Halide::Func xp = Halide::BoundaryConditions::constant_exterior(
      ctx.input(n, 0), fill, bounds);
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  Halide::RDom r = kernelDom(g, ctx.name(n) + "_r");
  std::vector<Halide::Expr> k;
  for (unsigned d = 0; d < spatial; ++d)
    k.push_back(r[d]);
  Halide::Expr val = LowerContext::call(xp, windowIndex(g, v, k));
  std::vector<Halide::Expr> idx = LowerContext::exprs(v);
  if (isMax) {
    LowerContext::define(f, v, fill);
    at(f, idx) = Halide::max(at(f, idx), val);
    return f;
  }
  Halide::Func sum(ctx.name(n) + "_sum");
  LowerContext::define(sum, v, fill);
  at(sum, idx) += val;
  std::vector<Halide::Expr> p(idx.begin() + 2, idx.end());
  LowerContext::define(
      f, v,
      LowerContext::call(sum, idx) /
          Halide::cast(ctx.type(n), avgDivisor(g, x.shape(), p)));
  sum.compute_at(f, v[v.size() - 1 >= 2 ? 1 : 0]);
  return f;
}

/// For the gradients: each input position h is covered by the windows p
/// with p s - before <= h < p s - before + k, at most ceil(k / s) of them
/// per dim: p = (h + before) / s - j for j in [0, ceil(k / s)).
struct WindowsOf {
  Halide::RDom r;
  std::vector<Halide::Expr> p;
  Halide::Expr valid;
  /// Offset of h in window p, per dim.
  std::vector<Halide::Expr> offset;
};

inline WindowsOf windowsCovering(const PoolGeometry &g,
                                 const std::vector<Halide::Var> &v,
                                 const Shape &out, const std::string &name) {
  WindowsOf w;
  Halide::Region ranges;
  for (unsigned d = 0; d < g.spatial; ++d)
    ranges.push_back(
        {0, static_cast<int>((g.kernel[d] + g.stride[d] - 1) / g.stride[d])});
  w.r = Halide::RDom(ranges, name);
  w.valid = Halide::cast<bool>(true);
  for (unsigned d = 0; d < g.spatial; ++d) {
    int s = static_cast<int>(g.stride[d]);
    Halide::Expr shifted = v[2 + d] + static_cast<int>(g.before[d]);
    Halide::Expr p = shifted / s - w.r[d];
    Halide::Expr off = shifted - p * s;
    w.valid = w.valid && p >= 0 && p < static_cast<int>(out[2 + d]) &&
              off < static_cast<int>(g.kernel[d]);
    w.p.push_back(p);
    w.offset.push_back(off);
  }
  return w;
}

/// Type rule of maxpool_grad (x, dy) and avgpool_grad (dy, input_shape).
inline Expected<TensorType> inferPoolGradType(const Node &n, bool isMax) {
  if (isMax)
    return n.input(0).type();
  if (!n.hasAttr("input_shape"))
    return typeError("'avgpool_grad' needs an 'input_shape' attribute");
  return TensorType{n.input(0).dtype(), n.intsAttr("input_shape")};
}

/// maxpool_grad(x, dy): dy of each window goes to the window's first
/// arg-max (the first in row-major order within the window).
inline Halide::Func lowerMaxPoolGrad(const Node &n, LowerContext &ctx) {
  const Node &x = n.input(0), &dy = n.input(1);
  unsigned spatial = x.rank() - 2;
  PoolGeometry g = PoolGeometry::of(n, spatial);
  Halide::Region bounds;
  for (unsigned d = x.rank(); d-- > 0;)
    bounds.push_back({0, ctx.extent(x.shape(), d)});
  Halide::Expr lowest = Halide::Expr(ctx.type(x).min());
  Halide::Func xp = Halide::BoundaryConditions::constant_exterior(
      ctx.input(n, 0), lowest, bounds);
  // first[n, c, p]: the row-major offset within window p of its first max.
  Halide::Func best(ctx.name(n) + "_max"), first(ctx.name(n) + "_argmax");
  std::vector<Halide::Var> pv = LowerContext::vars(dy.rank());
  std::vector<Halide::Expr> pi = LowerContext::exprs(pv);
  Halide::RDom r = kernelDom(g, ctx.name(n) + "_r");
  std::vector<Halide::Expr> k;
  Halide::Expr flat = 0;
  for (unsigned d = 0; d < spatial; ++d) {
    k.push_back(r[d]);
    flat = flat * static_cast<int>(g.kernel[d]) + r[d];
  }
  Halide::Expr val = LowerContext::call(xp, windowIndex(g, pv, k));
  LowerContext::define(best, pv, lowest);
  at(best, pi) = Halide::max(at(best, pi), val);
  int windowSize = 1;
  for (int64_t kd : g.kernel)
    windowSize *= static_cast<int>(kd);
  LowerContext::define(first, pv, windowSize);
  at(first, pi) = Halide::min(
      at(first, pi),
      Halide::select(val == LowerContext::call(best, pi), flat, windowSize));
  best.compute_at(first, pv[1]);
  first.compute_root();
  if (ctx.parallel()) {
    first.parallel(pv[0]);
    first.update().parallel(pv[0]);
  }

  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  WindowsOf w = windowsCovering(g, v, dy.shape(), ctx.name(n) + "_w");
  std::vector<Halide::Expr> wi{v[0], v[1]};
  Halide::Expr offFlat = 0;
  for (unsigned d = 0; d < spatial; ++d) {
    wi.push_back(w.p[d]);
    offFlat = offFlat * static_cast<int>(g.kernel[d]) + w.offset[d];
  }
  // Clamp the reads: invalid windows are masked, but must not read out of
  // bounds.
  std::vector<Halide::Expr> safe = wi;
  for (unsigned d = 0; d < spatial; ++d)
    safe[2 + d] =
        Halide::clamp(wi[2 + d], 0, static_cast<int>(dy.shape()[2 + d]) - 1);
  Halide::Expr hit = w.valid && LowerContext::call(first, safe) == offFlat;
  LowerContext::define(f, v, ctx.constant(n, 0));
  at(f, LowerContext::exprs(v)) +=
      Halide::select(hit, ctx.read(n, 1, safe), ctx.constant(n, 0));
  return f;
}

/// avgpool_grad(dy): each window's dy, divided by its divisor, goes to
/// every position of the window.
inline Halide::Func lowerAvgPoolGrad(const Node &n, LowerContext &ctx) {
  const Node &dy = n.input(0);
  unsigned spatial = n.rank() - 2;
  PoolGeometry g = PoolGeometry::of(n, spatial);
  Halide::Func f(ctx.name(n));
  std::vector<Halide::Var> v = ctx.vars(n);
  WindowsOf w = windowsCovering(g, v, dy.shape(), ctx.name(n) + "_w");
  std::vector<Halide::Expr> safe{v[0], v[1]};
  for (unsigned d = 0; d < spatial; ++d)
    safe.push_back(
        Halide::clamp(w.p[d], 0, static_cast<int>(dy.shape()[2 + d]) - 1));
  Halide::Expr share = ctx.read(n, 0, safe) /
                       Halide::cast(ctx.type(n), avgDivisor(g, n.shape(), w.p));
  LowerContext::define(f, v, ctx.constant(n, 0));
  at(f, LowerContext::exprs(v)) +=
      Halide::select(w.valid, share, ctx.constant(n, 0));
  return f;
}

} // namespace lamina

#endif // LAMINA_OPS_POOL_POOLCOMMON_H
