//===- OpTestUtil.h - Build small graphs and run them with the JIT --------===//
#ifndef LAMINA_TEST_UNIT_OPTESTUTIL_H
#define LAMINA_TEST_UNIT_OPTESTUTIL_H

#include "lamina/IR.h"
#include "lamina/Jit.h"
#include "lamina/OpInfo.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace lamina {
namespace test {

/// A graph under construction plus the values fed to its leaves.
class TestGraph {
public:
  explicit TestGraph(DType dt = DType::F64) : dt_(dt) {}

  DType dtype() const { return dt_; }
  Graph &graph() { return g_; }
  TensorMap &feeds() { return feeds_; }

  /// An Input leaf `name` of node shape `shape` (which may hold kBatch),
  /// fed with `data` laid out in `fed` (`shape` with the batch resolved).
  Node *input(const std::string &name, Shape shape, Shape fed,
              std::vector<double> data, DType dt) {
    Node *n = g_.create(OpKind::Input, {}, TensorType{dt, std::move(shape)},
                        {{"role", std::string("input")}});
    n->setName(name);
    feeds_[name] = HostTensor{dt, std::move(fed), std::move(data)};
    return n;
  }
  Node *input(const std::string &name, Shape shape, Shape fed,
              std::vector<double> data) {
    return input(name, std::move(shape), std::move(fed), std::move(data), dt_);
  }
  /// An Input without a batch dim.
  Node *input(const std::string &name, Shape shape, std::vector<double> data) {
    Shape fed = shape;
    return input(name, std::move(shape), std::move(fed), std::move(data), dt_);
  }
  /// An i32 Input.
  Node *labels(const std::string &name, Shape shape, Shape fed,
               std::vector<double> data) {
    return input(name, std::move(shape), std::move(fed), std::move(data),
                 DType::I32);
  }

  /// Builds an op, failing the test on a type error.
  Node *op(OpKind k, std::vector<Node *> in, Attrs attrs = {}) {
    GraphBuilder b(g_, nullptr);
    Expected<Node *> r = b.tryBuild(k, std::move(in), std::move(attrs));
    EXPECT_TRUE(static_cast<bool>(r)) << opName(k) << ": " << r.errorMessage();
    return r ? *r : nullptr;
  }
  /// The type error of building an op ("" if it type-checks).
  std::string error(OpKind k, std::vector<Node *> in, Attrs attrs = {}) {
    GraphBuilder b(g_, nullptr);
    Expected<Node *> r = b.tryBuild(k, std::move(in), std::move(attrs));
    return r ? "" : r.errorMessage();
  }
  Node *scalar(double v) { return GraphBuilder(g_, nullptr).scalar(v, dt_); }

  /// Adds `n` as output `name`.
  void output(const std::string &name, Node *n) { g_.addOutput(name, n); }

  /// Runs the Predict pipeline; results keyed by output name (no "out_").
  std::map<std::string, HostTensor> run() {
    TensorMap r = runJit(g_, PipelineKind::Predict, feeds_);
    std::map<std::string, HostTensor> out;
    for (auto &[k, v] : r)
      out[k.substr(4)] = std::move(v);
    return out;
  }

private:
  DType dt_;
  Graph g_{"T"};
  TensorMap feeds_;
};

/// `count` uniform values in [lo, hi] whose magnitude is at least `away`
/// (kept off kinks such as relu's 0).
inline std::vector<double> randomValues(std::mt19937_64 &rng, int64_t count,
                                        double lo = -1.0, double hi = 1.0,
                                        double away = 0.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v;
  while (static_cast<int64_t>(v.size()) < count) {
    double x = u(rng);
    if (std::abs(x) >= away)
      v.push_back(x);
  }
  return v;
}

/// Expects `got` to equal `want` elementwise within `tol` (absolute plus
/// relative).
inline void expectNear(const HostTensor &got, const std::vector<double> &want,
                       double tol = 1e-12, const std::string &what = "") {
  ASSERT_EQ(got.data.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got.data[i], want[i], tol * (1.0 + std::abs(want[i])))
        << what << " element " << i;
}

} // namespace test
} // namespace lamina

#endif // LAMINA_TEST_UNIT_OPTESTUTIL_H
