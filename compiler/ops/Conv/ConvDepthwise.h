//===- ConvDepthwise.h - Depthwise convolutions in registers --------------===//
//
// A depthwise convolution (groups = C input channels, one input channel
// per group, O = C m output channels for a multiplier m; dilation 1) sums
// only a kernel's taps per output, K = KH KW multiply-adds: too few to
// amortise the flat rows and register tiles of ConvTiles.h, and the direct
// loops would add into memory once per tap. Its own shape class:
//
// - forward, y[n, o, h, w] = b[o] + sum_k x[n, o / m, h s + kh - before,
//   w s + kw - before] w[o, 0, k], and dL/dx at stride 1,
//   dx[n, c, h, w] = sum_{j < m, k} dy[n, c m + j, h + before - kh,
//   w + before - kw] w[c m + j, 0, k], are one pure expression per output:
//   the taps unrolled into a chain of FMAs in a register, vectors along
//   the width, 4 rows (or vectors) at a time for independent chains, the
//   input read from its zero-padded copy (no bounds test per tap);
// - dL/dw, dw[o, 0, k] = sum_{n, h, w} x[..] dy[n, o, h, w], keeps one
//   vector of partial sums along w per (o, kw) for a tile of output
//   channels x a kernel row, the batch and positions outside it (the tile
//   of ConvTiles.h's weight gradient), dy read from a copy that is zero
//   past the last column so the last vector of a row needs no mask.
//
// dL/dx at a stride, and dL/dw at a stride along the width, keep the
// direct loops.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_CONV_CONVDEPTHWISE_H
#define LAMINA_OPS_CONV_CONVDEPTHWISE_H

#include "ops/Conv/ConvTiles.h"

#include <vector>

namespace lamina {

/// The geometry of a depthwise convolution node.
struct DepthwiseGeometry {
  unsigned spatial = 2;
  int64_t multiplier = 1; // output channels per input channel
  std::vector<int64_t> kernel, stride, before;
};

/// `c` / m, without a division when m is 1.
inline Halide::Expr depthwiseChannel(const DepthwiseGeometry &g,
                                     const Halide::Expr &c) {
  return g.multiplier == 1 ? c : c / static_cast<int>(g.multiplier);
}

/// The depthwise conv1d/conv2d node n from xp, its input zero-padded: a
/// pure Func, bias (input 2) the first term of the chain.
inline Halide::Func lowerDepthwiseConv(const Node &n, LowerContext &ctx,
                                       const DepthwiseGeometry &g,
                                       Halide::Func xp) {
  std::vector<Halide::Var> v = ctx.vars(n); // n, o, (h), w
  Halide::Expr sum =
      n.numInputs() == 3 ? ctx.read(n, 2, {v[1]}) : ctx.constant(n, 0);
  for (const std::vector<int> &k : rowMajorOffsets(g.kernel)) {
    std::vector<Halide::Expr> xi{v[0], depthwiseChannel(g, v[1])};
    std::vector<Halide::Expr> wi{v[1], 0};
    for (unsigned d = 0; d < g.spatial; ++d) {
      xi.push_back(v[2 + d] * static_cast<int>(g.stride[d]) + k[d] -
                   static_cast<int>(g.before[d]));
      wi.push_back(k[d]);
    }
    sum = sum + LowerContext::call(xp, xi) * ctx.read(n, 1, wi);
  }
  Halide::Func f(ctx.name(n));
  LowerContext::define(f, v, sum);
  return f;
}

/// dL/dx of a stride-1 depthwise conv, conv_grad_input node n (dy input 0,
/// w input 1), from dyp, dy zero-padded.
inline Halide::Func lowerDepthwiseGradInput(const Node &n, LowerContext &ctx,
                                            const DepthwiseGeometry &g,
                                            Halide::Func dyp) {
  std::vector<Halide::Var> v = ctx.vars(n); // n, c, (h), w
  Halide::Expr sum = ctx.constant(n, 0);
  for (int64_t j = 0; j < g.multiplier; ++j) {
    Halide::Expr o = g.multiplier == 1 ? Halide::Expr(v[1])
                                       : v[1] * static_cast<int>(g.multiplier) +
                                             static_cast<int>(j);
    for (const std::vector<int> &k : rowMajorOffsets(g.kernel)) {
      std::vector<Halide::Expr> dyi{v[0], o}, wi{o, 0};
      for (unsigned d = 0; d < g.spatial; ++d) {
        dyi.push_back(v[2 + d] + static_cast<int>(g.before[d]) - k[d]);
        wi.push_back(k[d]);
      }
      sum = sum + LowerContext::call(dyp, dyi) * ctx.read(n, 1, wi);
    }
  }
  Halide::Func f(ctx.name(n));
  LowerContext::define(f, v, sum);
  return f;
}

/// Computes a pure depthwise result (forward or dL/dx) into `out` (n's
/// Func or its epilogue's): vectors along the width, the last one shifted
/// inwards; 4 rows unrolled (4 vectors for one spatial dim) so 4 or more
/// chains of FMAs run at once; parallel over the batch.
inline void scheduleDepthwise(const Node &n, Halide::Func &out,
                              LowerContext &ctx) {
  out.compute_root();
  std::vector<Halide::Var> a = out.args(); // w, (h), c, n
  int64_t width = n.shape().back();
  int vw = width >= 4 ? widestPow2Vector(n, width, ctx) : 4;
  bool twoD = n.rank() == 4;
  if (width >= vw) {
    Halide::Var wo("wo"), wi("wi");
    int64_t rows = twoD ? n.shape()[2] : 0;
    if (!twoD && width >= 4 * vw) {
      Halide::Var wt("wt"), wu("wu");
      out.split(a[0], wt, wi, 4 * vw, Halide::TailStrategy::ShiftInwards)
          .split(wi, wu, wi, vw)
          .vectorize(wi)
          .unroll(wu);
    } else {
      out.split(a[0], wo, wi, vw, Halide::TailStrategy::ShiftInwards)
          .vectorize(wi);
    }
    if (twoD && rows >= 4) {
      Halide::Var ho("ho"), hi("hi");
      out.split(a[1], ho, hi, 4, Halide::TailStrategy::ShiftInwards)
          .unroll(hi)
          .reorder(wi, hi, wo, ho);
    }
  }
  if (ctx.parallel(n))
    out.parallel(a.back());
}

/// dL/dw of a depthwise conv, conv_grad_weight node n (x input 0, dy input
/// 1), from xp and dyp, x and dy zero-padded: part(l, kw, kh, c, o) is
/// lane l of the partial sums over the batch, the output rows and the
/// vectors of each row (c is always 0, the weight's single input channel
/// per group), recorded with setReduction; the result sums the lanes.
inline Halide::Func lowerDepthwiseGradWeight(const Node &n, LowerContext &ctx,
                                             const DepthwiseGeometry &g,
                                             Halide::Func xp,
                                             Halide::Func dyp) {
  const Shape &dy = n.input(1).shape();
  int vw = ctx.vectorWidth(n);
  int64_t vectors = (dy.back() + vw - 1) / vw;
  Halide::Region ranges{{0, static_cast<int>(vectors)}};
  if (g.spatial == 2)
    ranges.push_back({0, static_cast<int>(dy[2])});
  ranges.push_back({0, ctx.extent(n.input(0).shape(), 0)});
  Halide::RDom r(ranges, ctx.name(n) + "_r");
  Halide::RVar batch = r[r.dimensions() - 1];
  Halide::Var l("l"), kw("kw"), kh("kh"), c("c"), o("o");
  Halide::Expr p = r.x * vw + l;
  int sw = static_cast<int>(g.stride.back()),
      bw = static_cast<int>(g.before.back());
  std::vector<Halide::Expr> xi{batch, depthwiseChannel(g, o)}, dyi{batch, o};
  if (g.spatial == 2) {
    xi.push_back(r.y * static_cast<int>(g.stride[0]) + kh -
                 static_cast<int>(g.before[0]));
    dyi.push_back(r.y);
  }
  xi.push_back(p * sw + kw - bw);
  dyi.push_back(p);
  Halide::Func part(ctx.name(n) + "_part");
  part(l, kw, kh, c, o) = ctx.constant(n, 0);
  part(l, kw, kh, c, o) +=
      LowerContext::call(xp, xi) * LowerContext::call(dyp, dyi);
  return sumGradWeightLanes(n, ctx, part, vw, ctx.name(n));
}

} // namespace lamina

#endif // LAMINA_OPS_CONV_CONVDEPTHWISE_H
