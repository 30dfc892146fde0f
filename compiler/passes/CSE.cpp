//===- CSE.cpp - Merge nodes that compute the same value
//-------------------===//
//
// Nodes are visited in order, so a node's operands are already merged when
// its key is built, and chains of duplicates collapse in one walk. Inputs
// and params are never merged: two leaves are two run-time values even when
// they look alike.
//
//===----------------------------------------------------------------------===//
#include "lamina/Passes.h"
#include "lamina/Support.h"

#include <cstring>
#include <unordered_map>

namespace lamina {

/// Everything that makes two nodes compute the same value, as a string.
/// Doubles go in by their bits, so NaN payloads and -0.0 are told apart and
/// equality stays an equivalence.
static std::string keyOf(const Node &n) {
  std::string key = std::to_string(static_cast<int>(n.kind())) + "(";
  for (const Node *in : n.inputs())
    key += std::to_string(in->id()) + ",";
  key += ")" + typeToString(n.type()) + "{";
  auto addBits = [&](double d) {
    uint64_t bits = 0;
    std::memcpy(&bits, &d, sizeof bits);
    key += std::to_string(bits) + ",";
  };
  for (const auto &[name, value] : n.attrs()) {
    key += std::to_string(name.size()) + ":" + name + "=" +
           std::to_string(value.index()) + ":";
    if (auto *i = std::get_if<int64_t>(&value))
      key += std::to_string(*i) + ",";
    else if (auto *d = std::get_if<double>(&value))
      addBits(*d);
    else if (auto *s = std::get_if<std::string>(&value))
      key += std::to_string(s->size()) + ":" + *s + ",";
    else
      for (int64_t v : std::get<std::vector<int64_t>>(value))
        key += std::to_string(v) + ",";
    key += ";";
  }
  // The data as raw bytes, after its length: a constant of 2^24 elements
  // once took seconds as decimal text (and minutes under the fuzzers).
  key += "}[" + std::to_string(n.data().size()) + "]";
  key.append(reinterpret_cast<const char *>(n.data().data()),
             n.data().size() * sizeof(double));
  return key;
}

void eliminateCommonSubexpressions(Graph &g) {
  // Only looked up, never iterated, so the hash order does not leak out.
  std::unordered_map<std::string, Node *> seen;
  std::vector<Node *> replaced;
  for (const auto &owned : g.nodes()) {
    Node *n = owned.get();
    if (n->kind() == OpKind::Input || n->kind() == OpKind::Param)
      continue;
    auto [it, inserted] = seen.emplace(keyOf(*n), n);
    if (inserted)
      continue;
    replaceAllUses(g, n, it->second);
    replaced.push_back(n);
  }
  g.eraseNodes(replaced);
}

} // namespace lamina
