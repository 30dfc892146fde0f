//===- FoldConstants.cpp - Evaluate nodes whose operands are constants ----===//
//
// Values are computed in double and rounded once to the result's element
// type, so an f32 result can differ from the generated code (which rounds
// after every step) in the last bit. An i32 result is folded only if every
// value is an integer in range: that sidesteps the integer division and
// overflow semantics of the generated code. Every shape is re-checked
// against the node's type; a node whose attributes look wrong is left for
// the verifier to report.
//
//===----------------------------------------------------------------------===//
#include "lamina/OpInfo.h"
#include "lamina/Passes.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>

namespace lamina {

namespace {

/// Results larger than this stay computed at run time.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 20;
/// Multiply-adds a folded matmul may take.
constexpr int64_t kMaxMatMulWork = int64_t(1) << 26;

using Values = std::vector<double>;

/// Row-major strides of `s`.
std::vector<size_t> stridesOf(const Shape &s) {
  std::vector<size_t> st(s.size());
  size_t acc = 1;
  for (size_t d = s.size(); d-- > 0;) {
    st[d] = acc;
    acc *= static_cast<size_t>(s[d]);
  }
  return st;
}

/// For each element of `out`, row-major, the sum of its index times
/// `stride`: the flat position it reads in some other tensor.
std::vector<size_t> gather(const Shape &out,
                           const std::vector<size_t> &stride) {
  size_t total = static_cast<size_t>(numElements(out));
  std::vector<size_t> map(total);
  std::vector<int64_t> idx(out.size(), 0);
  size_t cur = 0;
  for (size_t i = 0; i < total; ++i) {
    map[i] = cur;
    for (size_t d = out.size(); d-- > 0;) {
      cur += stride[d];
      if (++idx[d] < out[d])
        break;
      cur -= stride[d] * static_cast<size_t>(out[d]);
      idx[d] = 0;
    }
  }
  return map;
}

/// Where each element of `out` reads `in` under numpy broadcasting; nullopt
/// if `in` does not broadcast to `out`.
std::optional<std::vector<size_t>> broadcastMap(const Shape &in,
                                                const Shape &out) {
  if (in.size() > out.size())
    return std::nullopt;
  size_t offset = out.size() - in.size();
  std::vector<size_t> inStride = stridesOf(in);
  std::vector<size_t> stride(out.size(), 0);
  for (size_t k = 0; k < in.size(); ++k) {
    if (in[k] == out[k + offset])
      stride[k + offset] = inStride[k];
    else if (in[k] != 1)
      return std::nullopt;
  }
  return gather(out, stride);
}

std::optional<double> numberAttr(const Node &n, const char *key) {
  auto it = n.attrs().find(key);
  if (it == n.attrs().end())
    return std::nullopt;
  if (auto *d = std::get_if<double>(&it->second))
    return *d;
  if (auto *i = std::get_if<int64_t>(&it->second))
    return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<std::vector<int64_t>> intsAttr(const Node &n, const char *key) {
  auto it = n.attrs().find(key);
  if (it == n.attrs().end())
    return std::nullopt;
  if (auto *v = std::get_if<std::vector<int64_t>>(&it->second))
    return *v;
  return std::nullopt;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// ln(1 + e^x) without overflow for large x.
double softplus(double x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

/// Applies f elementwise over the operands broadcast to n's shape.
std::optional<Values>
mapElements(const Node &n, const std::function<double(const double *)> &f) {
  std::vector<std::vector<size_t>> maps;
  for (const Node *in : n.inputs()) {
    std::optional<std::vector<size_t>> m = broadcastMap(in->shape(), n.shape());
    if (!m)
      return std::nullopt;
    maps.push_back(std::move(*m));
  }
  size_t total = static_cast<size_t>(numElements(n.shape()));
  Values out(total);
  double args[3] = {0, 0, 0};
  for (size_t i = 0; i < total; ++i) {
    for (size_t k = 0; k < maps.size(); ++k)
      args[k] = n.inputs()[k]->data()[maps[k][i]];
    out[i] = f(args);
  }
  return out;
}

std::optional<Values> mapUnary(const Node &n, std::function<double(double)> f) {
  if (n.input(0).shape() != n.shape())
    return std::nullopt;
  return mapElements(n, [&](const double *a) { return f(a[0]); });
}

std::optional<Values> mapBinary(const Node &n,
                                std::function<double(double, double)> f) {
  return mapElements(n, [&](const double *a) { return f(a[0], a[1]); });
}

std::optional<Values> foldTranspose(const Node &n) {
  const Shape &in = n.input(0).shape();
  // Without a perm the op reverses the dims.
  std::optional<std::vector<int64_t>> perm = intsAttr(n, "perm");
  if (!n.hasAttr("perm")) {
    perm.emplace();
    for (size_t d = in.size(); d-- > 0;)
      perm->push_back(static_cast<int64_t>(d));
  }
  if (!perm || perm->size() != in.size())
    return std::nullopt;
  int64_t rank = static_cast<int64_t>(in.size());
  std::vector<bool> seen(in.size(), false);
  std::vector<size_t> inStride = stridesOf(in), stride(in.size());
  for (size_t i = 0; i < perm->size(); ++i) {
    int64_t p = (*perm)[i] < 0 ? (*perm)[i] + rank : (*perm)[i];
    if (p < 0 || p >= rank || seen[p] || n.shape()[i] != in[p])
      return std::nullopt;
    seen[p] = true;
    stride[i] = inStride[p];
  }
  Values out;
  for (size_t src : gather(n.shape(), stride))
    out.push_back(n.input(0).data()[src]);
  return out;
}

enum class Reduce { Sum, Mean, Max };

std::optional<Values> foldReduce(const Node &n, Reduce how) {
  const Shape &in = n.input(0).shape();
  std::optional<std::vector<int64_t>> axes =
      n.hasAttr("axes") ? intsAttr(n, "axes") : std::vector<int64_t>{};
  if (!axes)
    return std::nullopt;
  std::optional<std::vector<int64_t>> norm =
      normalizeAxes(*axes, static_cast<unsigned>(in.size()));
  std::optional<double> keepdims = numberAttr(n, "keepdims");
  if (!norm || (n.hasAttr("keepdims") && !keepdims))
    return std::nullopt;
  Shape kept = in, dropped;
  for (int64_t a : *norm)
    kept[a] = 1;
  for (size_t d = 0; d < in.size(); ++d)
    if (!std::binary_search(norm->begin(), norm->end(), int64_t(d)))
      dropped.push_back(in[d]);
  if (n.shape() != (keepdims.value_or(0) != 0 ? kept : dropped))
    return std::nullopt;
  int64_t count = numElements(in) / std::max<int64_t>(numElements(kept), 1);
  if (numElements(in) == 0)
    return std::nullopt;
  // Each input element adds into the element of `kept` it reduces to.
  std::optional<std::vector<size_t>> into = broadcastMap(kept, in);
  if (!into)
    return std::nullopt;
  Values out(static_cast<size_t>(numElements(kept)),
             how == Reduce::Max ? -std::numeric_limits<double>::infinity()
                                : 0.0);
  const Values &x = n.input(0).data();
  for (size_t i = 0; i < x.size(); ++i) {
    double &o = out[(*into)[i]];
    o = how == Reduce::Max ? std::max(o, x[i]) : o + x[i];
  }
  if (how == Reduce::Mean)
    for (double &o : out)
      o /= static_cast<double>(count);
  return out;
}

/// [.., m, k] @ [k, n] -> [.., m, n]
std::optional<Values> foldMatMul(const Node &n) {
  const Shape &a = n.input(0).shape(), &b = n.input(1).shape();
  if (a.size() < 2 || b.size() != 2 || a.back() != b[0])
    return std::nullopt;
  Shape expect(a.begin(), a.end() - 1);
  expect.push_back(b[1]);
  if (n.shape() != expect)
    return std::nullopt;
  int64_t k = b[0], cols = b[1];
  int64_t rows = numElements(Shape(a.begin(), a.end() - 1));
  if (rows * cols * std::max<int64_t>(k, 1) > kMaxMatMulWork)
    return std::nullopt;
  const Values &x = n.input(0).data(), &w = n.input(1).data();
  Values out(static_cast<size_t>(rows * cols), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t t = 0; t < k; ++t)
      for (int64_t c = 0; c < cols; ++c)
        out[r * cols + c] += x[r * k + t] * w[t * cols + c];
  return out;
}

/// The values of n, or nullopt if this pass does not fold its op.
std::optional<Values> evaluate(const Node &n) {
  switch (n.kind()) {
  case OpKind::Input:
  case OpKind::Param:
  case OpKind::Constant:
    return std::nullopt;
  case OpKind::Add:
    return mapBinary(n, [](double a, double b) { return a + b; });
  case OpKind::Sub:
    return mapBinary(n, [](double a, double b) { return a - b; });
  case OpKind::Mul:
    return mapBinary(n, [](double a, double b) { return a * b; });
  case OpKind::Div:
    return mapBinary(n, [](double a, double b) { return a / b; });
  case OpKind::Maximum:
    return mapBinary(n, [](double a, double b) { return std::max(a, b); });
  case OpKind::Greater:
    return mapBinary(n, [](double a, double b) { return a > b ? 1.0 : 0.0; });
  case OpKind::Select:
    return mapElements(n,
                       [](const double *a) { return a[0] != 0 ? a[1] : a[2]; });
  case OpKind::Neg:
    return mapUnary(n, [](double x) { return -x; });
  case OpKind::Exp:
    return mapUnary(n, [](double x) { return std::exp(x); });
  case OpKind::Log:
    return mapUnary(n, [](double x) { return std::log(x); });
  case OpKind::Sqrt:
    return mapUnary(n, [](double x) { return std::sqrt(x); });
  case OpKind::Abs:
    return mapUnary(n, [](double x) { return std::fabs(x); });
  case OpKind::Sign:
    return mapUnary(n, [](double x) {
      return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
    });
  case OpKind::Step:
    return mapUnary(n, [](double x) { return x > 0 ? 1.0 : 0.0; });
  case OpKind::Sigmoid:
    return mapUnary(n, sigmoid);
  case OpKind::Tanh:
    return mapUnary(n, [](double x) { return std::tanh(x); });
  case OpKind::Relu:
    return mapUnary(n, [](double x) { return x > 0 ? x : 0.0; });
  case OpKind::Softplus:
    return mapUnary(n, softplus);
  // The defaults of alpha and beta belong to the op files; fold only when
  // the attribute is written out.
  case OpKind::LeakyRelu: {
    std::optional<double> alpha = numberAttr(n, "alpha");
    if (!alpha)
      return std::nullopt;
    return mapUnary(n, [a = *alpha](double x) { return x > 0 ? x : a * x; });
  }
  case OpKind::Elu: {
    std::optional<double> alpha = numberAttr(n, "alpha");
    if (!alpha)
      return std::nullopt;
    return mapUnary(n, [a = *alpha](double x) {
      return x > 0 ? x : a * (std::exp(x) - 1);
    });
  }
  case OpKind::Swish: {
    std::optional<double> beta = numberAttr(n, "beta");
    if (!beta)
      return std::nullopt;
    return mapUnary(n, [b = *beta](double x) { return x * sigmoid(b * x); });
  }
  case OpKind::MatMul:
    return foldMatMul(n);
  case OpKind::Transpose:
    return foldTranspose(n);
  case OpKind::Reshape:
    if (numElements(n.shape()) != numElements(n.input(0).shape()))
      return std::nullopt;
    return n.input(0).data();
  case OpKind::BroadcastTo:
    return mapElements(n, [](const double *a) { return a[0]; });
  case OpKind::Sum:
    return foldReduce(n, Reduce::Sum);
  case OpKind::Mean:
    return foldReduce(n, Reduce::Mean);
  case OpKind::ReduceMax:
    return foldReduce(n, Reduce::Max);
  // Not folded: layers, losses and metrics on constants do not occur in
  // practice, and their exact semantics live in their op files.
  case OpKind::Dense:
  case OpKind::Count:
  case OpKind::OneHot:
  case OpKind::ArgMax:
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
  case OpKind::Mse:
  case OpKind::Mae:
  case OpKind::HalfSquaredError:
  case OpKind::BinaryCrossEntropy:
  case OpKind::CrossEntropy:
  case OpKind::Accuracy:
  case OpKind::Rmse:
  case OpKind::R2:
  case OpKind::Conv1d:
  case OpKind::Conv2d:
  case OpKind::ConvGradInput:
  case OpKind::ConvGradWeight:
  case OpKind::MaxPool1d:
  case OpKind::MaxPool2d:
  case OpKind::AvgPool1d:
  case OpKind::AvgPool2d:
  case OpKind::MaxPoolGrad:
  case OpKind::AvgPoolGrad:
  case OpKind::Pad:
  case OpKind::PadGrad:
    return std::nullopt;
  }
  return std::nullopt;
}

/// A constant with one value per element of a batch-free shape.
bool isFoldableOperand(const Node &n) {
  return n.kind() == OpKind::Constant && !hasBatch(n.shape()) &&
         static_cast<int64_t>(n.data().size()) == numElements(n.shape());
}

bool canFold(const Node &n) {
  if (n.numInputs() == 0 || n.numInputs() > 3 || hasBatch(n.shape()) ||
      numElements(n.shape()) > kMaxFoldedElements)
    return false;
  for (const Node *in : n.inputs())
    if (!isFoldableOperand(*in))
      return false;
  return true;
}

/// Rounds `v` to what an element of type `t` holds; nullopt if an i32 would
/// not hold it exactly.
std::optional<double> roundTo(DType t, double v) {
  switch (t) {
  case DType::F64:
    return v;
  case DType::F32: {
    // Halfway between FLT_MAX and the next power of two rounds to infinity.
    constexpr double kF32Overflow = 3.4028235677973366e38;
    if (std::isfinite(v) && std::fabs(v) >= kF32Overflow)
      return std::copysign(std::numeric_limits<double>::infinity(), v);
    return static_cast<double>(static_cast<float>(v));
  }
  case DType::I32:
    if (!(v >= INT32_MIN && v <= INT32_MAX) || v != std::trunc(v))
      return std::nullopt;
    return v;
  }
  return std::nullopt;
}

} // namespace

void foldConstants(Graph &g) {
  std::vector<Node *> replaced;
  for (unsigned i = 0; i < g.size(); ++i) {
    Node *n = g.nodes()[i].get();
    if (!canFold(*n))
      continue;
    std::optional<Values> values = evaluate(*n);
    if (!values ||
        static_cast<int64_t>(values->size()) != numElements(n->shape()))
      continue;
    bool exact = true;
    for (double &v : *values) {
      std::optional<double> r = roundTo(n->dtype(), v);
      if (!r) {
        exact = false;
        break;
      }
      v = *r;
    }
    if (!exact)
      continue;
    // The constant takes n's place, so it precedes all of n's users.
    Node *c = g.insert(i, OpKind::Constant, {}, n->type(), {}, n->loc());
    c->setData(std::move(*values));
    c->setName(n->name());
    replaceAllUses(g, n, c);
    replaced.push_back(n);
    ++i;
  }
  g.eraseNodes(replaced);
}

} // namespace lamina
