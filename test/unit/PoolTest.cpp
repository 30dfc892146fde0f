//===- PoolTest.cpp - Max and average pooling, forward and gradients ------===//
//
// In f64 unless noted: the notes' worked examples exactly, ceil_mode and
// padding against values computed once with PyTorch, the first-arg-max rule
// on ties, every lowering path against a naive reference on integer data
// (many ties), and every type error message. test/bench/pool_bench.cpp times
// the LeNet shapes.
//
//===----------------------------------------------------------------------===//
#include "OpTestUtil.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

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

/// (i * 7 + 3) mod (h w) laid out in an h x w grid: the integers below h w,
/// shuffled (the inputs of the PyTorch reference values below).
std::vector<double> grid(int h, int w) {
  std::vector<double> v;
  for (int i = 0; i < h * w; ++i)
    v.push_back((i * 7 + 3) % (h * w));
  return v;
}

Attrs poolAttrs(Ints kernel, Ints stride, Ints padding, bool ceil = false,
                bool includePad = true) {
  return {{"kernel", std::move(kernel)},
          {"stride", std::move(stride)},
          {"padding", std::move(padding)},
          {"ceil_mode", int64_t(ceil)},
          {"count_include_pad", int64_t(includePad)}};
}

/// `k` on a [1, 1, *spatial] input holding `x`; the result's values.
std::vector<double> pool(OpKind k, Shape shape, std::vector<double> x,
                         Attrs attrs, Shape *outShape = nullptr) {
  TestGraph t;
  Node *y = t.op(k, {t.input("x", shape, std::move(x))}, std::move(attrs));
  if (!y)
    return {};
  if (outShape)
    *outShape = y->shape();
  t.output("y", y);
  return t.run()["y"].data;
}

/// The gradient op of pooling `k` for x of `shape` and dy = 1, 2, 3, ...
std::vector<double> poolGrad(OpKind k, Shape shape, std::vector<double> x,
                             Attrs attrs) {
  TestGraph t;
  Node *xn = t.input("x", shape, std::move(x));
  Node *y = t.op(k, {xn}, attrs);
  if (!y)
    return {};
  Node *dy = t.input("dy", y->shape(),
                     iota(static_cast<int>(numElements(y->shape())), 1));
  bool isMax = k == OpKind::MaxPool1d || k == OpKind::MaxPool2d;
  Node *dx;
  if (isMax) {
    dx = t.op(OpKind::MaxPoolGrad, {xn, dy}, attrs);
  } else {
    attrs["input_shape"] = shape;
    dx = t.op(OpKind::AvgPoolGrad, {dy}, attrs);
  }
  t.output("dx", dx);
  return t.run()["dx"].data;
}

void expectValues(const std::vector<double> &got,
                  const std::vector<double> &want, double tol = 1e-12) {
  expectNear(HostTensor{DType::F64, {}, got}, want, tol);
}

} // namespace

//===----------------------------------------------------------------------===//
// The notes' worked examples.
//===----------------------------------------------------------------------===//

// 000: 2x2 max pooling with stride 2.
TEST(PoolNotes, MaxPooling2x2Stride2) {
  expectValues(pool(OpKind::MaxPool2d, {1, 1, 4, 4},
                    {1, 1, 2, 4, 5, 6, 7, 8, 3, 2, 1, 0, 1, 2, 3, 4},
                    {{"kernel", Ints{2, 2}}, {"stride", Ints{2, 2}}}),
               {6, 8, 3, 4});
}

// 002: average and max pooling of 1..16 in a 4x4 grid (stride defaults to
// the kernel).
TEST(PoolNotes, AverageAndMaxPoolingOf1To16) {
  Attrs a{{"kernel", Ints{2, 2}}};
  expectValues(pool(OpKind::AvgPool2d, {1, 1, 4, 4}, iota(16, 1), a),
               {3.5, 5.5, 11.5, 13.5});
  expectValues(pool(OpKind::MaxPool2d, {1, 1, 4, 4}, iota(16, 1), a),
               {6, 8, 14, 16});
}

// 002: the CNN exercise pools its 2x2 convolution output [[5, 2], [3, 5]].
TEST(PoolNotes, CnnExercisePool) {
  expectValues(pool(OpKind::MaxPool2d, {1, 1, 2, 2}, {5, 2, 3, 5},
                    {{"kernel", Ints{2, 2}}}),
               {5});
}

//===----------------------------------------------------------------------===//
// ceil_mode and padding. The expected values were computed once with
// PyTorch 2 (torch.nn.functional.max_pool2d / avg_pool2d / max_pool1d /
// avg_pool1d, float64, and autograd with dy = 1, 2, 3, ... for the
// gradients) on the grid() inputs.
//===----------------------------------------------------------------------===//

TEST(PoolTorch, CeilMode) {
  Shape s;
  Attrs a = poolAttrs({2, 2}, {2, 2}, {0, 0, 0, 0}, true);
  expectValues(pool(OpKind::MaxPool2d, {1, 1, 5, 5}, grid(5, 5), a, &s),
               {20, 24, 16, 23, 22, 11, 18, 14, 21});
  EXPECT_EQ(s, (Shape{1, 1, 3, 3}));
  expectValues(pool(OpKind::AvgPool2d, {1, 1, 5, 5}, grid(5, 5), a),
               {11.5, 13.0, 11.0, 12.75, 14.25, 6.0, 9.0, 10.5, 21.0});
}

TEST(PoolTorch, Padding) {
  Attrs a = poolAttrs({3, 3}, {2, 2}, {1, 1, 1, 1});
  expectValues(pool(OpKind::MaxPool2d, {1, 1, 5, 5}, grid(5, 5), a),
               {20, 24, 24, 23, 22, 19, 18, 22, 21});
  expectValues(pool(OpKind::AvgPool2d, {1, 1, 5, 5}, grid(5, 5), a),
               {5.111111111111111, 9.11111111111111, 6.111111111111111,
                9.333333333333334, 12.0, 6.666666666666667, 4.555555555555555,
                6.888888888888889, 5.555555555555555});
  a["count_include_pad"] = int64_t(0);
  expectValues(pool(OpKind::AvgPool2d, {1, 1, 5, 5}, grid(5, 5), a),
               {11.5, 13.666666666666666, 13.75, 14.0, 12.0, 10.0, 10.25,
                10.333333333333334, 12.5});
}

// PyTorch's rule: with ceil_mode, a last window that would start in the
// trailing padding is dropped (height 5 gives 3 rows, not 4).
TEST(PoolTorch, CeilModeDropsWindowStartingInPadding) {
  Shape s;
  Attrs a = poolAttrs({2, 2}, {2, 2}, {1, 1, 1, 1}, true);
  expectValues(pool(OpKind::MaxPool2d, {1, 1, 5, 6}, grid(5, 6), a, &s),
               {3, 17, 24, 8, 27, 29, 25, 20, 21, 28, 19, 26});
  EXPECT_EQ(s, (Shape{1, 1, 3, 4}));
  expectValues(
      pool(OpKind::AvgPool2d, {1, 1, 5, 6}, grid(5, 6), a),
      {0.75, 6.75, 6.25, 2.0, 10.5, 16.5, 15.5, 5.5, 7.5, 18.0, 9.5, 10.0});
}

TEST(PoolTorch, CeilModeWithPadding) {
  Shape s;
  Attrs a = poolAttrs({3, 3}, {2, 2}, {1, 1, 1, 1}, true);
  expectValues(pool(OpKind::MaxPool2d, {1, 1, 6, 6}, grid(6, 6), a, &s),
               {16, 30, 31, 8, 28, 35, 30, 20, 34, 35, 32, 32, 33, 18, 32, 32});
  EXPECT_EQ(s, (Shape{1, 1, 4, 4}));
  expectValues(pool(OpKind::AvgPool2d, {1, 1, 6, 6}, grid(6, 6), a),
               {4.222222222222222, 13.333333333333334, 10.666666666666666,
                1.6666666666666667, 12.333333333333334, 21.0, 11.0, 7.0,
                16.333333333333332, 17.0, 19.0, 13.0, 6.166666666666667, 5.5,
                12.5, 8.0});
  a["count_include_pad"] = int64_t(0);
  expectValues(pool(OpKind::AvgPool2d, {1, 1, 6, 6}, grid(6, 6), a),
               {9.5, 20.0, 16.0, 5.0, 18.5, 21.0, 11.0, 14.0, 24.5, 17.0, 19.0,
                26.0, 18.5, 11.0, 25.0, 32.0});
}

TEST(PoolTorch, OneDimensional) {
  std::vector<double> x = {1, 4, 7, 2, 5, 0, 3, 6};
  Shape s;
  Attrs a = poolAttrs({3}, {2}, {1, 1}, true);
  expectValues(pool(OpKind::MaxPool1d, {1, 1, 8}, x, a, &s), {4, 7, 5, 6, 6});
  EXPECT_EQ(s, (Shape{1, 1, 5}));
  expectValues(
      pool(OpKind::AvgPool1d, {1, 1, 8}, x, a),
      {1.6666666666666667, 4.333333333333333, 2.3333333333333335, 3.0, 3.0});
  a["count_include_pad"] = int64_t(0);
  expectValues(pool(OpKind::AvgPool1d, {1, 1, 8}, x, a),
               {2.5, 4.333333333333333, 2.3333333333333335, 3.0, 6.0});
}

TEST(PoolTorch, Gradients) {
  expectValues(poolGrad(OpKind::MaxPool2d, {1, 1, 5, 5}, grid(5, 5),
                        poolAttrs({3, 3}, {2, 2}, {1, 1, 1, 1})),
               {0, 0, 0, 5, 0,  0, 1, 0, 0, 0, 4, 0, 0,
                6, 0, 0, 0, 13, 0, 0, 7, 0, 0, 0, 9});
  expectValues(poolGrad(OpKind::AvgPool2d, {1, 1, 6, 6}, grid(6, 6),
                        poolAttrs({3, 3}, {2, 2}, {1, 1, 1, 1}, true, false)),
               {0.25,
                0.5833333333333333,
                0.3333333333333333,
                0.8333333333333333,
                0.5,
                2.5,
                1.0833333333333335,
                2.083333333333333,
                1.0,
                2.2777777777777777,
                1.2777777777777777,
                5.944444444444445,
                0.8333333333333334,
                1.5,
                0.6666666666666666,
                1.4444444444444444,
                0.7777777777777778,
                3.444444444444444,
                2.3333333333333335,
                4.111111111111111,
                1.7777777777777777,
                3.7777777777777777,
                2.0,
                8.666666666666666,
                1.5,
                2.611111111111111,
                1.1111111111111112,
                2.3333333333333335,
                1.2222222222222223,
                5.222222222222222,
                8.0,
                13.777777777777779,
                5.777777777777779,
                12.0,
                6.222222222222222,
                26.22222222222222});
  expectValues(poolGrad(OpKind::AvgPool2d, {1, 1, 6, 6}, grid(6, 6),
                        poolAttrs({3, 3}, {2, 2}, {1, 1, 1, 1}, true, true)),
               {0.1111111111111111,
                0.3333333333333333,
                0.2222222222222222,
                0.5555555555555556,
                0.3333333333333333,
                1.0,
                0.6666666666666667,
                1.5555555555555554,
                0.8888888888888888,
                2.0,
                1.1111111111111112,
                3.1111111111111107,
                0.5555555555555556,
                1.2222222222222223,
                0.6666666666666666,
                1.4444444444444444,
                0.7777777777777778,
                2.111111111111111,
                1.5555555555555556,
                3.3333333333333335,
                1.7777777777777777,
                3.7777777777777777,
                2.0,
                5.333333333333334,
                1.0,
                2.111111111111111,
                1.1111111111111112,
                2.3333333333333335,
                1.2222222222222223,
                3.2222222222222223,
                3.1666666666666665,
                6.611111111111111,
                3.4444444444444446,
                7.166666666666667,
                3.7222222222222223,
                9.722222222222221});
  expectValues(poolGrad(OpKind::MaxPool1d, {1, 1, 8}, {1, 4, 7, 2, 5, 0, 3, 6},
                        poolAttrs({3}, {2}, {1, 1}, true)),
               {0, 1, 2, 0, 3, 0, 0, 9});
}

//===----------------------------------------------------------------------===//
// Ties: the gradient goes to the first maximum of each window (row-major),
// as PyTorch's CPU kernels do (the values below are PyTorch's).
//===----------------------------------------------------------------------===//

TEST(PoolTies, GradientGoesToFirstMaxOnly) {
  // All four equal: only the top-left gets dy.
  expectValues(poolGrad(OpKind::MaxPool2d, {1, 1, 2, 2}, {1, 1, 1, 1},
                        {{"kernel", Ints{2, 2}}}),
               {1, 0, 0, 0});
  // Overlapping windows [1, 3], [3, 3], [3, 2] with dy 1, 2, 3.
  expectValues(poolGrad(OpKind::MaxPool1d, {1, 1, 4}, {1, 3, 3, 2},
                        poolAttrs({2}, {1}, {0, 0})),
               {0, 3, 3, 0});
  // 2x2 windows at stride 1 over a grid with five 5s.
  expectValues(poolGrad(OpKind::MaxPool2d, {1, 1, 3, 3},
                        {1, 5, 5, 5, 2, 5, 0, 5, 4},
                        poolAttrs({2, 2}, {1, 1}, {0, 0, 0, 0})),
               {0, 3, 0, 3, 0, 4, 0, 0, 0});
}

// The stride == kernel lowering (no bounds tests, unrolled columns) on a
// constant input: each window's dy lands on its top-left corner.
TEST(PoolTies, NonOverlappingConstantInput) {
  std::vector<double> x(8 * 20, 2.0);
  std::vector<double> got =
      poolGrad(OpKind::MaxPool2d, {1, 1, 8, 20}, x, {{"kernel", Ints{2, 2}}});
  std::vector<double> want(8 * 20, 0.0);
  for (int p = 0; p < 4; ++p)
    for (int q = 0; q < 10; ++q)
      want[(2 * p) * 20 + 2 * q] = p * 10 + q + 1;
  expectValues(got, want);
}

//===----------------------------------------------------------------------===//
// Every lowering path against a naive reference.
//===----------------------------------------------------------------------===//

namespace {

/// A pooling configuration; 1-D ones have an empty `hw` height.
struct RefCase {
  std::string name;
  Shape x; // [N, C, *spatial], N fed at run time
  Attrs attrs;
};

void PrintTo(const RefCase &c, std::ostream *os) {
  *os << c.name << " x " << shapeToString(c.x);
  for (const auto &[k, v] : c.attrs) {
    *os << " " << k << "=";
    if (const Ints *l = std::get_if<Ints>(&v))
      *os << shapeToString(*l);
    else if (const int64_t *i = std::get_if<int64_t>(&v))
      *os << *i;
  }
}

/// Naive PyTorch-semantics pooling of x [N, C, *spatial] (1-D treated as a
/// height of 1): the forward values, the max gradient (dy to the first
/// max of each window) and the avg gradient, for dy given.
struct NaivePool {
  int64_t n, c, h, w, oh, ow;
  Ints k, s, b, a;
  bool ceil, includePad;

  NaivePool(const Shape &x, const Attrs &attrs) {
    auto ints = [&](const char *name) {
      return std::get<Ints>(attrs.at(name));
    };
    bool oneD = x.size() == 3;
    n = x[0];
    c = x[1];
    h = oneD ? 1 : x[2];
    w = x.back();
    k = ints("kernel");
    s = ints("stride");
    Ints pad = ints("padding");
    if (oneD) {
      k.insert(k.begin(), 1);
      s.insert(s.begin(), 1);
      b = {0, pad[0]};
      a = {0, pad[1]};
    } else {
      b = {pad[0], pad[1]};
      a = {pad[2], pad[3]};
    }
    ceil = std::get<int64_t>(attrs.at("ceil_mode")) != 0;
    includePad = std::get<int64_t>(attrs.at("count_include_pad")) != 0;
    oh = out(0, h);
    ow = out(1, w);
  }

  int64_t out(int d, int64_t in) const {
    int64_t span = in + b[d] + a[d] - k[d];
    int64_t o = (ceil ? (span + s[d] - 1) / s[d] : span / s[d]) + 1;
    if (ceil && (o - 1) * s[d] >= in + b[d])
      --o;
    return o;
  }

  /// Calls f(i, j) for the input positions of window (p, q) in row-major
  /// order, in bounds or not.
  template <typename F> void window(int64_t p, int64_t q, F f) const {
    for (int64_t i = p * s[0] - b[0]; i < p * s[0] - b[0] + k[0]; ++i)
      for (int64_t j = q * s[1] - b[1]; j < q * s[1] - b[1] + k[1]; ++j)
        f(i, j);
  }
  bool in(int64_t i, int64_t j) const {
    return i >= 0 && i < h && j >= 0 && j < w;
  }
  double divisor(int64_t p, int64_t q) const {
    int64_t hs = p * s[0] - b[0], ws = q * s[1] - b[1];
    int64_t he = std::min(hs + k[0], h + a[0]),
            we = std::min(ws + k[1], w + a[1]);
    if (!includePad) {
      hs = std::max<int64_t>(hs, 0);
      ws = std::max<int64_t>(ws, 0);
      he = std::min(he, h);
      we = std::min(we, w);
    }
    return static_cast<double>((he - hs) * (we - ws));
  }

  void run(const std::vector<double> &x, const std::vector<double> &dy,
           std::vector<double> &maxY, std::vector<double> &avgY,
           std::vector<double> &maxDx, std::vector<double> &avgDx) const {
    maxY.assign(n * c * oh * ow, 0);
    avgY = maxY;
    maxDx.assign(n * c * h * w, 0);
    avgDx = maxDx;
    for (int64_t m = 0; m < n * c; ++m)
      for (int64_t p = 0; p < oh; ++p)
        for (int64_t q = 0; q < ow; ++q) {
          int64_t o = (m * oh + p) * ow + q;
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          int64_t arg = -1;
          window(p, q, [&](int64_t i, int64_t j) {
            if (!in(i, j))
              return;
            double v = x[(m * h + i) * w + j];
            sum += v;
            if (v > best) {
              best = v;
              arg = (m * h + i) * w + j;
            }
          });
          maxY[o] = best;
          avgY[o] = sum / divisor(p, q);
          maxDx[arg] += dy[o];
          window(p, q, [&](int64_t i, int64_t j) {
            if (in(i, j))
              avgDx[(m * h + i) * w + j] += dy[o] / divisor(p, q);
          });
        }
  }
};

std::vector<RefCase> refCases() {
  std::vector<RefCase> cs;
  auto add = [&](std::string name, Shape x, Attrs a) {
    cs.push_back({std::move(name), std::move(x), a});
    const Ints &pad = std::get<Ints>(a.at("padding"));
    bool padded =
        std::any_of(pad.begin(), pad.end(), [](int64_t p) { return p != 0; });
    if (std::get<int64_t>(a.at("ceil_mode")) || padded) {
      a["count_include_pad"] = int64_t(0);
      cs.push_back({cs.back().name + "_exclude_pad", cs.back().x, a});
    }
  };
  add("lenet_c1", {2, 3, 28, 28}, poolAttrs({2, 2}, {2, 2}, {0, 0, 0, 0}));
  add("lenet_c3", {2, 3, 10, 10}, poolAttrs({2, 2}, {2, 2}, {0, 0, 0, 0}));
  add("odd_floor", {2, 2, 9, 19}, poolAttrs({2, 2}, {2, 2}, {0, 0, 0, 0}));
  add("overlap_ceil", {2, 2, 9, 21},
      poolAttrs({3, 3}, {2, 2}, {1, 1, 1, 1}, true));
  add("stride1_pad", {2, 2, 8, 20}, poolAttrs({3, 3}, {1, 1}, {1, 1, 1, 1}));
  add("rect_gaps", {2, 2, 7, 19}, poolAttrs({2, 3}, {3, 2}, {1, 0, 0, 1}));
  add("kernel3_ceil", {1, 2, 10, 17},
      poolAttrs({3, 3}, {3, 3}, {0, 0, 0, 0}, true));
  add("big_window", {2, 1, 12, 20}, poolAttrs({8, 9}, {2, 3}, {0, 0, 0, 0}));
  add("1d_k2", {2, 3, 30}, poolAttrs({2}, {2}, {0, 0}));
  add("1d_overlap_ceil", {2, 2, 21}, poolAttrs({3}, {2}, {1, 1}, true));
  add("1d_k4_pad2", {2, 2, 17}, poolAttrs({4}, {4}, {2, 2}));
  add("1d_stride1", {2, 2, 40}, poolAttrs({5}, {1}, {2, 2}));
  add("1d_big", {2, 2, 90}, poolAttrs({70}, {10}, {0, 0}));
  if (std::getenv("POOL_EXTRA")) {
    cs.push_back({"extra_k4_29", {2, 1, 29}, poolAttrs({4}, {2}, {1, 0})});
    for (int L : {25, 29, 33, 26, 27, 30, 31, 37})
      cs.push_back({"extra" + std::to_string(L),
                    {2, 1, L},
                    poolAttrs({3}, {2}, {1, 0})});
    for (int L : {25, 29, 33})
      cs.push_back({"extrasym" + std::to_string(L),
                    {2, 1, L},
                    poolAttrs({3}, {2}, {1, 1})});
    for (int L : {25, 29, 33})
      cs.push_back({"extra_s1_" + std::to_string(L),
                    {2, 1, L},
                    poolAttrs({3}, {1}, {1, 1})});
  }
  if (std::getenv("POOL_FUZZ")) {
    std::mt19937_64 rng(std::atoi(std::getenv("POOL_FUZZ")));
    auto uni = [&](int lo, int hi) {
      return std::uniform_int_distribution<int>(lo, hi)(rng);
    };
    for (int i = 0; i < 80; ++i) {
      int sp = uni(1, 2);
      Ints k, st, pb, pa;
      Shape x{2, uni(1, 2)};
      for (int d = 0; d < sp; ++d) {
        k.push_back(uni(1, 5));
        st.push_back(uni(1, 5));
        pb.push_back(uni(0, k.back() / 2));
        pa.push_back(uni(0, k.back() / 2));
        x.push_back(std::max<int64_t>(k.back(), uni(1, 40)));
      }
      Ints pad = pb;
      pad.insert(pad.end(), pa.begin(), pa.end());
      cs.push_back({"fuzz" + std::to_string(i), x,
                    poolAttrs(k, st, pad, uni(0, 1), uni(0, 1))});
    }
  }
  return cs;
}

class PoolReference : public ::testing::TestWithParam<RefCase> {};

/// x and dy with small integer values (many ties), batch fed at run time.
void checkAgainstReference(const RefCase &rc, DType dt) {
  NaivePool ref(rc.x, rc.attrs);
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> small(0, 3);
  std::vector<double> x(numElements(rc.x)), dy(ref.n * ref.c * ref.oh * ref.ow);
  for (double &v : x)
    v = small(rng);
  for (double &v : dy)
    v = small(rng) - 1.5;
  std::vector<double> maxY, avgY, maxDx, avgDx;
  ref.run(x, dy, maxY, avgY, maxDx, avgDx);

  bool oneD = rc.x.size() == 3;
  TestGraph t(dt);
  Shape xs = rc.x, ys{kBatch, ref.c, ref.oh, ref.ow};
  xs[0] = kBatch;
  if (oneD)
    ys.erase(ys.begin() + 2);
  Shape fedY = ys;
  fedY[0] = ref.n;
  Node *xn = t.input("x", xs, rc.x, x);
  Node *dyn = t.input("dy", ys, fedY, dy);
  Attrs a = rc.attrs;
  Node *mx = t.op(oneD ? OpKind::MaxPool1d : OpKind::MaxPool2d, {xn}, a);
  Node *av = t.op(oneD ? OpKind::AvgPool1d : OpKind::AvgPool2d, {xn}, a);
  ASSERT_TRUE(mx && av);
  ASSERT_EQ(mx->shape(), ys);
  t.output("max", mx);
  t.output("avg", av);
  t.output("max_dx", t.op(OpKind::MaxPoolGrad, {xn, dyn}, a));
  a["input_shape"] = xs;
  t.output("avg_dx", t.op(OpKind::AvgPoolGrad, {dyn}, a));
  auto r = t.run();
  double tol = dt == DType::F32 ? 1e-6 : 1e-12;
  expectNear(r["max"], maxY, tol, "max");
  expectNear(r["avg"], avgY, tol, "avg");
  expectNear(r["max_dx"], maxDx, tol, "max_dx");
  expectNear(r["avg_dx"], avgDx, tol, "avg_dx");
}

} // namespace

TEST_P(PoolReference, F64) { checkAgainstReference(GetParam(), DType::F64); }
TEST_P(PoolReference, F32) { checkAgainstReference(GetParam(), DType::F32); }

INSTANTIATE_TEST_SUITE_P(Paths, PoolReference, ::testing::ValuesIn(refCases()),
                         [](const ::testing::TestParamInfo<RefCase> &i) {
                           return i.param.name;
                         });

//===----------------------------------------------------------------------===//
// Type errors.
//===----------------------------------------------------------------------===//

namespace {

std::string poolError(OpKind k, Shape x, Attrs attrs) {
  TestGraph t;
  Node *xn = t.input("x", x, std::vector<double>(numElements(x, 1), 0.0));
  return t.error(k, {xn}, std::move(attrs));
}

} // namespace

TEST(PoolErrors, Messages) {
  OpKind m2 = OpKind::MaxPool2d;
  Shape x{kBatch, 1, 4, 4};
  EXPECT_EQ(poolError(m2, {2, 3}, {{"kernel", Ints{2, 2}}}),
            "'maxpool2d' needs a float input [batch, channels, height, "
            "width], got f64[2, 3]");
  EXPECT_EQ(poolError(OpKind::AvgPool1d, {1, 1, 4, 4}, {{"kernel", Ints{2}}}),
            "'avgpool1d' needs a float input [batch, channels, length], got "
            "f64[1, 1, 4, 4]");
  EXPECT_EQ(poolError(m2, x, {{"kernel", std::string("2")}}),
            "'maxpool2d' attribute 'kernel' must be an integer or a list of "
            "integers, got a string");
  EXPECT_EQ(poolError(m2, x, {{"kernel", Ints{2}}, {"ceil_mode", 1.5}}),
            "'maxpool2d' attribute 'ceil_mode' must be true or false (1 or 0), "
            "got a number");
  EXPECT_EQ(poolError(m2, x, {{"kernel", Ints{2, 2, 2}}}),
            "'maxpool2d' needs 2 kernel and stride values and 4 padding "
            "values, got kernel [2, 2, 2], stride [2, 2, 2], padding [0, 0, "
            "0, 0]");
  EXPECT_EQ(poolError(m2, x, {{"kernel", Ints{2, 2}}, {"stride", Ints{0, 2}}}),
            "'maxpool2d' stride must be positive, got [0, 2]; the output size "
            "(height) floor((4 + 0 + 0 - 2)/0) + 1 is undefined (input "
            "[batch, 1, 4, 4])");
  EXPECT_EQ(poolError(m2, x, {{"kernel", Ints{2, -1}}, {"stride", Ints{1, 1}}}),
            "'maxpool2d' kernel must be positive, got [2, -1]; the output size "
            "(width) would be floor((4 + 0 + 0 - -1)/1) + 1 = 6 (input "
            "[batch, 1, 4, 4])");
  EXPECT_EQ(
      poolError(m2, x, {{"kernel", Ints{2, 2}}, {"padding", Ints{2, 0, 0, 0}}}),
      "'maxpool2d' padding [2, 0, 0, 0] must be between 0 and half the "
      "kernel [2, 2]; the output size (height) would be floor((4 + 2 + 0 - "
      "2)/2) + 1 = 3 (input [batch, 1, 4, 4])");
  EXPECT_EQ(poolError(m2, x,
                      {{"kernel", Ints{2, 2}}, {"padding", Ints{0, 0, 0, -1}}}),
            "'maxpool2d' padding [0, 0, 0, -1] must be between 0 and half "
            "the kernel [2, 2]; the output size (width) would be floor((4 + "
            "0 + -1 - 2)/2) + 1 = 1 (input [batch, 1, 4, 4])");
  EXPECT_EQ(poolError(m2, x, {{"kernel", Ints{5, 2}}}),
            "'maxpool2d' window 5 (height) is larger than the padded input 4 "
            "+ 0 + 0 = 4; the output size (height) would be floor((4 + 0 + 0 "
            "- 5)/5) + 1 = 0 (input [batch, 1, 4, 4])");
  EXPECT_EQ(poolError(OpKind::AvgPool1d, {1, 2, 3},
                      {{"kernel", Ints{6}},
                       {"padding", Ints{1, 1}},
                       {"ceil_mode", int64_t(1)}}),
            "'avgpool1d' window 6 is larger than the padded input 3 + 1 + 1 = "
            "5; the output size would be ceil((3 + 1 + 1 - 6)/6) + 1 = 1 "
            "(input [1, 2, 3])");
}

TEST(PoolErrors, GradientOps) {
  TestGraph t;
  Node *x = t.input("x", {1, 1, 4, 4}, std::vector<double>(16, 0.0));
  Node *dy = t.input("dy", {1, 1, 2, 2}, std::vector<double>(4, 0.0));
  Node *dy3 = t.input("dy3", {1, 1, 3, 3}, std::vector<double>(9, 0.0));
  Node *xf = t.input("xf", {1, 1, 4, 4}, {1, 1, 4, 4},
                     std::vector<double>(16, 0.0), DType::F32);
  Node *v = t.input("v", {4}, std::vector<double>(4, 0.0));
  Attrs a{{"kernel", Ints{2, 2}}};
  EXPECT_EQ(t.error(OpKind::MaxPoolGrad, {x, dy}, a), "");
  EXPECT_EQ(t.error(OpKind::MaxPoolGrad, {xf, dy}, a),
            "'maxpool_grad' needs x and dy of one type, got f32[1, 1, 4, 4] "
            "and f64[1, 1, 2, 2]");
  EXPECT_EQ(t.error(OpKind::MaxPoolGrad, {v, v}, a),
            "'maxpool_grad' needs an input of rank 3 or 4, got f64[4]");
  EXPECT_EQ(t.error(OpKind::MaxPoolGrad, {x, dy3}, a),
            "'maxpool_grad' dy f64[1, 1, 3, 3] does not match the pooled "
            "input shape [1, 1, 2, 2]");
  EXPECT_EQ(t.error(OpKind::MaxPoolGrad, {x, dy}, {{"kernel", Ints{2}}}),
            "'maxpool_grad' has malformed pooling attributes");
  EXPECT_EQ(t.error(OpKind::MaxPoolGrad, {x, dy}, {{"kernel", Ints{5, 5}}}),
            "'maxpool_grad' window 5 (height) is larger than the padded input "
            "4 + 0 + 0 = 4; the output size (height) would be floor((4 + 0 + "
            "0 - 5)/5) + 1 = 0 (input [1, 1, 4, 4])");
  EXPECT_EQ(t.error(OpKind::AvgPoolGrad, {dy}, a),
            "'avgpool_grad' needs attribute 'input_shape' (the shape of the "
            "pooled input)");
  a["input_shape"] = Ints{1, 1, 4, 4};
  EXPECT_EQ(t.error(OpKind::AvgPoolGrad, {dy}, a), "");
  EXPECT_EQ(t.error(OpKind::AvgPoolGrad, {dy3}, a),
            "'avgpool_grad' dy f64[1, 1, 3, 3] does not match the pooled "
            "input shape [1, 1, 2, 2]");
}
