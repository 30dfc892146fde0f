//===- GradCheckConv.cpp - Gradient-check cases of the convolutions -------===//
#include "GradCheckCases.h"

namespace lamina::test {

namespace {

using Ints = std::vector<int64_t>;

/// conv over x [batch, C, *in] and w [O, C/groups, *k], optional bias.
GradCase conv(const std::string &name, OpKind k, Shape x, Shape w, bool bias,
              Attrs attrs) {
  return {name, {k}, [=](CaseGraph &c) {
            std::vector<Node *> ins{c.param("x", x), c.param("w", w)};
            if (bias)
              ins.push_back(c.param("b", {w[0]}));
            return c.weighted(c.op(k, ins, attrs));
          }};
}

/// pad in `mode` over the last two dims of a [batch, 2, 4, 5] parameter.
GradCase pad(const std::string &mode) {
  return {
      "pad_" + mode, {OpKind::Pad}, [=](CaseGraph &c) {
        Node *x = c.param("x", {kBatch, 2, 4, 5});
        return c.weighted(c.op(
            OpKind::Pad, {x},
            {{"padding", std::vector<int64_t>{1, 2, 2, 1}}, {"mode", mode}}));
      }};
}

} // namespace

std::vector<GradCase> convCases() {
  OpKind c2 = OpKind::Conv2d, c1 = OpKind::Conv1d;
  return {
      pad("zeros"),
      pad("reflect"),
      pad("replicate"),
      pad("circular"),
      conv("conv2d_pad1", c2, {kBatch, 2, 5, 5}, {3, 2, 3, 3}, true,
           {{"padding", Ints{1, 1, 1, 1}}}),
      conv("conv2d_stride2_asymmetric_pad", c2, {kBatch, 2, 6, 5}, {3, 2, 3, 3},
           true, {{"stride", Ints{2, 2}}, {"padding", Ints{1, 1, 0, 1}}}),
      // The stride does not divide: the last row and columns are never
      // read (PyTorch's floored size); their gradient is 0.
      conv("conv2d_stride3_unread_tail", c2, {kBatch, 2, 7, 8}, {3, 2, 3, 3},
           true, {{"stride", Ints{3, 3}}}),
      conv("conv1d_stride2_unread_tail", c1, {kBatch, 2, 8}, {2, 2, 3}, true,
           {{"stride", Ints{2}}}),
      conv("conv2d_dilation2", c2, {kBatch, 2, 7, 7}, {2, 2, 3, 3}, false,
           {{"dilation", Ints{2, 2}}}),
      conv("conv2d_groups2", c2, {kBatch, 4, 5, 5}, {6, 2, 3, 3}, false,
           {{"groups", int64_t(2)}, {"padding", Ints{1, 1, 1, 1}}}),
      conv("conv2d_depthwise", c2, {kBatch, 3, 4, 4}, {3, 1, 2, 2}, true,
           {{"groups", int64_t(3)}}),
      conv("conv2d_1x1", c2, {kBatch, 3, 3, 4}, {4, 3, 1, 1}, true, {}),
      conv("conv1d_stride2_pad", c1, {kBatch, 2, 7}, {3, 2, 3}, true,
           {{"stride", Ints{2}}, {"padding", Ints{1, 1}}}),
      conv("conv1d_dilation2_stride2", c1, {kBatch, 2, 9}, {2, 2, 3}, false,
           {{"stride", Ints{2}}, {"dilation", Ints{2}}}),
      conv("conv1d_groups2", c1, {kBatch, 4, 6}, {2, 2, 2}, true,
           {{"groups", int64_t(2)}, {"padding", Ints{0, 1}}}),
  };
}

} // namespace lamina::test
