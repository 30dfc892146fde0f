//===- GradCheckPool.cpp - Gradient-check cases of the pooling ops --------===//
//
// Each input is a shuffled, evenly spaced ramp, so no two elements are
// within 2/n of each other: far more than the finite-difference step, so
// no window's arg-max moves while an element is nudged and max pooling is
// differentiable at every point checked.
//
//===----------------------------------------------------------------------===//
#include "GradCheckCases.h"

#include <algorithm>

namespace lamina::test {

namespace {

using Ints = std::vector<int64_t>;

/// pool(x) for x of `shape` (holding the batch) filled with a shuffled ramp
/// over [-1, 1].
GradCase pool(const std::string &name, OpKind k, Shape shape, Attrs attrs) {
  return {name, {k}, [=](CaseGraph &c) {
            int64_t count = numElements(shape, kCaseBatch);
            std::vector<double> v;
            for (int64_t i = 0; i < count; ++i)
              v.push_back(-1.0 + 2.0 * (static_cast<double>(i) + 0.5) /
                                     static_cast<double>(count));
            std::shuffle(v.begin(), v.end(), c.rng());
            return c.weighted(c.op(k, {c.param("x", shape, v)}, attrs));
          }};
}

Attrs attrs(Ints kernel, Ints stride, Ints padding, bool ceil = false) {
  return {{"kernel", std::move(kernel)},
          {"stride", std::move(stride)},
          {"padding", std::move(padding)},
          {"ceil_mode", int64_t(ceil)}};
}

Attrs excludePad(Attrs a) {
  a["count_include_pad"] = int64_t(0);
  return a;
}

} // namespace

std::vector<GradCase> poolCases() {
  OpKind m2 = OpKind::MaxPool2d, a2 = OpKind::AvgPool2d;
  OpKind m1 = OpKind::MaxPool1d, a1 = OpKind::AvgPool1d;
  Shape s44{kBatch, 2, 4, 4}, s55{kBatch, 2, 5, 5}, s56{kBatch, 2, 5, 6};
  Shape s57{kBatch, 2, 5, 7}, s66{kBatch, 2, 6, 6};
  // LeNet's 2x2 / stride 2 (non-overlapping, one window per element).
  Attrs k2 = attrs({2, 2}, {2, 2}, {0, 0, 0, 0});
  // Overlapping windows with padding: up to 4 windows per element.
  Attrs overlap = attrs({3, 3}, {2, 2}, {1, 1, 1, 1});
  // Stride 1: up to 9 windows per element; asymmetric padding.
  Attrs dense = attrs({3, 3}, {1, 1}, {1, 0, 0, 1});
  // ceil_mode: the last window hangs over the input's end (5 -> 3).
  Attrs ceil = attrs({2, 2}, {2, 2}, {0, 0, 0, 0}, true);
  // ceil_mode with padding: 6 -> 4 (floor: 3), the last window starting
  // in the input and ending past the padding.
  Attrs ceilPad = attrs({3, 3}, {2, 2}, {1, 1, 1, 1}, true);
  // ceil_mode whose extra window would start in the trailing padding, so
  // PyTorch's rule drops it: height 5 -> 3 (width 6 -> 4 either way).
  Attrs ceilDrop = attrs({2, 2}, {2, 2}, {1, 1, 1, 1}, true);
  // Non-square kernel and stride; stride > kernel leaves gaps.
  Attrs rect = attrs({2, 3}, {3, 2}, {1, 1, 1, 1});
  // A window larger than the unroll limit (the RDom lowering).
  Attrs big = attrs({7, 10}, {1, 1}, {0, 0, 0, 0});
  Shape sBig{kBatch, 1, 8, 11};
  Attrs k1 = attrs({3}, {2}, {1, 1});
  Attrs k1ceil = attrs({3}, {2}, {1, 1}, true); // 8 -> 5 (floor: 4)
  Attrs k1gaps = attrs({2}, {3}, {1, 1});       // 8 -> 3, gaps at 1, 4, 7
  return {
      pool("maxpool2d_2x2", m2, s44, k2),
      pool("maxpool2d_overlap_pad", m2, s55, overlap),
      pool("maxpool2d_stride1_asymmetric_pad", m2, s55, dense),
      pool("maxpool2d_ceil", m2, s55, ceil),
      pool("maxpool2d_ceil_pad", m2, s66, ceilPad),
      pool("maxpool2d_ceil_pad_dropped", m2, s56, ceilDrop),
      pool("maxpool2d_rect_gaps", m2, s57, rect),
      pool("maxpool2d_big_window", m2, sBig, big),
      pool("avgpool2d_2x2", a2, s44, k2),
      pool("avgpool2d_overlap_pad", a2, s55, overlap),
      pool("avgpool2d_overlap_exclude_pad", a2, s55, excludePad(overlap)),
      pool("avgpool2d_stride1_asymmetric_pad", a2, s55, dense),
      pool("avgpool2d_stride1_exclude_pad", a2, s55, excludePad(dense)),
      pool("avgpool2d_ceil", a2, s55, ceil),
      pool("avgpool2d_ceil_pad", a2, s66, ceilPad),
      pool("avgpool2d_ceil_pad_exclude_pad", a2, s66, excludePad(ceilPad)),
      pool("avgpool2d_ceil_pad_dropped", a2, s56, ceilDrop),
      pool("avgpool2d_rect_gaps", a2, s57, rect),
      pool("avgpool2d_big_window", a2, sBig, big),
      pool("maxpool1d_overlap_pad", m1, {kBatch, 2, 7}, k1),
      pool("maxpool1d_ceil_pad", m1, {kBatch, 2, 8}, k1ceil),
      pool("maxpool1d_gaps", m1, {kBatch, 2, 8}, k1gaps),
      pool("avgpool1d_overlap_pad", a1, {kBatch, 2, 7}, k1),
      pool("avgpool1d_overlap_exclude_pad", a1, {kBatch, 2, 7}, excludePad(k1)),
      pool("avgpool1d_ceil_pad", a1, {kBatch, 2, 8}, k1ceil),
      pool("avgpool1d_ceil_pad_exclude_pad", a1, {kBatch, 2, 8},
           excludePad(k1ceil)),
      pool("avgpool1d_gaps", a1, {kBatch, 2, 8}, k1gaps),
  };
}

} // namespace lamina::test
