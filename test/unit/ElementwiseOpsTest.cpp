//===- ElementwiseOpsTest.cpp - Elementwise ops and activations -----------===//
//
// Each op is built into a tiny graph, JIT-compiled and run in f32 and f64;
// the results are checked against the std:: formulas. Type errors are
// checked by their exact messages, and each gradient rule against central
// differences of the forward pipeline.
//
//===----------------------------------------------------------------------===//
#include "lamina/Autodiff.h"
#include "lamina/Diagnostics.h"
#include "lamina/IR.h"
#include "lamina/Jit.h"
#include "lamina/OpInfo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

using namespace lamina;

namespace {

Node *makeInput(Graph &g, const std::string &name, DType t, Shape s) {
  Node *n = g.create(OpKind::Input, {}, TensorType{t, std::move(s)},
                     {{"role", std::string("input")}});
  n->setName(name);
  return n;
}

HostTensor tensor(DType t, std::vector<int64_t> shape,
                  std::vector<double> data) {
  return HostTensor{t, std::move(shape), std::move(data)};
}

/// `v` as the pipeline sees it after it is stored in a buffer of type `t`.
double roundTo(DType t, double v) {
  return t == DType::F32 ? static_cast<double>(static_cast<float>(v)) : v;
}

/// 1e-6 (f64) or 1e-5 (f32), relative to the magnitude once it exceeds 1.
double tolerance(DType t, double ref) {
  return (t == DType::F64 ? 1e-6 : 1e-5) * std::max(1.0, std::abs(ref));
}

std::string dtypeSuffix(DType t) { return dtypeName(t); }

/// The flat row-major position in a tensor of shape `in` read by element
/// `flat` of the broadcast result of shape `out` (numpy rules).
size_t broadcastSource(const Shape &in, const Shape &out, size_t flat) {
  std::vector<int64_t> idx(out.size());
  for (size_t d = out.size(); d-- > 0;) {
    idx[d] = static_cast<int64_t>(flat) % out[d];
    flat /= static_cast<size_t>(out[d]);
  }
  size_t lead = out.size() - in.size(), pos = 0;
  for (size_t d = 0; d < in.size(); ++d)
    pos = pos * static_cast<size_t>(in[d]) +
          static_cast<size_t>(in[d] == 1 ? 0 : idx[lead + d]);
  return pos;
}

void expectAllNear(const HostTensor &got, const std::vector<double> &want,
                   DType t, const std::string &what) {
  ASSERT_EQ(got.data.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_TRUE(std::isfinite(got.data[i])) << what << " element " << i;
    EXPECT_NEAR(got.data[i], want[i], tolerance(t, want[i]))
        << what << " element " << i;
  }
}

// ---------------------------------------------------------------------------
// Unary ops and activations.
// ---------------------------------------------------------------------------

struct UnaryCase {
  std::string label;
  OpKind kind;
  Attrs attrs;
  std::function<double(double)> ref;
  /// Inputs in the op's domain (log and sqrt need positive values).
  std::vector<double> xs;
};

const std::vector<double> kMixed = {-3.0, -1.5, -0.25, 0.0, 0.5, 2.0};
const std::vector<double> kPositive = {0.25, 0.5, 1.0, 2.0, 3.5, 10.0};

double sigmoidRef(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<UnaryCase> unaryCases() {
  auto sign = [](double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; };
  auto leaky = [](double a) {
    return [a](double x) { return x > 0 ? x : a * x; };
  };
  auto elu = [](double a) {
    return [a](double x) { return x > 0 ? x : a * std::expm1(x); };
  };
  auto swish = [](double b) {
    return [b](double x) { return x * sigmoidRef(b * x); };
  };
  return {
      {"neg", OpKind::Neg, {}, [](double x) { return -x; }, kMixed},
      {"exp", OpKind::Exp, {}, [](double x) { return std::exp(x); }, kMixed},
      {"log", OpKind::Log, {}, [](double x) { return std::log(x); }, kPositive},
      {"sqrt",
       OpKind::Sqrt,
       {},
       [](double x) { return std::sqrt(x); },
       kPositive},
      {"abs", OpKind::Abs, {}, [](double x) { return std::abs(x); }, kMixed},
      {"sign", OpKind::Sign, {}, sign, kMixed},
      {"step",
       OpKind::Step,
       {},
       [](double x) { return x > 0 ? 1.0 : 0.0; },
       kMixed},
      {"sigmoid", OpKind::Sigmoid, {}, sigmoidRef, kMixed},
      {"tanh", OpKind::Tanh, {}, [](double x) { return std::tanh(x); }, kMixed},
      {"relu",
       OpKind::Relu,
       {},
       [](double x) { return std::max(x, 0.0); },
       kMixed},
      {"leaky_relu", OpKind::LeakyRelu, {}, leaky(0.01), kMixed},
      {"leaky_relu_alpha",
       OpKind::LeakyRelu,
       {{"alpha", 0.2}},
       leaky(0.2),
       kMixed},
      {"elu", OpKind::Elu, {}, elu(1.0), kMixed},
      {"elu_alpha", OpKind::Elu, {{"alpha", 0.5}}, elu(0.5), kMixed},
      {"softplus",
       OpKind::Softplus,
       {},
       [](double x) { return std::log1p(std::exp(x)); },
       kMixed},
      {"swish", OpKind::Swish, {}, swish(1.0), kMixed},
      {"swish_beta", OpKind::Swish, {{"beta", 2.0}}, swish(2.0), kMixed},
  };
}

class UnaryOpTest
    : public ::testing::TestWithParam<std::tuple<UnaryCase, DType>> {};

TEST_P(UnaryOpTest, MatchesReference) {
  const auto &[c, t] = GetParam();
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *x = makeInput(g, "x", t, {kBatch, 3});
  Expected<Node *> y = b.tryBuild(c.kind, {x}, c.attrs);
  ASSERT_TRUE(y) << y.errorMessage();
  EXPECT_EQ((*y)->type(), x->type());
  g.addOutput("y", *y);
  TensorMap out =
      runJit(g, PipelineKind::Predict, {{"x", tensor(t, {2, 3}, c.xs)}});
  std::vector<double> want;
  for (double v : c.xs)
    want.push_back(c.ref(roundTo(t, v)));
  expectAllNear(out.at("out_y"), want, t, c.label);
  EXPECT_EQ(out.at("out_y").shape, (std::vector<int64_t>{2, 3}));
}

INSTANTIATE_TEST_SUITE_P(
    Elementwise, UnaryOpTest,
    ::testing::Combine(::testing::ValuesIn(unaryCases()),
                       ::testing::Values(DType::F32, DType::F64)),
    [](const ::testing::TestParamInfo<UnaryOpTest::ParamType> &info) {
      return std::get<0>(info.param).label + "_" +
             dtypeSuffix(std::get<1>(info.param));
    });

TEST(UnaryOps, IntegerNegAbsSign) {
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *x = makeInput(g, "x", DType::I32, {2, 3});
  for (OpKind k : {OpKind::Neg, OpKind::Abs, OpKind::Sign}) {
    Expected<Node *> y = b.tryBuild(k, {x});
    ASSERT_TRUE(y) << y.errorMessage();
    EXPECT_EQ((*y)->dtype(), DType::I32);
    g.addOutput(opName(k), *y);
  }
  TensorMap out =
      runJit(g, PipelineKind::Predict,
             {{"x", tensor(DType::I32, {2, 3}, {-7, -1, 0, 1, 3, 100})}});
  EXPECT_EQ(out.at("out_neg").data,
            (std::vector<double>{7, 1, 0, -1, -3, -100}));
  EXPECT_EQ(out.at("out_abs").data, (std::vector<double>{7, 1, 0, 1, 3, 100}));
  EXPECT_EQ(out.at("out_sign").data, (std::vector<double>{-1, -1, 0, 1, 1, 1}));
  EXPECT_EQ(out.at("out_abs").dtype, DType::I32);
}

// cast: float -> i32 truncates toward zero, saturates, and maps NaN to 0
// (C++ leaves those undefined); i32 -> float and f32 <-> f64 are exact or
// round once; a cast to i32 on a parameter's path to the loss is an error.
TEST(UnaryOps, Cast) {
  for (DType from : {DType::F32, DType::F64}) {
    Graph g("M");
    GraphBuilder b(g, nullptr);
    Node *x = makeInput(g, "x", from, {8});
    Node *t = makeInput(g, "t", DType::I32, {3});
    Expected<Node *> xi =
        b.tryBuild(OpKind::Cast, {x}, {{"dtype", std::string("i32")}});
    Expected<Node *> tf =
        b.tryBuild(OpKind::Cast, {t}, {{"dtype", std::string("f64")}});
    Expected<Node *> xf = b.tryBuild(
        OpKind::Cast, {x},
        {{"dtype", std::string(from == DType::F32 ? "f64" : "f32")}});
    ASSERT_TRUE(xi && tf && xf);
    EXPECT_EQ((*xi)->dtype(), DType::I32);
    g.addOutput("xi", *xi);
    g.addOutput("tf", *tf);
    g.addOutput("xf", *xf);
    std::vector<double> xs{-2.7, -0.5, 0.5, 2.7, NAN, 3e9, -3e9, 1.0 / 3};
    TensorMap out = runJit(g, PipelineKind::Predict,
                           {{"x", tensor(from, {8}, xs)},
                            {"t", tensor(DType::I32, {3}, {-5, 0, 16777217})}});
    EXPECT_EQ(
        out.at("out_xi").data,
        (std::vector<double>{-2, 0, 0, 2, 0, 2147483647, -2147483648.0, 0}));
    EXPECT_EQ(out.at("out_tf").data, (std::vector<double>{-5, 0, 16777217}));
    EXPECT_EQ(out.at("out_xf").data[7],
              static_cast<double>(static_cast<float>(1.0 / 3)));
  }
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *w = g.create(OpKind::Param, {}, TensorType{DType::F32, {3}},
                     {{"role", std::string("param")}});
  w->setName("w");
  Expected<Node *> wi =
      b.tryBuild(OpKind::Cast, {w}, {{"dtype", std::string("i32")}});
  ASSERT_TRUE(wi);
  Expected<Node *> wf =
      b.tryBuild(OpKind::Cast, {*wi}, {{"dtype", std::string("f32")}});
  ASSERT_TRUE(wf);
  Expected<Node *> loss = b.tryBuild(OpKind::Sum, {*wf});
  ASSERT_TRUE(loss);
  std::ostringstream os;
  DiagnosticEngine diag(os);
  EXPECT_TRUE(buildGradients(g, *loss, {w}, diag).empty());
  EXPECT_NE(os.str().find("'cast' has no gradient, but the loss depends on "
                          "parameters through it: a cast to i32 is a step "
                          "function"),
            std::string::npos)
      << os.str();
}

// Large |x|: the naive forms overflow (e^100 is inf in f32, e^1000 in f64)
// and give inf or nan; the lowered forms stay finite and exact.
TEST(UnaryOps, StableForLargeMagnitudes) {
  for (DType t : {DType::F32, DType::F64}) {
    Graph g("M");
    GraphBuilder b(g, nullptr);
    Node *x = makeInput(g, "x", t, {kBatch});
    for (OpKind k : {OpKind::Sigmoid, OpKind::Softplus, OpKind::Swish,
                     OpKind::Tanh, OpKind::Elu})
      g.addOutput(opName(k), b.build(k, {x}));
    std::vector<double> xs = {-1000.0, -100.0, -30.0, 30.0, 100.0, 1000.0};
    TensorMap out =
        runJit(g, PipelineKind::Predict, {{"x", tensor(t, {6}, xs)}});
    std::vector<double> sig, sp, sw, th, el;
    for (double v : xs) {
      // e^-|x| cannot overflow; the std:: forms below are exact references.
      double e = std::exp(-std::abs(v));
      double s = v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      sig.push_back(s);
      sp.push_back(std::max(v, 0.0) + std::log1p(e));
      sw.push_back(v * s);
      th.push_back(std::tanh(v));
      el.push_back(v > 0 ? v : std::expm1(v));
    }
    std::string suffix = std::string(" ") + dtypeName(t);
    expectAllNear(out.at("out_sigmoid"), sig, t, "sigmoid" + suffix);
    expectAllNear(out.at("out_softplus"), sp, t, "softplus" + suffix);
    expectAllNear(out.at("out_swish"), sw, t, "swish" + suffix);
    expectAllNear(out.at("out_tanh"), th, t, "tanh" + suffix);
    expectAllNear(out.at("out_elu"), el, t, "elu" + suffix);
    // Saturation is exact, not merely close.
    EXPECT_EQ(out.at("out_sigmoid").data.back(), 1.0);
    EXPECT_GE(out.at("out_sigmoid").data.front(), 0.0);
    EXPECT_EQ(out.at("out_softplus").data.back(), 1000.0);
  }
}

// ---------------------------------------------------------------------------
// Binary ops and select, with broadcasting.
// ---------------------------------------------------------------------------

struct BinaryCase {
  std::string label;
  OpKind kind;
  std::function<double(double, double)> ref;
};

std::vector<BinaryCase> binaryCases() {
  return {
      {"add", OpKind::Add, [](double a, double b) { return a + b; }},
      {"sub", OpKind::Sub, [](double a, double b) { return a - b; }},
      {"mul", OpKind::Mul, [](double a, double b) { return a * b; }},
      {"div", OpKind::Div, [](double a, double b) { return a / b; }},
      {"maximum", OpKind::Maximum,
       [](double a, double b) { return std::max(a, b); }},
      {"greater", OpKind::Greater,
       [](double a, double b) { return a > b ? 1.0 : 0.0; }},
  };
}

/// Shapes of a and b (with kBatch), the batch to run with, and the
/// expected result shape.
struct BroadcastCase {
  std::string label;
  Shape a, b;
  int64_t batch;
  Shape out;
};

std::vector<BroadcastCase> broadcastCases() {
  return {
      {"same", {kBatch, 3}, {kBatch, 3}, 2, {kBatch, 3}},
      {"row", {kBatch, 3}, {3}, 2, {kBatch, 3}},
      {"outer", {2, 1}, {1, 3}, 1, {2, 3}},
      {"col_batch", {kBatch, 1}, {kBatch, 4}, 3, {kBatch, 4}},
      {"lead", {3}, {2, 2, 3}, 1, {2, 2, 3}},
  };
}

Shape resolve(Shape s, int64_t batch) {
  for (int64_t &d : s)
    if (d == kBatch)
      d = batch;
  return s;
}

/// Deterministic values in [-2.5, 2.5], none zero (div) and few ties.
std::vector<double> sampleValues(size_t n, double seed) {
  std::vector<double> v;
  for (size_t i = 0; i < n; ++i) {
    double x = std::fmod(seed + 0.7371 * static_cast<double>(i), 5.0) - 2.5;
    v.push_back(std::abs(x) < 0.1 ? x + 0.3 : x);
  }
  return v;
}

class BinaryOpTest : public ::testing::TestWithParam<
                         std::tuple<BinaryCase, BroadcastCase, DType>> {};

TEST_P(BinaryOpTest, MatchesReference) {
  const auto &[c, s, t] = GetParam();
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *a = makeInput(g, "a", t, s.a);
  Node *bb = makeInput(g, "b", t, s.b);
  Expected<Node *> y = b.tryBuild(c.kind, {a, bb});
  ASSERT_TRUE(y) << y.errorMessage();
  EXPECT_EQ((*y)->type(), (TensorType{t, s.out}));
  g.addOutput("y", *y);
  Shape ra = resolve(s.a, s.batch), rb = resolve(s.b, s.batch),
        ro = resolve(s.out, s.batch);
  std::vector<double> av = sampleValues(numElements(ra), 0.3);
  std::vector<double> bv = sampleValues(numElements(rb), 1.9);
  TensorMap out = runJit(g, PipelineKind::Predict,
                         {{"a", tensor(t, ra, av)}, {"b", tensor(t, rb, bv)}});
  std::vector<double> want;
  for (size_t i = 0; i < static_cast<size_t>(numElements(ro)); ++i) {
    double x = roundTo(t, av[broadcastSource(ra, ro, i)]);
    double z = roundTo(t, bv[broadcastSource(rb, ro, i)]);
    want.push_back(c.ref(x, z));
  }
  expectAllNear(out.at("out_y"), want, t, c.label + " " + s.label);
  EXPECT_EQ(out.at("out_y").shape, ro);
}

INSTANTIATE_TEST_SUITE_P(
    Elementwise, BinaryOpTest,
    ::testing::Combine(::testing::ValuesIn(binaryCases()),
                       ::testing::ValuesIn(broadcastCases()),
                       ::testing::Values(DType::F32, DType::F64)),
    [](const ::testing::TestParamInfo<BinaryOpTest::ParamType> &info) {
      return std::get<0>(info.param).label + "_" +
             std::get<1>(info.param).label + "_" +
             dtypeSuffix(std::get<2>(info.param));
    });

TEST(BinaryOps, ScalarConstantOperand) {
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *x = makeInput(g, "x", DType::F64, {kBatch, 2});
  g.addOutput("d", b.build(OpKind::Div, {b.scalar(1.0, DType::F64), x}));
  g.addOutput("m", b.build(OpKind::Maximum, {x, b.scalar(0.5, DType::F64)}));
  TensorMap out = runJit(g, PipelineKind::Predict,
                         {{"x", tensor(DType::F64, {2, 2}, {-2, 0.25, 4, 1})}});
  expectAllNear(out.at("out_d"), {-0.5, 4, 0.25, 1}, DType::F64, "div");
  expectAllNear(out.at("out_m"), {0.5, 0.5, 4, 1}, DType::F64, "maximum");
}

// An f64 model's constants keep every bit: Halide::Expr(0.1) is an f32
// constant, which made 0.1 * x, elu's alpha and 1/9 of a 3x3 average pool
// wrong from the 8th digit on.
TEST(BinaryOps, F64ConstantsAreExact) {
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *x = makeInput(g, "x", DType::F64, {kBatch, 1, 3, 3});
  g.addOutput("m", b.build(OpKind::Mul, {x, b.scalar(0.1, DType::F64)}));
  g.addOutput("e", b.build(OpKind::Elu, {x}, {{"alpha", 0.3}}));
  g.addOutput("p", b.build(OpKind::AvgPool2d, {x}, {{"kernel", Shape{3, 3}}}));
  std::vector<double> xs{-2, 0.25, 4, 1, 7, -0.5, 3, 2, 9};
  TensorMap out = runJit(g, PipelineKind::Predict,
                         {{"x", tensor(DType::F64, {1, 1, 3, 3}, xs)}});
  double sum = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    EXPECT_EQ(out.at("out_m").data[i], xs[i] * 0.1) << i;
    double e = xs[i] > 0 ? xs[i] : 0.3 * std::expm1(xs[i]);
    EXPECT_NEAR(out.at("out_e").data[i], e, 1e-15) << i;
    sum += xs[i];
  }
  EXPECT_NEAR(out.at("out_p").data[0], sum / 9, 1e-15);
}

// erf (our own f64 series and continued fraction) against the C library's,
// across both methods, the switch at 2.5 and the saturation at 6; and gelu,
// which is built on it. NaN stays NaN, also in a vector's tail (the last
// of 645 values).
TEST(UnaryOps, ErfAndGeluMatchLibm) {
  std::vector<double> xs;
  for (int i = -320; i <= 320; ++i)
    xs.push_back(i / 40.0 + 1e-3);
  xs.push_back(1e-300);
  xs.push_back(-2.5);
  xs.push_back(2.5);
  xs.push_back(std::nan(""));
  const int64_t n = static_cast<int64_t>(xs.size());
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *x = makeInput(g, "x", DType::F64, {kBatch, n});
  g.addOutput("e", b.build(OpKind::Erf, {x}));
  g.addOutput("g", b.build(OpKind::Gelu, {x}));
  g.addOutput(
      "t", b.build(OpKind::Gelu, {x}, {{"approximate", std::string("tanh")}}));
  TensorMap out =
      runJit(g, PipelineKind::Predict, {{"x", tensor(DType::F64, {1, n}, xs)}});
  for (size_t i = 0; i < xs.size(); ++i) {
    double v = xs[i];
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(out.at("out_e").data[i]));
      EXPECT_TRUE(std::isnan(out.at("out_g").data[i]));
      continue;
    }
    double e = std::erf(v);
    EXPECT_NEAR(out.at("out_e").data[i], e, 4e-16 * std::abs(e)) << v;
    double ge = 0.5 * v * (1 + std::erf(v * 0.70710678118654752440));
    EXPECT_NEAR(out.at("out_g").data[i], ge, 1e-15 * (1 + std::abs(ge))) << v;
    double u = 0.79788456080286535588 * (v + 0.044715 * v * v * v);
    double gt = 0.5 * v * (1 + std::tanh(u));
    EXPECT_NEAR(out.at("out_t").data[i], gt, 1e-15 * (1 + std::abs(gt))) << v;
  }
}

// NaN in the last lanes of a vector (the guarded tail of 645 values) stays
// NaN: Halide marked the tail's masked loads "no NaN", and relu, exp, log,
// elu, hard_sigmoid and maximum gave 0, 1, 89, ... there.
TEST(UnaryOps, NaNSurvivesVectorTails) {
  for (DType dt : {DType::F32, DType::F64}) {
    std::vector<double> xs(645, 0.5);
    const std::vector<size_t> nans = {0, 300, 640, 644};
    for (size_t i : nans)
      xs[i] = std::nan("");
    Graph g("M");
    GraphBuilder b(g, nullptr);
    Node *x = makeInput(g, "x", dt, {kBatch, 645});
    const std::vector<std::pair<const char *, OpKind>> ops = {
        {"relu", OpKind::Relu},
        {"exp", OpKind::Exp},
        {"log", OpKind::Log},
        {"elu", OpKind::Elu},
        {"hs", OpKind::HardSigmoid}};
    for (const auto &[name, k] : ops)
      g.addOutput(name, b.build(k, {x}));
    g.addOutput("max", b.build(OpKind::Maximum, {x, b.scalar(0.25, dt)}));
    TensorMap out =
        runJit(g, PipelineKind::Predict, {{"x", tensor(dt, {1, 645}, xs)}});
    for (const auto &[name, t] : out)
      for (size_t i : nans)
        EXPECT_TRUE(std::isnan(t.data[i]))
            << name << " [" << i << "] " << dtypeName(dt) << " = " << t.data[i];
  }
}

class SelectTest : public ::testing::TestWithParam<DType> {};

// c [2, 1] (any dtype) x a [batch, 2, 3] x b [3] -> [batch, 2, 3].
TEST_P(SelectTest, ThreeWayBroadcast) {
  DType t = GetParam();
  for (DType ct : {t, DType::I32}) {
    Graph g("M");
    GraphBuilder b(g, nullptr);
    Node *c = makeInput(g, "c", ct, {2, 1});
    Node *a = makeInput(g, "a", t, {kBatch, 2, 3});
    Node *bb = makeInput(g, "b", t, {3});
    Expected<Node *> y = b.tryBuild(OpKind::Select, {c, a, bb});
    ASSERT_TRUE(y) << y.errorMessage();
    EXPECT_EQ((*y)->type(), (TensorType{t, {kBatch, 2, 3}}));
    g.addOutput("y", *y);
    std::vector<double> cv = {0, -2}, bv = {10, 20, 30};
    std::vector<double> av = sampleValues(12, 0.1);
    TensorMap out = runJit(g, PipelineKind::Predict,
                           {{"c", tensor(ct, {2, 1}, cv)},
                            {"a", tensor(t, {2, 2, 3}, av)},
                            {"b", tensor(t, {3}, bv)}});
    std::vector<double> want;
    for (size_t i = 0; i < 12; ++i) {
      bool cond = cv[(i / 3) % 2] != 0;
      want.push_back(cond ? roundTo(t, av[i]) : bv[i % 3]);
    }
    expectAllNear(out.at("out_y"), want, t, "select");
  }
}

INSTANTIATE_TEST_SUITE_P(Elementwise, SelectTest,
                         ::testing::Values(DType::F32, DType::F64),
                         [](const ::testing::TestParamInfo<DType> &info) {
                           return dtypeSuffix(info.param);
                         });

// ---------------------------------------------------------------------------
// Type errors: exact messages, no JIT.
// ---------------------------------------------------------------------------

std::string typeErrorOf(Graph &g, OpKind k, std::vector<Node *> ins) {
  GraphBuilder b(g, nullptr);
  unsigned before = g.size();
  Expected<Node *> r = b.tryBuild(k, std::move(ins));
  EXPECT_FALSE(r) << opName(k) << " should have been rejected";
  EXPECT_EQ(g.size(), before) << "a rejected node must not stay in the graph";
  return r ? std::string() : r.errorMessage();
}

TEST(ElementwiseTypes, FloatOnlyUnaryRejectsI32) {
  Graph g("M");
  Node *x = makeInput(g, "x", DType::I32, {kBatch, 4});
  for (OpKind k :
       {OpKind::Exp, OpKind::Log, OpKind::Sqrt, OpKind::Step, OpKind::Sigmoid,
        OpKind::Tanh, OpKind::Relu, OpKind::LeakyRelu, OpKind::Elu,
        OpKind::Softplus, OpKind::Swish})
    EXPECT_EQ(typeErrorOf(g, k, {x}), std::string("'") + opName(k) +
                                          "' needs a float tensor, got "
                                          "i32[batch, 4]");
}

TEST(ElementwiseTypes, UnaryKeepsType) {
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *x = makeInput(g, "x", DType::F64, {kBatch, 4});
  for (OpKind k : {OpKind::Neg, OpKind::Exp, OpKind::Softplus, OpKind::Swish})
    EXPECT_EQ(b.build(k, {x})->type(), x->type()) << opName(k);
}

TEST(ElementwiseTypes, BinaryBroadcastErrors) {
  Graph g("M");
  Node *a = makeInput(g, "a", DType::F32, {kBatch, 3});
  Node *b = makeInput(g, "b", DType::F32, {4});
  for (OpKind k : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div,
                   OpKind::Maximum, OpKind::Greater})
    EXPECT_EQ(typeErrorOf(g, k, {a, b}),
              std::string("'") + opName(k) +
                  "' cannot broadcast [batch, 3] and [4]");
  EXPECT_EQ(typeErrorOf(g, OpKind::Mul, {b, a}),
            "'mul' cannot broadcast [4] and [batch, 3]");
}

TEST(ElementwiseTypes, BinaryDTypeMismatch) {
  Graph g("M");
  Node *a = makeInput(g, "a", DType::F32, {2});
  Node *b = makeInput(g, "b", DType::F64, {2});
  EXPECT_EQ(typeErrorOf(g, OpKind::Sub, {a, b}),
            "'sub' operands have different types f32[2] and f64[2]");
  EXPECT_EQ(typeErrorOf(g, OpKind::Greater, {b, a}),
            "'greater' operands have different types f64[2] and f32[2]");
}

TEST(ElementwiseTypes, GreaterKeepsOperandType) {
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *a = makeInput(g, "a", DType::F64, {kBatch, 1});
  Node *c = makeInput(g, "c", DType::F64, {5});
  EXPECT_EQ(b.build(OpKind::Greater, {a, c})->type(),
            (TensorType{DType::F64, {kBatch, 5}}));
}

TEST(ElementwiseTypes, SelectErrors) {
  Graph g("M");
  Node *c = makeInput(g, "c", DType::F32, {2});
  Node *a = makeInput(g, "a", DType::F32, {3});
  Node *i = makeInput(g, "i", DType::I32, {3});
  EXPECT_EQ(typeErrorOf(g, OpKind::Select, {c, a, a}),
            "'select' cannot broadcast [2], [3] and [3]");
  EXPECT_EQ(typeErrorOf(g, OpKind::Select, {a, a, c}),
            "'select' cannot broadcast [3], [3] and [2]");
  EXPECT_EQ(typeErrorOf(g, OpKind::Select, {a, a, i}),
            "'select' operands have different types f32[3] and i32[3]");
  EXPECT_EQ(typeErrorOf(g, OpKind::Select, {c, a}),
            "'select' takes 3 operand(s), got 2");
}

// ---------------------------------------------------------------------------
// Gradient rules against central differences (f64).
// ---------------------------------------------------------------------------

/// Builds loss = sum(y * r) over y = op(inputs) with fixed random weights r,
/// differentiates it with respect to `wrt` and checks each gradient
/// against (L(v + h) - L(v - h)) / 2h, one element at a time.
void checkGradients(Graph &g, Node *y, const std::vector<Node *> &wrt,
                    TensorMap feeds, const std::string &what) {
  GraphBuilder b(g, nullptr);
  Node *r = makeInput(g, "r", DType::F64, y->shape());
  Shape rs = resolve(y->shape(), 2);
  feeds["r"] = tensor(DType::F64, rs, sampleValues(numElements(rs), 0.77));
  Node *loss =
      b.build(OpKind::Sum, {b.build(OpKind::Mul, {y, r})},
              {{"axes", std::vector<int64_t>{}}, {"keepdims", int64_t(0)}});
  ASSERT_NE(loss, nullptr);
  ASSERT_EQ(loss->rank(), 0u);
  std::ostringstream errs;
  DiagnosticEngine diag(errs);
  std::vector<Node *> grads = buildGradients(g, loss, wrt, diag);
  ASSERT_EQ(grads.size(), wrt.size()) << what << ": " << errs.str();
  g.addOutput("loss", loss);
  for (size_t i = 0; i < wrt.size(); ++i) {
    ASSERT_EQ(grads[i]->shape(), wrt[i]->shape()) << what;
    g.addOutput("g_" + wrt[i]->name(), grads[i]);
  }
  JitPipeline p(g, PipelineKind::Predict);
  TensorMap base = p.run(feeds);
  const double h = 1e-6;
  for (Node *w : wrt) {
    const HostTensor &analytic = base.at("out_g_" + w->name());
    HostTensor &v = feeds.at(w->name());
    for (size_t i = 0; i < v.data.size(); ++i) {
      double saved = v.data[i];
      v.data[i] = saved + h;
      double up = p.run(feeds).at("out_loss").data[0];
      v.data[i] = saved - h;
      double down = p.run(feeds).at("out_loss").data[0];
      v.data[i] = saved;
      double numeric = (up - down) / (2 * h);
      EXPECT_NEAR(analytic.data[i], numeric,
                  1e-5 * std::max(1.0, std::abs(numeric)))
          << what << ": d/d" << w->name() << "[" << i << "]";
    }
  }
}

TEST(ElementwiseGrad, UnaryMatchesFiniteDifferences) {
  // Away from the kinks at 0 of relu, abs, leaky_relu and elu.
  std::vector<double> mixed = {-2.1, -0.7, -0.3, 0.4, 1.1, 2.5};
  std::vector<double> positive = {0.3, 0.8, 1.2, 2.0, 3.5, 7.0};
  for (const UnaryCase &c : unaryCases()) {
    if (!getOpInfo(c.kind).buildGradient)
      continue;
    Graph g("M");
    GraphBuilder b(g, nullptr);
    Node *x = makeInput(g, "x", DType::F64, {kBatch, 3});
    Node *y = b.build(c.kind, {x}, c.attrs);
    const std::vector<double> &xs = c.xs == kPositive ? positive : mixed;
    checkGradients(g, y, {x}, {{"x", tensor(DType::F64, {2, 3}, xs)}}, c.label);
  }
}

TEST(ElementwiseGrad, BinaryUnbroadcastMatchesFiniteDifferences) {
  for (const BinaryCase &c : binaryCases()) {
    if (!getOpInfo(c.kind).buildGradient)
      continue;
    Graph g("M");
    GraphBuilder b(g, nullptr);
    Node *a = makeInput(g, "a", DType::F64, {kBatch, 3});
    Node *bb = makeInput(g, "b", DType::F64, {3});
    Node *y = b.build(c.kind, {a, bb});
    checkGradients(
        g, y, {a, bb},
        {{"a", tensor(DType::F64, {2, 3}, {-2.1, 0.7, 1.3, 0.4, -1.1, 2.5})},
         {"b", tensor(DType::F64, {3}, {0.9, -1.6, 1.8})}},
        c.label);
  }
}

TEST(ElementwiseGrad, SelectRoutesToTheChosenOperand) {
  Graph g("M");
  GraphBuilder b(g, nullptr);
  Node *c = makeInput(g, "c", DType::F64, {kBatch, 1});
  Node *a = makeInput(g, "a", DType::F64, {kBatch, 3});
  Node *bb = makeInput(g, "b", DType::F64, {3});
  Node *y = b.build(OpKind::Select, {c, a, bb});
  checkGradients(g, y, {a, bb},
                 {{"c", tensor(DType::F64, {2, 1}, {1, 0})},
                  {"a", tensor(DType::F64, {2, 3}, sampleValues(6, 0.2))},
                  {"b", tensor(DType::F64, {3}, {1, 2, 3})}},
                 "select");
}

TEST(ElementwiseGrad, NonDifferentiableOpsAreReported) {
  for (OpKind k : {OpKind::Step, OpKind::Sign, OpKind::Greater}) {
    const OpInfo &info = getOpInfo(k);
    ASSERT_EQ(info.buildGradient, nullptr) << opName(k);
    ASSERT_NE(info.noGradReason, nullptr) << opName(k);
    Graph g("M");
    GraphBuilder b(g, nullptr);
    Node *x = makeInput(g, "x", DType::F64, {3});
    Node *y = k == OpKind::Greater ? b.build(k, {x, b.scalar(0, DType::F64)})
                                   : b.build(k, {x});
    Node *loss = b.build(OpKind::Sum, {y}, {{"axes", std::vector<int64_t>{}}});
    std::ostringstream errs;
    DiagnosticEngine diag(errs);
    EXPECT_TRUE(buildGradients(g, loss, {x}, diag).empty()) << opName(k);
    EXPECT_NE(errs.str().find(info.noGradReason), std::string::npos)
        << errs.str();
  }
}

} // namespace
