//===- OpInfo.h - What every op provides: type rule, gradient, lowering ---===//
//
// One op is one entry: compiler/ops/<Category>/<Name>.cpp defines
//   extern const OpInfo NameInfo = {...};
// with its type rule, its gradient rule (symbolic: it builds graph nodes and
// computes no numbers) and its Halide lowering, side by side.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_OPINFO_H
#define LAMINA_OPINFO_H

#include "lamina/IR.h"
#include "lamina/Support.h"

#include <optional>
#include <string>
#include <vector>

namespace Halide {
class Func;
} // namespace Halide

namespace lamina {

class DiagnosticEngine;
class GradBuilder;
class LowerContext;

struct OpInfo {
  /// The DSL and IR spelling, e.g. "relu".
  const char *spelling;
  /// Number of inputs, or -1 if inferType checks it.
  int arity;
  /// Computes the result type from n's inputs and attributes (n's own type
  /// is not set yet). User errors are returned as messages that name both
  /// shapes involved.
  Expected<TensorType> (*inferType)(const Node &n);
  /// Adds dL/d(input) for each input to `g`. nullptr when the op has no
  /// useful gradient; then `noGradReason` says why.
  void (*buildGradient)(const Node &n, GradBuilder &g);
  const char *noGradReason;
  /// Builds the Halide Func computing n from the Funcs of its inputs.
  Halide::Func (*lower)(const Node &n, LowerContext &ctx);
  /// Schedules the Func built by `lower`; nullptr means the default
  /// schedule (compute_root, vectorized innermost, parallel outermost).
  void (*schedule)(const Node &n, Halide::Func &f, LowerContext &ctx);
};

/// The entry for `k`.
const OpInfo &getOpInfo(OpKind k);
/// The spelling of `k`, e.g. "relu".
const char *opName(OpKind k);
/// The op spelled `s`, or nullopt.
std::optional<OpKind> lookupOp(const std::string &s);

/// Numpy broadcasting of two shapes (kBatch matches kBatch and 1); nullopt if
/// they do not broadcast.
std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b);

/// Normalizes `axes` against `rank` (negative counts from the end, empty
/// means all) into sorted unique axes; nullopt if one is out of range.
std::optional<std::vector<int64_t>> normalizeAxes(std::vector<int64_t> axes,
                                                  unsigned rank);

/// Creates nodes with their types inferred by the op's rule.
class GraphBuilder {
public:
  /// Type errors go to `diag` (if non-null) at the node's location.
  GraphBuilder(Graph &g, DiagnosticEngine *diag) : g_(g), diag_(diag) {}

  /// Builds a node; on a type error reports it and returns nullptr.
  Node *build(OpKind k, std::vector<Node *> inputs, Attrs attrs = {},
              SourceLoc loc = {});
  /// Builds a node; on a type error returns the message and adds nothing.
  Expected<Node *> tryBuild(OpKind k, std::vector<Node *> inputs,
                            Attrs attrs = {}, SourceLoc loc = {});
  /// A scalar constant of dtype `t`.
  Node *scalar(double v, DType t, SourceLoc loc = {});

  Graph &graph() { return g_; }

private:
  Graph &g_;
  DiagnosticEngine *diag_;
};

/// Handed to buildGradient. Every node built through it gets its type
/// inferred; a type error there is a bug in the gradient rule and asserts.
class GradBuilder {
public:
  virtual ~GradBuilder() = default;

  /// dL/dn, with n's shape.
  virtual Node *outGrad(const Node &n) = 0;
  /// Adds `grad` to dL/d(x). `grad` may have the broadcast shape of the
  /// consumer; it is summed back to x's shape here, once for every op.
  virtual void accumulate(const Node &x, Node *grad) = 0;
  /// Builds any op.
  virtual Node *make(OpKind k, std::vector<Node *> inputs,
                     Attrs attrs = {}) = 0;

  /// A scalar constant with dtype `t`.
  virtual Node *scalar(double v, DType t) = 0;

  // Sugar over make(); a double operand becomes a scalar of the other's
  // dtype.
  Node *add(Node *a, Node *b) { return make(OpKind::Add, {a, b}); }
  Node *sub(Node *a, Node *b) { return make(OpKind::Sub, {a, b}); }
  Node *mul(Node *a, Node *b) { return make(OpKind::Mul, {a, b}); }
  Node *div(Node *a, Node *b) { return make(OpKind::Div, {a, b}); }
  Node *add(Node *a, double b) { return add(a, scalar(b, a->dtype())); }
  Node *sub(double a, Node *b) { return sub(scalar(a, b->dtype()), b); }
  Node *mul(Node *a, double b) { return mul(a, scalar(b, a->dtype())); }
  Node *neg(Node *a) { return make(OpKind::Neg, {a}); }
  Node *exp(Node *a) { return make(OpKind::Exp, {a}); }
  Node *log(Node *a) { return make(OpKind::Log, {a}); }
  Node *sign(Node *a) { return make(OpKind::Sign, {a}); }
  Node *sigmoid(Node *a) { return make(OpKind::Sigmoid, {a}); }
  Node *greater(Node *a, Node *b) { return make(OpKind::Greater, {a, b}); }
  Node *greater(Node *a, double b) { return greater(a, scalar(b, a->dtype())); }
  Node *select(Node *c, Node *a, Node *b) {
    return make(OpKind::Select, {c, a, b});
  }
  Node *select(Node *c, Node *a, double b) {
    return select(c, a, scalar(b, a->dtype()));
  }
  Node *matmul(Node *a, Node *b) { return make(OpKind::MatMul, {a, b}); }
  Node *transpose(Node *a, std::vector<int64_t> perm) {
    return make(OpKind::Transpose, {a}, {{"perm", std::move(perm)}});
  }
  /// Swaps the last two dims.
  Node *transposeLast2(Node *a);
  Node *sum(Node *a, std::vector<int64_t> axes, bool keepdims) {
    return make(OpKind::Sum, {a},
                {{"axes", std::move(axes)}, {"keepdims", int64_t(keepdims)}});
  }
  Node *count(Node *a, std::vector<int64_t> axes) {
    return make(OpKind::Count, {a}, {{"axes", std::move(axes)}});
  }
  Node *reshape(Node *a, Shape s) {
    return make(OpKind::Reshape, {a}, {{"shape", std::move(s)}});
  }
  Node *broadcastTo(Node *a, Shape s) {
    return make(OpKind::BroadcastTo, {a}, {{"shape", std::move(s)}});
  }
  Node *softmax(Node *a, int64_t axis) {
    return make(OpKind::Softmax, {a}, {{"axis", axis}});
  }
  Node *oneHot(Node *labels, int64_t classes, DType t) {
    return make(OpKind::OneHot, {labels},
                {{"classes", classes}, {"dtype", std::string(dtypeName(t))}});
  }
};

} // namespace lamina

#endif // LAMINA_OPINFO_H
