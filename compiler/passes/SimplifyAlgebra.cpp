//===- SimplifyAlgebra.cpp - Remove operations that return an operand
//------===//
//
//   x * 1, 1 * x, x / 1, x + 0, 0 + x, x - 0          -> x
//   neg(neg(x))                                        -> x
//   transpose(transpose(x, p), q) with p[q[i]] == i    -> x
//   transpose(x, identity)                             -> x
//   reshape(x) or broadcast_to(x) to x's own shape     -> x
//   reshape(reshape(x))                                -> reshape(x)
//
// A rewrite to x happens only when x has the node's type, so broadcasting
// (x + zeros of a larger shape) is kept. 1 and 0 are constants of any shape
// holding only that value. x + 0 -> x also turns -0.0 + 0 into -0.0, as
// compilers do under no-signed-zeros.
//
//===----------------------------------------------------------------------===//
#include "lamina/OpInfo.h"
#include "lamina/Passes.h"

#include <exception>

namespace lamina {

namespace {

/// True if n is a constant holding only `v`.
bool isSplat(const Node &n, double v) {
  if (n.kind() != OpKind::Constant || n.data().empty() ||
      static_cast<int64_t>(n.data().size()) != numElements(n.shape()))
    return false;
  for (double d : n.data())
    if (d != v)
      return false;
  return true;
}

/// The permutation of a transpose (reversed dims if it has no perm
/// attribute), normalized; nullopt if not a permutation of its operand's
/// dims.
std::optional<std::vector<int64_t>> permOf(const Node &n) {
  int64_t rank = n.input(0).rank();
  std::vector<int64_t> reversed;
  for (int64_t d = rank; d-- > 0;)
    reversed.push_back(d);
  auto it = n.attrs().find("perm");
  const std::vector<int64_t> *perm =
      it == n.attrs().end() ? &reversed
                            : std::get_if<std::vector<int64_t>>(&it->second);
  if (!perm || static_cast<int64_t>(perm->size()) != rank)
    return std::nullopt;
  std::vector<int64_t> out;
  std::vector<bool> seen(rank, false);
  for (int64_t p : *perm) {
    if (p < 0)
      p += rank;
    if (p < 0 || p >= rank || seen[p])
      return std::nullopt;
    seen[p] = true;
    out.push_back(p);
  }
  return out;
}

bool isIdentity(const std::vector<int64_t> &perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i))
      return false;
  return true;
}

/// The operand n can be replaced by, or nullptr.
Node *simplified(const Node &n) {
  if (n.numInputs() == 0)
    return nullptr;
  Node *x = n.inputs()[0];
  Node *y = n.numInputs() == 2 ? n.inputs()[1] : nullptr;
  bool binary = y != nullptr;
  switch (n.kind()) {
  case OpKind::Mul:
    if (!binary)
      return nullptr;
    if (isSplat(*y, 1.0))
      return x;
    return isSplat(*x, 1.0) ? y : nullptr;
  case OpKind::Add:
    if (!binary)
      return nullptr;
    if (isSplat(*y, 0.0))
      return x;
    return isSplat(*x, 0.0) ? y : nullptr;
  case OpKind::Sub:
    if (!binary)
      return nullptr;
    return isSplat(*y, 0.0) ? x : nullptr;
  case OpKind::Div:
    if (!binary)
      return nullptr;
    return isSplat(*y, 1.0) ? x : nullptr;
  case OpKind::Neg:
    return x->kind() == OpKind::Neg ? x->inputs()[0] : nullptr;
  case OpKind::Transpose: {
    std::optional<std::vector<int64_t>> outer = permOf(n);
    if (!outer)
      return nullptr;
    if (isIdentity(*outer))
      return x;
    if (x->kind() != OpKind::Transpose)
      return nullptr;
    std::optional<std::vector<int64_t>> inner = permOf(*x);
    if (!inner || inner->size() != outer->size())
      return nullptr;
    // transpose(y, q)[i] reads dim q[i] of y, which is dim p[q[i]] of x.
    for (size_t i = 0; i < outer->size(); ++i)
      if ((*inner)[(*outer)[i]] != static_cast<int64_t>(i))
        return nullptr;
    return x->inputs()[0];
  }
  case OpKind::Reshape:
  case OpKind::BroadcastTo:
    return x;
  case OpKind::Input:
  case OpKind::Param:
  case OpKind::Constant:
  case OpKind::Maximum:
  case OpKind::Greater:
  case OpKind::Select:
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Abs:
  case OpKind::Sign:
  case OpKind::Step:
  case OpKind::Sigmoid:
  case OpKind::Tanh:
  case OpKind::Relu:
  case OpKind::LeakyRelu:
  case OpKind::Elu:
  case OpKind::Softplus:
  case OpKind::Swish:
  case OpKind::MatMul:
  case OpKind::Dense:
  case OpKind::Sum:
  case OpKind::Mean:
  case OpKind::ReduceMax:
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
    return nullptr;
  }
  return nullptr;
}

/// reshape(reshape(x)) -> reshape(x), if the op's rule agrees that the
/// result type is unchanged.
void skipInnerReshape(Node &n) {
  if (n.kind() != OpKind::Reshape || n.numInputs() != 1 ||
      n.input(0).kind() != OpKind::Reshape || n.input(0).numInputs() != 1)
    return;
  Node *inner = n.inputs()[0];
  n.setInput(0, inner->inputs()[0]);
  bool same = false;
  try {
    Expected<TensorType> t = getOpInfo(OpKind::Reshape).inferType(n);
    same = t && *t == n.type();
  } catch (const std::exception &) {
  }
  if (!same)
    n.setInput(0, inner);
}

} // namespace

void simplifyAlgebra(Graph &g) {
  std::vector<Node *> replaced;
  for (const auto &owned : g.nodes()) {
    Node *n = owned.get();
    skipInnerReshape(*n);
    Node *to = simplified(*n);
    if (!to || to == n || to->type() != n->type())
      continue;
    replaceAllUses(g, n, to);
    replaced.push_back(n);
  }
  g.eraseNodes(replaced);
}

} // namespace lamina
