//===- Verifier.cpp - Structural invariants of a Graph
//---------------------===//
//
// Checked, and each violation reported (not just the first):
//   - node ids are positions, and every operand is a node of this graph
//     that comes before its user;
//   - each op has the number of operands Ops.def gives it;
//   - each node's type is the one its op's rule infers;
//   - input and param names are unique;
//   - the loss is a float scalar; outputs, metrics and updates are nodes of
//     this graph; each update names a param of the update's type, once.
// Nodes are named as printGraph prints them ("%3 = add"), at their source
// location when they have one.
//
//===----------------------------------------------------------------------===//
#include "lamina/Diagnostics.h"
#include "lamina/IRText.h"
#include "lamina/OpInfo.h"

#include <exception>
#include <set>
#include <unordered_map>

namespace lamina {

namespace {

class Verifier {
public:
  Verifier(const Graph &g, DiagnosticEngine &diag)
      : g_(g), diag_(diag), names_(valueNames(g)) {
    for (size_t i = 0; i < g.nodes().size(); ++i)
      position_[g.nodes()[i].get()] = i;
  }

  bool run() {
    unsigned errorsBefore = diag_.numErrors();
    std::set<std::string> leafNames;
    for (size_t i = 0; i < g_.nodes().size(); ++i) {
      const Node &n = *g_.nodes()[i];
      verifyNode(n, i);
      bool leaf = n.kind() == OpKind::Input || n.kind() == OpKind::Param;
      if (leaf && !leafNames.insert(n.name()).second)
        error(&n, "another input or param is named '" + n.name() + "'");
    }
    verifyResults();
    return diag_.numErrors() == errorsBefore;
  }

private:
  /// "in %3 = add: msg", at n's location if known.
  void error(const Node *n, const std::string &msg) {
    auto it = position_.find(n);
    if (it == position_.end()) {
      diag_.error(SourceLoc{}, msg);
      return;
    }
    diag_.error(n->loc(), "in " + names_[it->second] + " = " +
                              opName(n->kind()) + ": " + msg);
  }

  /// Reports a result (loss, output, update) that is not a node here.
  bool checkMember(const Node *n, const std::string &what) {
    if (!n) {
      error(nullptr, what + " is null");
      return false;
    }
    if (!position_.count(n)) {
      error(nullptr, what + " is not a node of graph '" + g_.name() + "'");
      return false;
    }
    return true;
  }

  const std::string &nameOf(const Node *n) const {
    return names_[position_.at(n)];
  }

  void verifyNode(const Node &n, size_t pos) {
    if (n.id() != pos)
      error(&n, "id " + std::to_string(n.id()) + " differs from its position " +
                    std::to_string(pos));
    bool operandsOk = true;
    for (unsigned j = 0; j < n.numInputs(); ++j) {
      const Node *in = n.inputs()[j];
      std::string which = "operand " + std::to_string(j);
      if (!in) {
        error(&n, which + " is null");
        operandsOk = false;
        continue;
      }
      auto it = position_.find(in);
      if (it == position_.end()) {
        error(&n, which + " is not a node of this graph");
        operandsOk = false;
        continue;
      }
      if (it->second >= pos) {
        error(&n, which + " (" + names_[it->second] +
                      ") is not defined before its use");
        operandsOk = false;
      }
    }
    if (!operandsOk)
      return;
    Expected<TensorType> t = checkNode(n);
    if (!t) {
      error(&n, t.errorMessage());
      return;
    }
    if (*t != n.type())
      error(&n, "type " + typeToString(n.type()) +
                    " does not match the inferred type " + typeToString(*t));
    if (n.kind() == OpKind::Param && !n.data().empty() &&
        static_cast<int64_t>(n.data().size()) != numElements(n.shape()))
      error(&n, "has " + std::to_string(n.data().size()) +
                    " initial values for type " + typeToString(n.type()));
  }

  void verifyResults() {
    if (const Node *loss = g_.loss(); loss && checkMember(loss, "the loss")) {
      if (loss->rank() != 0 || loss->dtype() == DType::I32)
        error(nullptr, "the loss " + nameOf(loss) +
                           " must be a float scalar, but has type " +
                           typeToString(loss->type()));
    }
    std::set<std::string> outputNames;
    for (const auto &[name, n] : g_.outputs()) {
      checkMember(n, "output '" + name + "'");
      if (!outputNames.insert(name).second)
        error(nullptr, "another output or metric is named '" + name + "'");
    }
    for (const std::string &m : g_.metrics())
      if (!outputNames.count(m))
        error(nullptr, "metric '" + m + "' is not an output");
    std::set<std::string> updated;
    for (const auto &[name, n] : g_.updates()) {
      if (!checkMember(n, "update of '" + name + "'"))
        continue;
      if (!updated.insert(name).second)
        error(nullptr, "param '" + name + "' is updated twice");
      const Node *p = g_.findLeaf(name);
      if (!p || p->kind() != OpKind::Param) {
        error(nullptr, "update " + nameOf(n) + " of '" + name +
                           "', which is not a param");
        continue;
      }
      if (p->type() != n->type())
        error(nullptr, "update " + nameOf(n) + " of '" + name + "' has type " +
                           typeToString(n->type()) +
                           ", but the param has type " +
                           typeToString(p->type()));
    }
  }

  const Graph &g_;
  DiagnosticEngine &diag_;
  std::vector<std::string> names_;
  // Pointer -> position, for membership and lookups only.
  std::unordered_map<const Node *, size_t> position_;
};

} // namespace

bool verifyGraph(const Graph &g, DiagnosticEngine &diag) {
  return Verifier(g, diag).run();
}

} // namespace lamina
