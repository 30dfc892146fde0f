//===- FoldConstants.cpp - Evaluate nodes whose operands are constants ----===//
//
// Each op folds itself: its `fold` hook (OpInfo.h), beside its type rule and
// lowering, computes what the generated code computes, NaN included. Values
// are computed in double and rounded once to the result's element type, so
// an f32 result of a transcendental op can differ from the generated code
// (which rounds after every step) in the last bits; +, -, *, / and sqrt
// round the same. An i32 result is folded only if every value is an integer
// in range: that sidesteps the integer division and overflow semantics of
// the generated code. Only nodes that pass checkNode are folded.
//
//===----------------------------------------------------------------------===//
#include "lamina/OpInfo.h"
#include "lamina/Passes.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

namespace lamina {

namespace {

/// Results larger than this stay computed at run time.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 20;

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
  Expected<TensorType> t = checkNode(n);
  return t && *t == n.type();
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
    const OpInfo &info = getOpInfo(n->kind());
    if (!info.fold)
      continue;
    std::optional<std::vector<double>> values = info.fold(*n);
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
