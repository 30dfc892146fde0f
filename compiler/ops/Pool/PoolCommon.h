//===- PoolCommon.h - Max and average pooling over 1 or 2 spatial dims ----===//
//
// maxpool1d/2d, avgpool1d/2d and their gradients share their geometry, the
// output size rule and the lowerings, written once for S = 1 or 2 spatial
// dims (x is [N, C, L] or [N, C, H, W]):
//
//   y[n, c, p] = max / mean over k in the kernel of x[n, c, p s + k - before]
//
// attrs: kernel [..], stride [..] (default: the kernel), padding
// [before.., after..] (at most half the kernel), ceil_mode 0/1 and, for
// average pooling, count_include_pad 0/1 (default 1), all as in PyTorch.
// Output extent: floor((N + before + after - K)/S) + 1, or with ceil_mode
// the ceiling, less one if the last window would start past the input and
// its leading padding. Max pooling pads with -inf; its gradient goes to the
// first arg-max of each window in row-major order. Average pooling divides
// by the window clipped to the padded input (count_include_pad) or to the
// input itself.
//
// The gradients are gathers, not scatters: input position h of spatial dim
// d lies in the windows p = (h + before)/s - j for j in [0, ceil(K/s)),
// those with 0 <= p < out and an offset h + before - p s below K; each
// input element sums what those windows send it, so the gradients are pure
// definitions that vectorize. Bounds tests are emitted only where the
// geometry needs them (a LeNet 2x2 / stride 2 pool has none).
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPS_POOL_POOLCOMMON_H
#define LAMINA_OPS_POOL_POOLCOMMON_H

#include "lamina/Lower.h"
#include "lamina/OpInfo.h"

#include <string>
#include <vector>

namespace lamina {

/// Windows of up to this many elements are unrolled into one expression (a
/// pure definition, which vectorizes); larger ones become RDom updates.
constexpr int64_t kPoolUnrollLimit = 64;

/// The geometry of a pooling node (forward or gradient).
struct PoolGeometry {
  unsigned spatial = 2;
  std::vector<int64_t> kernel, stride, before, after;
  bool ceilMode = false;
  bool countIncludePad = true;

  /// Reads the attributes of `n` for `spatial` dims. An int stands for the
  /// same value in every dim; padding may also be given once per dim.
  static PoolGeometry of(const Node &n, unsigned spatial);

  /// The padding as written in the attribute.
  std::vector<int64_t> padding() const {
    std::vector<int64_t> p = before;
    p.insert(p.end(), after.begin(), after.end());
    return p;
  }

  /// The number of elements of one window.
  int64_t windowSize() const {
    int64_t k = 1;
    for (int64_t e : kernel)
      k *= e;
    return k;
  }

  /// The output extent of dim `d` for input extent `in` (stride > 0).
  int64_t outExtentOf(unsigned d, int64_t in) const;

  /// "would be floor((4 + 0 + 0 - 2)/2) + 1 = 2": the size rule of dim `d`
  /// worked out (or, for a stride <= 0, said to be undefined).
  std::string formula(unsigned d, int64_t in) const;

  /// Whether every window along dim `d` (input `in`, output `out`) lies
  /// inside the input, so reads there need no bounds test.
  bool inside(unsigned d, int64_t in, int64_t out) const {
    return before[d] == 0 && (out - 1) * stride[d] + kernel[d] <= in;
  }
  /// Whether every window along dim `d` lies inside the padded input.
  bool insidePadded(unsigned d, int64_t in, int64_t out) const {
    return (out - 1) * stride[d] + kernel[d] <= in + before[d] + after[d];
  }

  /// The output extent of dim `d`, or an error that prints the input shape
  /// `x` and the computed size.
  Expected<int64_t> outExtent(const char *op, unsigned d, const Shape &x) const;

  /// The pooled shape of input shape `x` ([N, C, spatial...]), or the error
  /// of the first spatial dim that has none.
  Expected<Shape> outShape(const char *op, const Shape &x) const;
};

/// Type rule of max/avg pooling over `spatial` dims; `op` names the op in
/// the messages.
Expected<TensorType> inferPoolType(const Node &n, unsigned spatial,
                                   const char *op);

/// Type rule of maxpool_grad (x, dy) and avgpool_grad (dy, input_shape): the
/// pooling of the input shape must give dy's shape.
Expected<TensorType> inferPoolGradType(const Node &n, bool isMax);

/// maxpool / avgpool forward over `spatial` dims: window values unrolled
/// into a balanced max or sum tree up to kPoolUnrollLimit elements, an RDom
/// update beyond.
Halide::Func lowerPool(const Node &n, LowerContext &ctx, unsigned spatial,
                       bool isMax);

/// maxpool_grad(x, dy): dy of each window goes to the window's first
/// arg-max (the first in row-major order within the window).
Halide::Func lowerMaxPoolGrad(const Node &n, LowerContext &ctx);

/// avgpool_grad(dy): each window's dy, divided by its divisor, goes to
/// every position of the window.
Halide::Func lowerAvgPoolGrad(const Node &n, LowerContext &ctx);

/// Schedule of the forward ops: compute_root, vectors along the output
/// width (strided loads of x when the stride is > 1), parallel over the
/// batch.
void schedulePool(const Node &n, Halide::Func &f, LowerContext &ctx);

/// OpInfo::rowDims of the pooling ops and their gradients: the batch and
/// the channels, which they compute one (sample, channel) plane at a time.
inline unsigned poolRowDims(const Node &) { return 2; }

/// Schedule of the gradients: compute_root, parallel over the batch. With
/// a stride s > 1 along the width, columns are taken s at a time (unrolled)
/// so each window index is affine in the vector lane: dy and the arg-maxes
/// are dense loads and the s stores interleave into dense ones.
void schedulePoolGrad(const Node &n, Halide::Func &f, LowerContext &ctx);

} // namespace lamina

#endif // LAMINA_OPS_POOL_POOLCOMMON_H
