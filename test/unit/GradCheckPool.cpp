//===- GradCheckPool.cpp - Gradient-check cases of the pooling ops --------===//
//
// Random inputs have no ties, so max pooling is differentiable at them.
//
//===----------------------------------------------------------------------===//
#include "GradCheckCases.h"

namespace lamina::test {

namespace {

using Ints = std::vector<int64_t>;

GradCase pool(const std::string &name, OpKind k, Shape x, Attrs attrs) {
  return {name, {k}, [=](CaseGraph &c) {
            return c.weighted(c.op(k, {c.param("x", x)}, attrs));
          }};
}

} // namespace

std::vector<GradCase> poolCases() {
  OpKind m2 = OpKind::MaxPool2d, a2 = OpKind::AvgPool2d;
  OpKind m1 = OpKind::MaxPool1d, a1 = OpKind::AvgPool1d;
  Attrs k2{{"kernel", Ints{2, 2}}, {"stride", Ints{2, 2}}};
  Attrs overlap{{"kernel", Ints{3, 3}},
                {"stride", Ints{2, 2}},
                {"padding", Ints{1, 1, 1, 1}}};
  Attrs ceil{{"kernel", Ints{2, 2}},
             {"stride", Ints{2, 2}},
             {"ceil_mode", int64_t(1)}};
  Attrs excl = overlap;
  excl["count_include_pad"] = int64_t(0);
  Attrs k1{{"kernel", Ints{3}}, {"stride", Ints{2}}, {"padding", Ints{1, 1}}};
  return {
      pool("maxpool2d_2x2", m2, {kBatch, 2, 4, 4}, k2),
      pool("maxpool2d_overlap_pad", m2, {kBatch, 2, 5, 5}, overlap),
      pool("maxpool2d_ceil", m2, {kBatch, 2, 5, 5}, ceil),
      pool("avgpool2d_2x2", a2, {kBatch, 2, 4, 4}, k2),
      pool("avgpool2d_overlap_pad", a2, {kBatch, 2, 5, 5}, overlap),
      pool("avgpool2d_exclude_pad", a2, {kBatch, 2, 5, 5}, excl),
      pool("avgpool2d_ceil", a2, {kBatch, 2, 5, 5}, ceil),
      pool("maxpool1d_overlap", m1, {kBatch, 2, 7}, k1),
      pool("avgpool1d_overlap", a1, {kBatch, 2, 7}, k1),
  };
}

} // namespace lamina::test
