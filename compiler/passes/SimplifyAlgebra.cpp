//===- SimplifyAlgebra.cpp - Remove operations that return an operand ----===//
//
// Each op states its own identities in its `simplify` hook (OpInfo.h):
// x * 1, x + 0, x - 0, x / 1, neg(neg(x)), transposes that cancel, and
// reshapes or broadcasts to x's own shape, each in its op's file.
//
// A rewrite to x happens only when x has the node's type, so broadcasting
// (x + zeros of a larger shape) is kept. 1 and 0 are constants of any shape
// holding only that value.
//
//===----------------------------------------------------------------------===//
#include "lamina/OpInfo.h"
#include "lamina/Passes.h"

namespace lamina {

void simplifyAlgebra(Graph &g) {
  std::vector<Node *> replaced;
  for (const auto &owned : g.nodes()) {
    Node *n = owned.get();
    const OpInfo &info = getOpInfo(n->kind());
    if (!info.simplify)
      continue;
    Node *to = info.simplify(*n);
    if (!to || to == n || to->type() != n->type())
      continue;
    replaceAllUses(g, n, to);
    replaced.push_back(n);
  }
  g.eraseNodes(replaced);
}

} // namespace lamina
