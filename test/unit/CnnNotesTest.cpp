//===- CnnNotesTest.cpp - The notes' convolution and pooling examples -----===//
//
// Exact values from notes 000, 001 and 002, in f64, through the ops' type
// rules and Halide lowerings (and, for the CNN exercise, the whole front
// end on examples/cnn_notes.lam).
//
//===----------------------------------------------------------------------===//
#include "OpTestUtil.h"

#include "lamina/AST.h"
#include "lamina/Diagnostics.h"
#include "lamina/Frontend.h"

#include <fstream>
#include <sstream>

using namespace lamina;
using namespace lamina::test;

namespace {

using Ints = std::vector<int64_t>;

std::vector<double> iota(int n, double start = 0) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i)
    v.push_back(start + i);
  return v;
}

/// The type error of conv2d on an n x n input and 3x3 kernel, or "" and the
/// output shape in `out`.
std::string convNxN(int64_t n, int64_t stride, int64_t pad, Shape *out) {
  TestGraph t;
  Node *x = t.input("x", {1, 1, n, n}, std::vector<double>(n * n, 1.0));
  Node *w = t.input("w", {1, 1, 3, 3}, std::vector<double>(9, 1.0));
  Attrs a{{"stride", Ints{stride, stride}},
          {"padding", Ints{pad, pad, pad, pad}}};
  std::string err = t.error(OpKind::Conv2d, {x, w}, a);
  if (err.empty())
    *out = t.op(OpKind::Conv2d, {x, w}, a)->shape();
  return err;
}

std::string conv7x7(int64_t stride, int64_t pad, Shape *out) {
  return convNxN(7, stride, pad, out);
}

} // namespace

// 001: [[0,1,2],[3,4,5],[6,7,8]] cross-correlated with [[0,1],[2,3]].
TEST(CnnNotes, CrossCorrelation) {
  TestGraph t;
  Node *x = t.input("x", {1, 1, 3, 3}, iota(9));
  Node *w = t.input("w", {1, 1, 2, 2}, iota(4));
  t.output("y", t.op(OpKind::Conv2d, {x, w}));
  expectNear(t.run()["y"], {19, 25, 37, 43});
}

// 000: 2x2 max pooling with stride 2.
TEST(CnnNotes, MaxPooling) {
  TestGraph t;
  Node *x = t.input("x", {1, 1, 4, 4},
                    {1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4});
  t.output("y", t.op(OpKind::MaxPool2d, {x}, {{"kernel", Ints{2, 2}}}));
  expectNear(t.run()["y"], {6, 8, 3, 4});
}

// 002: average and max pooling of 1..16 in a 4x4 grid.
TEST(CnnNotes, AverageAndMaxPoolingOf1To16) {
  TestGraph t;
  Node *x = t.input("x", {1, 1, 4, 4}, iota(16, 1));
  t.output("avg", t.op(OpKind::AvgPool2d, {x}, {{"kernel", Ints{2, 2}}}));
  t.output("max", t.op(OpKind::MaxPool2d, {x}, {{"kernel", Ints{2, 2}}}));
  auto r = t.run();
  expectNear(r["avg"], {3.5, 5.5, 11.5, 13.5});
  expectNear(r["max"], {6, 8, 14, 16});
}

// 000/001/002: output size floor((N + 2P - F)/S) + 1 on a 7x7 input with a
// 3x3 kernel. Stride 3 does not divide 7 - 3: as in PyTorch the size is
// floored (2) and the last row and column are never read (the front end
// warns; test/Frontend/err_conv_size.lam).
TEST(CnnNotes, OutputSizes) {
  Shape s;
  EXPECT_EQ(conv7x7(1, 0, &s), "");
  EXPECT_EQ(s, (Shape{1, 1, 5, 5}));
  EXPECT_EQ(conv7x7(2, 0, &s), "");
  EXPECT_EQ(s, (Shape{1, 1, 3, 3}));
  EXPECT_EQ(conv7x7(1, 1, &s), "");
  EXPECT_EQ(s, (Shape{1, 1, 7, 7}));
  EXPECT_EQ(conv7x7(3, 0, &s), "");
  EXPECT_EQ(s, (Shape{1, 1, 2, 2}));
  // ResNet's down-sampling: kernel 3, stride 2, padding 1 halves an even
  // size, floor((N + 2 - 3)/2) + 1 = N/2.
  EXPECT_EQ(convNxN(12, 2, 1, &s), "");
  EXPECT_EQ(s, (Shape{1, 1, 6, 6}));
  EXPECT_EQ(convNxN(32, 2, 1, &s), "");
  EXPECT_EQ(s, (Shape{1, 1, 16, 16}));
}

// 001: y_t = sum_k w_k x_{t-k+1} is a true convolution: conv1d (a
// cross-correlation) with the kernel reversed computes it.
TEST(CnnNotes, OneDimensionalConvolution) {
  std::vector<double> x = {1, 3, -2, 4, 0, 5, 2};
  for (std::vector<double> w : {std::vector<double>{1, 0.5, 0.25},
                                std::vector<double>{1. / 3, 1. / 3, 1. / 3},
                                std::vector<double>{1, -2, 1}}) {
    TestGraph t;
    Node *xn = t.input("x", {1, 1, 7}, x);
    Node *wn = t.input("w", {1, 1, 3}, {w[2], w[1], w[0]});
    t.output("y", t.op(OpKind::Conv1d, {xn, wn}));
    std::vector<double> want;
    for (int s = 2; s < 7; ++s) // t = s + 1 in the notes' 1-based indices
      want.push_back(w[0] * x[s] + w[1] * x[s - 1] + w[2] * x[s - 2]);
    expectNear(t.run()["y"], want);
  }
}

// 002: the CNN exercise, from the model file through the whole front end.
TEST(CnnNotes, CnnExercise) {
  std::string path = std::string(LAMINA_SOURCE_DIR) + "/examples/cnn_notes.lam";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  std::ostringstream errs;
  DiagnosticEngine diag(errs);
  auto file = parseModelFile(path, text.str(), diag);
  ASSERT_TRUE(file) << errs.str();
  auto g = buildGraph(*file, diag);
  ASSERT_TRUE(g) << errs.str();
  TensorMap feeds;
  for (Node *p : g->paramsWithRole("param"))
    feeds[p->name()] = HostTensor{p->dtype(), p->shape(), p->data()};
  feeds["x"] = HostTensor{DType::F32, {1, 1, 2, 2}, {1, 2, 3, 4}};
  TensorMap r = runJit(*g, PipelineKind::Predict, feeds);
  expectNear(r["out_conv"], {5, 2, 3, 5});
  expectNear(r["out_pooled"], {5});
  expectNear(r["out_y"], {6});
}
