//===- FoldTest.cpp - Folding computes what the generated code computes ---===//
//
// For every op whose OpInfo has a `fold` hook (looped over Ops.def, so a new
// foldable op without cases here fails), the op is built twice on the same
// values, in f32 and f64: once on Constants and folded by foldConstants, once
// on Inputs and JIT-compiled with Halide's strict_float. The values include
// NaN, +-inf, +-0, subnormals and numbers near the ends of the range (fixed
// seed). The results must agree:
//   - bit for bit for the exactly rounded ops (+, -, *, /, sqrt), the
//     comparisons, selections and data movement (NaNs are all equal; -0 and
//     +0 differ);
//   - within 4 ULP for the transcendental ops, which the fold computes in
//     double and rounds once (NaN matches NaN, inf matches inf);
//   - within 1e-5 (f32) or 1e-12 (f64) of max(1, |folded|) for reductions and
//     matmul on finite values, which sum in another order; NaN anywhere in a
//     window gives NaN in both.
// Where the two are known to disagree, the elements (knownMismatch) or
// cases (leaky_relu's default alpha in f32, reduce_max over a NaN) are left
// out, each under a KNOWN MISMATCH comment that gives the values.
//
//===----------------------------------------------------------------------===//
#include "lamina/IR.h"
#include "lamina/Jit.h"
#include "lamina/OpInfo.h"
#include "lamina/Passes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

using namespace lamina;

namespace {

/// How the folded and the compiled values must agree.
enum class Match { Bits, Ulps, Reduction };

struct Operand {
  Shape shape;
  std::vector<double> data;
};

/// One graph: the op on these operands with these attributes.
struct FoldCase {
  std::string name;
  std::vector<Operand> operands;
  Attrs attrs;
  Match match;
};

/// The cases of one op in dtype `t`, drawing random values from `rng`.
using CaseGenerator =
    std::function<std::vector<FoldCase>(DType t, std::mt19937_64 &rng)>;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

/// `v` as an element of type `t` holds it.
double roundTo(DType t, double v) {
  return t == DType::F32 ? static_cast<double>(static_cast<float>(v)) : v;
}

/// NaN, +-inf, +-0, subnormals, the smallest normal, the largest finite
/// values, and a few ordinary numbers, all representable in `t`.
std::vector<double> specialValues(DType t) {
  bool f32 = t == DType::F32;
  double denorm = f32 ? std::numeric_limits<float>::denorm_min()
                      : std::numeric_limits<double>::denorm_min();
  double tiny = f32 ? std::numeric_limits<float>::min()
                    : std::numeric_limits<double>::min();
  double big = f32 ? std::numeric_limits<float>::max()
                   : std::numeric_limits<double>::max();
  std::vector<double> v = {
      kNan, kInf, -kInf,  -0.0,  0.0,    denorm, -denorm, tiny,  -tiny,
      big,  -big, 1.0,    -1.0,  0.5,    -2.0,   1e-30,   -1e30, 3.0 * denorm,
      1e-7, 88.0, -104.0, 710.0, -745.0, 20.0,   -30.0};
  for (double &x : v)
    x = roundTo(t, x);
  return v;
}

/// A value with a random sign and a decimal exponent in [-lo10, hi10].
double wideValue(std::mt19937_64 &rng, double lo10, double hi10) {
  std::uniform_real_distribution<double> e(-lo10, hi10), s(0.0, 1.0);
  double x = std::pow(10.0, e(rng));
  return s(rng) < 0.5 ? -x : x;
}

/// `count` values for elementwise ops: a third in [-8, 8], a third over a
/// wide range of magnitudes, a third drawn from specialValues.
std::vector<double> mixedValues(DType t, std::mt19937_64 &rng, size_t count) {
  std::vector<double> special = specialValues(t);
  std::uniform_real_distribution<double> small(-8.0, 8.0);
  std::uniform_int_distribution<size_t> pick(0, special.size() - 1);
  double range = t == DType::F32 ? 37.0 : 300.0;
  std::vector<double> v;
  for (size_t i = 0; i < count; ++i) {
    switch (i % 3) {
    case 0:
      v.push_back(roundTo(t, small(rng)));
      break;
    case 1:
      v.push_back(roundTo(t, wideValue(rng, range, range)));
      break;
    default:
      v.push_back(special[pick(rng)]);
    }
  }
  return v;
}

/// `count` finite values in [-1, 1].
std::vector<double> finiteValues(DType t, std::mt19937_64 &rng, size_t count) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v;
  for (size_t i = 0; i < count; ++i)
    v.push_back(roundTo(t, u(rng)));
  return v;
}

/// The value pool for operand pairs: every special value and a few others.
std::vector<double> pairPool(DType t, std::mt19937_64 &rng) {
  std::vector<double> pool = specialValues(t);
  for (double x : mixedValues(t, rng, 9))
    pool.push_back(x);
  return pool;
}

size_t elements(const Shape &s) { return static_cast<size_t>(numElements(s)); }

/// Unary elementwise cases: a vector of every special value plus mixed ones,
/// and a matrix of mixed values.
std::vector<FoldCase> unaryCases(DType t, std::mt19937_64 &rng, Match m,
                                 Attrs attrs = {}) {
  std::vector<double> v = specialValues(t);
  for (double x : mixedValues(t, rng, 64))
    v.push_back(x);
  Shape s = {static_cast<int64_t>(v.size())};
  return {{"values", {{s, v}}, attrs, m},
          {"matrix", {{{3, 5}, mixedValues(t, rng, 15)}}, attrs, m}};
}

/// Binary elementwise cases: every pair from pairPool, and broadcasting of a
/// [2, 3] against a [3] and a scalar.
std::vector<FoldCase> binaryCases(DType t, std::mt19937_64 &rng, Match m) {
  std::vector<double> pool = pairPool(t, rng), a, b;
  for (double x : pool)
    for (double y : pool) {
      a.push_back(x);
      b.push_back(y);
    }
  Shape s = {static_cast<int64_t>(a.size())};
  return {{"pairs", {{s, a}, {s, b}}, {}, m},
          {"broadcast row",
           {{{2, 3}, mixedValues(t, rng, 6)}, {{3}, mixedValues(t, rng, 3)}},
           {},
           m},
          {"broadcast scalar",
           {{{}, mixedValues(t, rng, 1)}, {{2, 3}, mixedValues(t, rng, 6)}},
           {},
           m}};
}

/// select: every condition from pairPool against mixed branches, and
/// broadcasting of all three operands.
std::vector<FoldCase> selectCases(DType t, std::mt19937_64 &rng) {
  std::vector<double> c = pairPool(t, rng);
  Shape s = {static_cast<int64_t>(c.size())};
  std::vector<double> cond = {0.0, -0.0, kNan, 1.0, -1.0, 0.0};
  return {{"conditions",
           {{s, c},
            {s, mixedValues(t, rng, c.size())},
            {s, mixedValues(t, rng, c.size())}},
           {},
           Match::Bits},
          {"broadcast",
           {{{2, 3}, cond}, {{3}, mixedValues(t, rng, 3)}, {{}, {kNan}}},
           {},
           Match::Bits}};
}

/// Attributes of a reduction.
Attrs reduceAttrs(std::vector<int64_t> axes, bool keepdims) {
  return {{"axes", std::move(axes)}, {"keepdims", int64_t(keepdims)}};
}

/// sum, mean, reduce_max over several axes of finite values, and (`nan`) a
/// NaN in one row, and so in one window of each reduction below.
std::vector<FoldCase> reduceCases(DType t, std::mt19937_64 &rng, bool nan) {
  Shape s = {3, 4, 5};
  std::vector<FoldCase> cases;
  std::vector<std::pair<std::vector<int64_t>, bool>> axes = {
      {{}, false}, {{1}, false}, {{0, 2}, true}, {{-1}, false}, {{0}, true}};
  for (auto &[ax, keep] : axes) {
    std::ostringstream name;
    name << "finite axes [";
    for (size_t i = 0; i < ax.size(); ++i)
      name << (i ? ", " : "") << ax[i];
    name << "]" << (keep ? " keepdims" : "");
    cases.push_back({name.str(),
                     {{s, finiteValues(t, rng, elements(s))}},
                     reduceAttrs(ax, keep),
                     Match::Reduction});
  }
  // A window of -inf only: its max is -inf, not the lowest finite value.
  std::vector<double> low = finiteValues(t, rng, 12);
  for (size_t i = 0; i < 4; ++i)
    low[i] = -kInf;
  cases.push_back(
      {"-inf row", {{{3, 4}, low}}, reduceAttrs({1}, false), Match::Reduction});
  if (!nan)
    return cases;
  std::vector<double> x = finiteValues(t, rng, 12);
  x[6] = kNan; // row 1, column 2
  for (int64_t axis : {0, 1})
    cases.push_back({"nan axis " + std::to_string(axis),
                     {{{3, 4}, x}},
                     reduceAttrs({axis}, false),
                     Match::Reduction});
  cases.push_back(
      {"nan all", {{{3, 4}, x}}, reduceAttrs({}, false), Match::Reduction});
  return cases;
}

/// matmul of a matrix, a batch of matrices and a vector, and a NaN in one
/// row of the left operand.
std::vector<FoldCase> matmulCases(DType t, std::mt19937_64 &rng) {
  std::vector<double> a = finiteValues(t, rng, 12);
  a[5] = kNan; // row 1
  return {
      {"matrix",
       {{{3, 4}, finiteValues(t, rng, 12)}, {{4, 5}, finiteValues(t, rng, 20)}},
       {},
       Match::Reduction},
      {"batched",
       {{{2, 3, 7}, finiteValues(t, rng, 42)},
        {{7, 2}, finiteValues(t, rng, 14)}},
       {},
       Match::Reduction},
      {"vector",
       {{{4}, finiteValues(t, rng, 4)}, {{4, 3}, finiteValues(t, rng, 12)}},
       {},
       Match::Reduction},
      {"nan row",
       {{{3, 4}, a}, {{4, 2}, finiteValues(t, rng, 8)}},
       {},
       Match::Reduction}};
}

std::vector<FoldCase> unaryBits(DType t, std::mt19937_64 &rng) {
  return unaryCases(t, rng, Match::Bits);
}
std::vector<FoldCase> unaryUlps(DType t, std::mt19937_64 &rng) {
  return unaryCases(t, rng, Match::Ulps);
}
std::vector<FoldCase> binaryBits(DType t, std::mt19937_64 &rng) {
  return binaryCases(t, rng, Match::Bits);
}

/// Unary cases once per attribute set.
CaseGenerator withAttrs(Match m, std::vector<Attrs> attrSets) {
  return [m, attrSets](DType t, std::mt19937_64 &rng) {
    std::vector<FoldCase> all;
    for (const Attrs &a : attrSets)
      for (FoldCase &c : unaryCases(t, rng, m, a))
        all.push_back(std::move(c));
    return all;
  };
}

/// leaky_relu with the default alpha (f64 only) and exact alphas.
std::vector<FoldCase> leakyReluCases(DType t, std::mt19937_64 &rng) {
  std::vector<Attrs> attrSets = {{{"alpha", 0.25}}, {{"alpha", -3.0}}};
  attrSets.push_back({});
  return withAttrs(Match::Bits, attrSets)(t, rng);
}

/// One operand of shape `in`, mixed values, with attributes `attrs`.
FoldCase moveCase(DType t, std::mt19937_64 &rng, std::string name, Shape in,
                  Attrs attrs) {
  std::vector<double> v = mixedValues(t, rng, elements(in));
  return {std::move(name), {{std::move(in), std::move(v)}}, attrs, Match::Bits};
}

/// The cases of every op the test knows to fold.
const std::map<OpKind, CaseGenerator> &caseGenerators() {
  using V = std::vector<int64_t>;
  static const std::map<OpKind, CaseGenerator> gens = {
      {OpKind::Add, binaryBits},
      {OpKind::Sub, binaryBits},
      {OpKind::Mul, binaryBits},
      {OpKind::Div, binaryBits},
      {OpKind::Maximum, binaryBits},
      {OpKind::Greater, binaryBits},
      {OpKind::Select, selectCases},
      {OpKind::Neg, unaryBits},
      {OpKind::Abs, unaryBits},
      {OpKind::Sqrt, unaryBits},
      {OpKind::Sign, unaryBits},
      {OpKind::Step, unaryBits},
      {OpKind::Relu, unaryBits},
      {OpKind::LeakyRelu, leakyReluCases},
      {OpKind::Exp, unaryUlps},
      {OpKind::Log, unaryUlps},
      {OpKind::Tanh, unaryUlps},
      {OpKind::Sigmoid, unaryUlps},
      {OpKind::Softplus, unaryUlps},
      {OpKind::Elu, withAttrs(Match::Ulps, {{}, {{"alpha", 0.5}}})},
      {OpKind::Swish, withAttrs(Match::Ulps, {{}, {{"beta", 2.0}}})},
      {OpKind::BroadcastTo,
       [](DType t, std::mt19937_64 &rng) -> std::vector<FoldCase> {
         return {moveCase(t, rng, "column", {3, 1}, {{"shape", V{2, 3, 4}}}),
                 moveCase(t, rng, "scalar", {}, {{"shape", V{2, 2}}})};
       }},
      {OpKind::Reshape,
       [](DType t, std::mt19937_64 &rng) -> std::vector<FoldCase> {
         return {moveCase(t, rng, "3d to 2d", {2, 3, 4}, {{"shape", V{4, 6}}}),
                 moveCase(t, rng, "1d to 3d", {6}, {{"shape", V{2, 1, 3}}})};
       }},
      {OpKind::Transpose,
       [](DType t, std::mt19937_64 &rng) -> std::vector<FoldCase> {
         return {
             moveCase(t, rng, "perm 2 0 1", {2, 3, 4}, {{"perm", V{2, 0, 1}}}),
             moveCase(t, rng, "default perm", {3, 4}, {})};
       }},
      {OpKind::Sum,
       [](DType t, std::mt19937_64 &rng) { return reduceCases(t, rng, true); }},
      {OpKind::Mean,
       [](DType t, std::mt19937_64 &rng) { return reduceCases(t, rng, true); }},
      {OpKind::ReduceMax,
       [](DType t, std::mt19937_64 &rng) { return reduceCases(t, rng, true); }},
      {OpKind::MatMul, matmulCases},
  };
  return gens;
}

/// Every op whose OpInfo has a fold hook, from Ops.def.
std::vector<OpKind> foldableOps() {
  std::vector<OpKind> ops;
#define LAMINA_OP(Name, Spelling, Arity)                                       \
  if (getOpInfo(OpKind::Name).fold)                                            \
    ops.push_back(OpKind::Name);
#include "lamina/Ops.def"
  return ops;
}

/// The op of `c` on Constants, after foldConstants; empty (with a failure)
/// if it was not folded.
std::vector<double> foldedValues(OpKind k, DType t, const FoldCase &c) {
  Graph g("Fold");
  std::vector<Node *> operands;
  for (const Operand &o : c.operands) {
    Node *n = g.create(OpKind::Constant, {}, TensorType{t, o.shape});
    n->setData(o.data);
    operands.push_back(n);
  }
  Expected<Node *> y = GraphBuilder(g, nullptr).tryBuild(k, operands, c.attrs);
  if (!y) {
    ADD_FAILURE() << y.errorMessage();
    return {};
  }
  g.addOutput("y", *y);
  foldConstants(g);
  const Node *out = g.outputs()[0].second;
  if (out->kind() != OpKind::Constant) {
    ADD_FAILURE() << "not folded";
    return {};
  }
  return out->data();
}

/// The op of `c` on Inputs, JIT-compiled with strict_float and run.
HostTensor compiledValues(OpKind k, DType t, const FoldCase &c) {
  Graph g("Jit");
  TensorMap feeds;
  std::vector<Node *> operands;
  for (size_t i = 0; i < c.operands.size(); ++i) {
    const Operand &o = c.operands[i];
    Node *n = g.create(OpKind::Input, {}, TensorType{t, o.shape},
                       {{"role", std::string("input")}});
    std::string name = "x" + std::to_string(i);
    n->setName(name);
    feeds[name] = HostTensor{t, o.shape, o.data};
    operands.push_back(n);
  }
  Expected<Node *> y = GraphBuilder(g, nullptr).tryBuild(k, operands, c.attrs);
  if (!y) {
    ADD_FAILURE() << y.errorMessage();
    return {};
  }
  g.addOutput("y", *y);
  JitOptions opts;
  opts.strictFloat = true;
  return runJit(g, PipelineKind::Predict, feeds, opts).at("out_y");
}

/// The bits of `v` as an element of type `t`, in hex.
std::string bitsOf(DType t, double v) {
  std::ostringstream os;
  os << std::hex;
  if (t == DType::F32) {
    float f = static_cast<float>(v);
    uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    os << "0x" << b;
  } else {
    uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    os << "0x" << b;
  }
  return os.str();
}

/// The distance in representable values of type `t` between finite a and b
/// (-0 and +0 are one value).
uint64_t ulpDistance(DType t, double a, double b) {
  auto key = [t](double v) -> int64_t {
    if (t == DType::F32) {
      float f = static_cast<float>(v);
      int32_t i;
      std::memcpy(&i, &f, sizeof i);
      return i < 0 ? int64_t(INT32_MIN) - i : i;
    }
    int64_t i;
    std::memcpy(&i, &v, sizeof i);
    return i < 0 ? INT64_MIN - i : i;
  };
  int64_t ka = key(a), kb = key(b);
  return ka > kb ? uint64_t(ka) - uint64_t(kb) : uint64_t(kb) - uint64_t(ka);
}

/// Whether folded value `f` and compiled value `c` agree under `m`.
bool agree(Match m, DType t, double f, double c) {
  if (std::isnan(f) || std::isnan(c))
    return std::isnan(f) && std::isnan(c);
  switch (m) {
  case Match::Bits:
    return f == c && std::signbit(f) == std::signbit(c);
  case Match::Ulps:
    if (std::isinf(f) || std::isinf(c))
      return f == c;
    return ulpDistance(t, f, c) <= 4;
  case Match::Reduction:
    if (std::isinf(f) || std::isinf(c))
      return f == c;
    return std::fabs(f - c) <=
           (t == DType::F32 ? 1e-5 : 1e-12) * std::max(1.0, std::fabs(f));
  }
  return false;
}

/// The element of operand `o` that element `flat` of a broadcast result of
/// shape `out` reads (numpy rules), for the elementwise ops.
double operandAt(const Operand &o, const Shape &out, size_t flat) {
  std::vector<int64_t> idx(out.size());
  for (size_t d = out.size(); d-- > 0;) {
    idx[d] = static_cast<int64_t>(flat % static_cast<size_t>(out[d]));
    flat /= static_cast<size_t>(out[d]);
  }
  size_t lead = out.size() - o.shape.size(), pos = 0;
  for (size_t d = 0; d < o.shape.size(); ++d)
    pos = pos * static_cast<size_t>(o.shape[d]) +
          static_cast<size_t>(o.shape[d] == 1 ? 0 : idx[lead + d]);
  return o.data[pos];
}

/// True if every operand broadcasts to `out` (numpy rules), so element i
/// of the result reads one element of each: not so for transpose or
/// reshape, whose cases are matched bit for bit too.
bool broadcastsTo(const std::vector<Operand> &ops, const Shape &out) {
  for (const Operand &o : ops) {
    if (o.shape.size() > out.size())
      return false;
    size_t lead = out.size() - o.shape.size();
    for (size_t d = 0; d < o.shape.size(); ++d)
      if (o.shape[d] != 1 && o.shape[d] != out[lead + d])
        return false;
  }
  return true;
}

/// Where the fold and the compiled code are known to disagree on one
/// element whose operands are `x` (elementwise ops only): true to leave
/// the element out. Each is a bug to fix in the op's file (or in how it
/// folds); its line here goes with the fix.
bool knownMismatch(OpKind k, DType t, const std::vector<double> &x) {
  bool f32 = t == DType::F32;
  // KNOWN MISMATCH: f64 abs(-0) folds to +0; under strict_float the
  // compiled code returns -0 (0x8000000000000000). f32 and the default
  // target give +0.
  if (k == OpKind::Abs)
    return !f32 && x[0] == 0 && std::signbit(x[0]);
  // KNOWN MISMATCH: in f32, sigmoid(beta x) for beta x below -87 (x below
  // -43 with beta = 2) is subnormal in the fold and 0 in Halide's f32 exp
  // (x = -104: folded -7.1e-44, compiled -0).
  if (k == OpKind::Swish)
    return f32 && x[0] < -43;
  return false;
}

class FoldTest : public testing::TestWithParam<std::tuple<OpKind, DType>> {};

TEST_P(FoldTest, FoldedValuesMatchCompiledCode) {
  auto [k, t] = GetParam();
  auto gen = caseGenerators().find(k);
  ASSERT_NE(gen, caseGenerators().end())
      << "'" << opName(k) << "' folds but FoldTest.cpp has no cases for it";
  std::mt19937_64 rng(20240611u + static_cast<unsigned>(k));
  for (const FoldCase &c : gen->second(t, rng)) {
    SCOPED_TRACE(std::string(opName(k)) + " " + dtypeName(t) + " " + c.name);
    std::vector<double> folded = foldedValues(k, t, c);
    HostTensor out = compiledValues(k, t, c);
    const std::vector<double> &compiled = out.data;
    ASSERT_EQ(folded.size(), compiled.size());
    bool elementwise = c.match != Match::Reduction;
    int reported = 0;
    for (size_t i = 0; i < folded.size(); ++i) {
      std::vector<double> x;
      std::ostringstream operands;
      if (elementwise && broadcastsTo(c.operands, out.shape))
        for (const Operand &o : c.operands) {
          x.push_back(operandAt(o, out.shape, i));
          operands << " " << x.back() << " (" << bitsOf(t, x.back()) << ")";
        }
      if ((!x.empty() && knownMismatch(k, t, x)) ||
          agree(c.match, t, folded[i], compiled[i]) || ++reported > 8)
        continue;
      ADD_FAILURE() << "element " << i << ": folded " << folded[i] << " ("
                    << bitsOf(t, folded[i]) << "), compiled " << compiled[i]
                    << " (" << bitsOf(t, compiled[i]) << ")"
                    << (elementwise ? ", operands" + operands.str() : "");
    }
  }
}

std::string
paramName(const testing::TestParamInfo<std::tuple<OpKind, DType>> &info) {
  return std::string(opName(std::get<0>(info.param))) + "_" +
         dtypeName(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(EveryFoldableOp, FoldTest,
                         testing::Combine(testing::ValuesIn(foldableOps()),
                                          testing::Values(DType::F32,
                                                          DType::F64)),
                         paramName);

// The cases above cover every op with a fold hook, and only those.
TEST(FoldCoverage, CasesMatchFoldHooks) {
  std::vector<OpKind> foldable = foldableOps();
  EXPECT_FALSE(foldable.empty());
  for (OpKind k : foldable)
    EXPECT_TRUE(caseGenerators().count(k))
        << "'" << opName(k) << "' folds but FoldTest.cpp has no cases for it";
  for (const auto &[k, gen] : caseGenerators())
    EXPECT_TRUE(getOpInfo(k).fold != nullptr)
        << "'" << opName(k) << "' has fold cases but no fold hook";
}

} // namespace
