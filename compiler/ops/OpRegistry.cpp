//===- OpRegistry.cpp - Ops.def expanded into the op table ----------------===//
//
// A missing op file is a link error naming its `NameInfo`.
//
//===----------------------------------------------------------------------===//
#include "lamina/Diagnostics.h"
#include "lamina/OpInfo.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>

namespace lamina {

#define LAMINA_OP(Name, Spelling, Arity) extern const OpInfo Name##Info;
#include "lamina/Ops.def"

const OpInfo &getOpInfo(OpKind k) {
  switch (k) {
#define LAMINA_OP(Name, Spelling, Arity)                                       \
  case OpKind::Name:                                                           \
    return Name##Info;
#include "lamina/Ops.def"
  }
  assert(false && "unknown op kind");
  return InputInfo;
}

double nodeFlops(const Node &n, int64_t batch) {
  if (const auto f = getOpInfo(n.kind()).flops)
    return f(n, batch);
  // One per element of the largest of the result and the operands (a
  // reduction reads more than it writes).
  int64_t most = numElements(n.shape(), batch);
  for (const Node *in : n.inputs())
    most = std::max(most, numElements(in->shape(), batch));
  return static_cast<double>(most);
}

std::vector<const Node *> loweringInputs(const Node &n) {
  const OpInfo &info = getOpInfo(n.kind());
  std::vector<const Node *> out;
  for (unsigned i = 0; i < n.numInputs(); ++i) {
    const Node *through = info.readsThrough ? info.readsThrough(n, i) : nullptr;
    out.push_back(through ? through : &n.input(i));
  }
  return out;
}

const char *opName(OpKind k) {
  switch (k) {
#define LAMINA_OP(Name, Spelling, Arity)                                       \
  case OpKind::Name:                                                           \
    return Spelling;
#include "lamina/Ops.def"
  }
  return "?";
}

int opArity(OpKind k) {
  switch (k) {
#define LAMINA_OP(Name, Spelling, Arity)                                       \
  case OpKind::Name:                                                           \
    return Arity;
#include "lamina/Ops.def"
  }
  return 0;
}

std::optional<OpKind> lookupOp(const std::string &s) {
#define LAMINA_OP(Name, Spelling, Arity)                                       \
  if (s == Spelling)                                                           \
    return OpKind::Name;
#include "lamina/Ops.def"
  return std::nullopt;
}

std::optional<Shape> broadcastShapes(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else
      return std::nullopt;
  }
  return out;
}

std::optional<std::vector<int64_t>> normalizeAxes(std::vector<int64_t> axes,
                                                  unsigned rank) {
  if (axes.empty())
    for (unsigned i = 0; i < rank; ++i)
      axes.push_back(i);
  for (int64_t &a : axes) {
    if (a < 0)
      a += rank;
    if (a < 0 || a >= static_cast<int64_t>(rank))
      return std::nullopt;
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

Expected<Node *> GraphBuilder::tryBuild(OpKind k, std::vector<Node *> inputs,
                                        Attrs attrs, SourceLoc loc) {
  Node *n = g_.create(k, std::move(inputs), TensorType{}, std::move(attrs),
                      std::move(loc));
  Expected<TensorType> t = checkNode(*n);
  if (!t) {
    g_.eraseLastNode();
    return Expected<Node *>::error(t.errorMessage());
  }
  n->setType(*t);
  return n;
}

Node *GraphBuilder::build(OpKind k, std::vector<Node *> inputs, Attrs attrs,
                          SourceLoc loc) {
  SourceLoc where = loc;
  Expected<Node *> n = tryBuild(k, std::move(inputs), std::move(attrs), loc);
  if (n) {
    if (auto warn = getOpInfo(k).warning; warn && diag_)
      if (std::string w = warn(**n); !w.empty())
        diag_->warning(where, w);
    return *n;
  }
  if (diag_)
    diag_->error(where, n.errorMessage());
  return nullptr;
}

Node *GraphBuilder::scalar(double v, DType t, SourceLoc loc) {
  Node *n = g_.create(OpKind::Constant, {}, TensorType{t, {}}, {}, loc);
  n->setData({v});
  return n;
}

Node *NodeMaker::transposeLast2(Node *a) {
  std::vector<int64_t> perm;
  for (unsigned i = 0; i < a->rank(); ++i)
    perm.push_back(i);
  assert(perm.size() >= 2 && "transposeLast2 needs rank >= 2");
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return transpose(a, perm);
}

} // namespace lamina
