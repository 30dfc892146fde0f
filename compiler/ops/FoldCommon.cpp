//===- FoldCommon.cpp - Helpers for the ops' constant folding hooks -------===//
#include "ops/FoldCommon.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lamina {

std::vector<size_t> stridesOf(const Shape &s) {
  std::vector<size_t> st(s.size());
  size_t acc = 1;
  for (size_t d = s.size(); d-- > 0;) {
    st[d] = acc;
    acc *= static_cast<size_t>(s[d]);
  }
  return st;
}

std::vector<size_t> gatherIndices(const Shape &out,
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

std::optional<std::vector<size_t>> broadcastIndices(const Shape &in,
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
  return gatherIndices(out, stride);
}

std::optional<FoldValues>
foldElements(const Node &n, const std::function<double(const double *)> &f) {
  if (n.numInputs() > 3)
    return std::nullopt;
  std::vector<std::vector<size_t>> maps;
  for (const Node *in : n.inputs()) {
    std::optional<std::vector<size_t>> m =
        broadcastIndices(in->shape(), n.shape());
    if (!m)
      return std::nullopt;
    maps.push_back(std::move(*m));
  }
  size_t total = static_cast<size_t>(numElements(n.shape()));
  FoldValues out(total);
  double args[3] = {0, 0, 0};
  for (size_t i = 0; i < total; ++i) {
    for (size_t k = 0; k < maps.size(); ++k)
      args[k] = n.inputs()[k]->data()[maps[k][i]];
    out[i] = f(args);
  }
  return out;
}

std::optional<FoldValues> foldUnary(const Node &n,
                                    const std::function<double(double)> &f) {
  if (n.input(0).shape() != n.shape())
    return std::nullopt;
  return foldElements(n, [&](const double *a) { return f(a[0]); });
}

std::optional<FoldValues>
foldBinary(const Node &n, const std::function<double(double, double)> &f) {
  return foldElements(n, [&](const double *a) { return f(a[0], a[1]); });
}

std::optional<FoldValues> foldReduce(const Node &n, FoldReduce how) {
  const Shape &in = n.input(0).shape();
  std::vector<int64_t> axes =
      n.hasAttr("axes") ? n.intsAttr("axes") : std::vector<int64_t>{};
  std::optional<std::vector<int64_t>> norm =
      normalizeAxes(axes, static_cast<unsigned>(in.size()));
  if (!norm || numElements(in) == 0)
    return std::nullopt;
  Shape kept = in;
  for (int64_t a : *norm)
    kept[a] = 1;
  int64_t count = numElements(in) / std::max<int64_t>(numElements(kept), 1);
  // Each input element adds into the element of `kept` it reduces to.
  std::optional<std::vector<size_t>> into = broadcastIndices(kept, in);
  if (!into)
    return std::nullopt;
  FoldValues out(
      static_cast<size_t>(numElements(kept)),
      how == FoldReduce::Max ? -std::numeric_limits<double>::infinity() : 0.0);
  const FoldValues &x = n.input(0).data();
  for (size_t i = 0; i < x.size(); ++i) {
    double &o = out[(*into)[i]];
    if (how != FoldReduce::Max)
      o += x[i];
    else if (!(std::isnan(o) || o >= x[i]))
      o = x[i];
  }
  if (how == FoldReduce::Mean)
    for (double &o : out)
      o /= static_cast<double>(count);
  return out;
}

bool isSplat(const Node &n, double v) {
  if (n.kind() != OpKind::Constant || n.data().empty() ||
      static_cast<int64_t>(n.data().size()) != numElements(n.shape()))
    return false;
  for (double d : n.data())
    if (d != v)
      return false;
  return true;
}

double sigmoidOf(double x) {
  double e = std::exp(-std::fabs(x));
  double r = 1.0 / (1.0 + e);
  return x >= 0 ? r : e * r;
}

} // namespace lamina
