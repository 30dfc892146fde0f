//===- InitTest.cpp - Random numbers and parameter initialization ---------===//

#include "lamina/Init.h"

#include "TestUtil.h"

#include <cmath>
#include <cstring>

using namespace lamina;

namespace {

TensorSpec param(const std::string &name, Shape shape, InitKind kind,
                 int64_t fanIn = 0, int64_t fanOut = 0, double arg = 0) {
  TensorSpec s;
  s.name = name;
  s.arg = "p_" + name;
  s.dtype = DType::F32;
  s.shape = std::move(shape);
  s.init.kind = kind;
  s.init.fanIn = fanIn;
  s.init.fanOut = fanOut;
  s.init.arg = arg;
  return s;
}

Tensor init(const TensorSpec &s, uint64_t seed) {
  Tensor t(s.dtype, s.shape);
  initParameter(t, s, seed);
  return t;
}

double mean(const Tensor &t) {
  double sum = 0;
  for (int64_t i = 0; i < t.numel(); ++i)
    sum += t.get(i);
  return sum / static_cast<double>(t.numel());
}

double stddev(const Tensor &t) {
  double m = mean(t), sum = 0;
  for (int64_t i = 0; i < t.numel(); ++i)
    sum += (t.get(i) - m) * (t.get(i) - m);
  return std::sqrt(sum / static_cast<double>(t.numel()));
}

} // namespace

TEST(Rng, SameSeedSameSequence) {
  Rng a(7), b(7), c(8);
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
}

TEST(Rng, FixedByTheStandard) {
  // std::mt19937_64's 10000th output for the default seed is fixed by the
  // standard; our transforms build on that alone.
  Rng r(5489u);
  uint64_t x = 0;
  for (int i = 0; i < 10000; ++i)
    x = r.next();
  EXPECT_EQ(x, 9981545732273789042ULL);
}

TEST(Rng, UniformAndBelow) {
  Rng r(1);
  for (int i = 0; i < 10000; ++i) {
    double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ASSERT_LT(r.below(7), 7u);
  }
}

TEST(Init, UniformFanInBounds) {
  TensorSpec s = param("w", {100, 50}, InitKind::UniformFanIn, 100);
  Tensor t = init(s, 42);
  double bound = 1.0 / std::sqrt(100.0);
  double lo = 1, hi = -1;
  for (int64_t i = 0; i < t.numel(); ++i) {
    lo = std::min(lo, t.get(i));
    hi = std::max(hi, t.get(i));
  }
  EXPECT_GE(lo, -bound);
  EXPECT_LE(hi, bound);
  // 5000 draws come close to both ends.
  EXPECT_LT(lo, -0.95 * bound);
  EXPECT_GT(hi, 0.95 * bound);
  EXPECT_NEAR(mean(t), 0.0, 0.01);
}

TEST(Init, DeterministicPerSeedAndName) {
  TensorSpec s = param("h1.weight", {20, 10}, InitKind::UniformFanIn, 20);
  Tensor a = init(s, 42), b = init(s, 42), c = init(s, 43);
  EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.byteSize()), 0);
  EXPECT_NE(std::memcmp(a.raw(), c.raw(), a.byteSize()), 0);
  TensorSpec other = s;
  other.name = "h2.weight";
  Tensor d = init(other, 42);
  EXPECT_NE(std::memcmp(a.raw(), d.raw(), a.byteSize()), 0);
}

TEST(Init, NormalAndHeStatistics) {
  Tensor n = init(param("w", {200, 100}, InitKind::Normal, 0, 0, 0.5), 1);
  EXPECT_NEAR(mean(n), 0.0, 0.01);
  EXPECT_NEAR(stddev(n), 0.5, 0.01);
  Tensor h = init(param("w", {200, 100}, InitKind::He, 50), 1);
  EXPECT_NEAR(stddev(h), std::sqrt(2.0 / 50), 0.005);
}

TEST(Init, XavierBounds) {
  Tensor t = init(param("w", {30, 20}, InitKind::Xavier, 30, 20), 3);
  double bound = std::sqrt(6.0 / 50);
  for (int64_t i = 0; i < t.numel(); ++i) {
    ASSERT_GE(t.get(i), -bound);
    ASSERT_LE(t.get(i), bound);
  }
  EXPECT_NEAR(stddev(t), bound / std::sqrt(3.0), 0.02);
}

TEST(Init, ZerosConstantData) {
  EXPECT_EQ(init(param("b", {4}, InitKind::Zeros), 1).get(3), 0.0);
  EXPECT_EQ(init(param("b", {4}, InitKind::Constant, 0, 0, 0.25), 1).get(2),
            0.25);
  TensorSpec d = param("w", {2, 2}, InitKind::Data);
  d.init.data = {1, 2, 3, 4};
  Tensor t = init(d, 1);
  EXPECT_EQ(t.get(0), 1.0);
  EXPECT_EQ(t.get(3), 4.0);
  d.init.data = {1, 2};
  EXPECT_THROW(init(d, 1), Error);
}

TEST(Init, I32AndF64Parameters) {
  TensorSpec s = param("c", {3}, InitKind::Constant, 0, 0, 2);
  s.dtype = DType::I32;
  EXPECT_EQ(init(s, 1).data<int32_t>()[2], 2);
  s.dtype = DType::F64;
  s.init.kind = InitKind::UniformFanIn;
  s.init.fanIn = 4;
  Tensor t = init(s, 1);
  EXPECT_LE(std::abs(t.data<double>()[0]), 0.5);
}

TEST(Shuffle, PermutationDeterministicPerSeed) {
  Rng a(deriveSeed(42, 1)), b(deriveSeed(42, 1)), c(deriveSeed(42, 2));
  std::vector<int64_t> x = shuffledOrder(1000, a);
  std::vector<int64_t> y = shuffledOrder(1000, b);
  std::vector<int64_t> z = shuffledOrder(1000, c);
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  std::vector<int64_t> sorted = x;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i)
    ASSERT_EQ(sorted[i], i);
  EXPECT_NE(x, sorted);
}
