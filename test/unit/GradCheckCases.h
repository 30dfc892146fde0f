//===- GradCheckCases.h - The gradient-check harness's case type ----------===//
//
// GradCheck.cpp runs every case; the cases of an op family may live in a file
// of their own (GradCheckConv.cpp, GradCheckPool.cpp) and are gathered by
// allCases() there.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_TEST_GRADCHECKCASES_H
#define LAMINA_TEST_GRADCHECKCASES_H

#include "OpTestUtil.h"

#include <functional>

namespace lamina::test {

/// The batch every case runs with.
constexpr int64_t kCaseBatch = 3;
constexpr double kStep = 1e-6;
constexpr double kRelTol = 1e-6;
constexpr double kAbsTol = 1e-8;

/// A case's graph: TestGraph plus the leaves to differentiate.
class CaseGraph : public TestGraph {
public:
  explicit CaseGraph(uint64_t seed) : rng_(seed) {}

  std::mt19937_64 &rng() { return rng_; }

  /// `shape` with the batch resolved.
  static Shape fedShape(Shape s) {
    for (int64_t &d : s)
      if (d == kBatch)
        d = kCaseBatch;
    return s;
  }

  /// A differentiated leaf with the given values.
  Node *param(const std::string &name, Shape shape, std::vector<double> v) {
    Shape fed = fedShape(shape);
    Node *n = input(name, std::move(shape), std::move(fed), std::move(v));
    wrt_.push_back(n);
    return n;
  }
  /// A differentiated leaf with uniform values in [lo, hi], |x| >= away.
  Node *param(const std::string &name, Shape shape, double lo = -1.0,
              double hi = 1.0, double away = 0.0) {
    std::vector<double> v =
        randomValues(rng_, numElements(shape, kCaseBatch), lo, hi, away);
    return param(name, std::move(shape), std::move(v));
  }
  /// A leaf that is not differentiated (targets, masks, labels).
  Node *data(const std::string &name, Shape shape, std::vector<double> v,
             DType dt = DType::F64) {
    Shape fed = fedShape(shape);
    return input(name, std::move(shape), std::move(fed), std::move(v), dt);
  }
  Node *data(const std::string &name, Shape shape, double lo = -1.0,
             double hi = 1.0) {
    return data(name, shape,
                randomValues(rng_, numElements(shape, kCaseBatch), lo, hi));
  }

  /// sum(y * R) for a random R of y's shape: a scalar whose gradient
  /// reaches every element of y with a different weight.
  Node *weighted(Node *y) {
    Node *r = data("R" + std::to_string(numWeights_++), y->shape());
    return op(OpKind::Sum, {op(OpKind::Mul, {y, r})},
              {{"axes", std::vector<int64_t>{}}, {"keepdims", int64_t(0)}});
  }
  /// A loss op's result scaled by 1.3, so the incoming gradient is not 1.
  Node *scaled(Node *loss) { return op(OpKind::Mul, {loss, scalar(1.3)}); }

  const std::vector<Node *> &wrt() const { return wrt_; }

private:
  std::mt19937_64 rng_;
  std::vector<Node *> wrt_;
  int numWeights_ = 0;
};

struct GradCase {
  std::string name;
  /// The ops whose gradient rules this case is meant to check.
  std::vector<OpKind> covers;
  /// Builds the graph and returns the scalar loss.
  std::function<Node *(CaseGraph &)> build;
};

using Ax = std::vector<int64_t>;

inline Attrs reduceAttrs(Ax axes, bool keepdims) {
  return {{"axes", std::move(axes)}, {"keepdims", int64_t(keepdims)}};
}

/// A unary op on a [batch, 4] parameter.
inline GradCase unary(const std::string &name, OpKind k, double lo, double hi,
                      double away = 0.0, Attrs attrs = {}) {
  return {name, {k}, [=](CaseGraph &c) {
            Node *x = c.param("x", {kBatch, 4}, lo, hi, away);
            return c.weighted(c.op(k, {x}, attrs));
          }};
}

/// A binary op on [3, 1] and [4] parameters (broadcast to [3, 4]).
inline GradCase binary(const std::string &name, OpKind k, double lo = -1.0,
                       double hi = 1.0, double away = 0.0) {
  return {name, {k}, [=](CaseGraph &c) {
            Node *a = c.param("a", {3, 1});
            Node *b = c.param("b", {4}, lo, hi, away);
            return c.weighted(c.op(k, {a, b}));
          }};
}

/// A loss on [batch, 3] prediction and target, both differentiated; the
/// prediction is kept `gap` away from the target (kinks of mae).
inline GradCase pairLoss(const std::string &name, OpKind k, double gap = 0.0) {
  return {name, {k}, [=](CaseGraph &c) {
            std::vector<double> t =
                randomValues(c.rng(), 3 * kCaseBatch, 0.1, 0.9);
            std::vector<double> off =
                randomValues(c.rng(), 3 * kCaseBatch, -0.5, 0.5, gap);
            std::vector<double> y(t.size());
            for (size_t i = 0; i < t.size(); ++i)
              y[i] = t[i] + off[i];
            Node *yn = c.param("y", {kBatch, 3}, y);
            Node *tn = c.param("t", {kBatch, 3}, t);
            return c.scaled(c.op(k, {yn, tn}));
          }};
}

/// Cases for convolutions and padding (GradCheckConv.cpp).
std::vector<GradCase> convCases();
/// Cases for pooling (GradCheckPool.cpp).
std::vector<GradCase> poolCases();

} // namespace lamina::test

#endif // LAMINA_TEST_GRADCHECKCASES_H
