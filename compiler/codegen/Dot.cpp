//===- Dot.cpp - Graphviz of a graph and of a pipeline's kernels
//------------===//
//
// laminac --emit=dot: one box per node, labelled with its %N of --emit=ir
// and --emit=grad-ir, its op and its type; leaves (inputs, parameters,
// state) as ellipses, results as plain text. With a plan, each kernel is a
// dashed cluster named by its symbol (as --emit=plan and --profile name
// it), and in a train step the nodes are coloured by phase: forward,
// backward (gradients) and update.
//
//===----------------------------------------------------------------------===//
#include "lamina/Codegen.h"
#include "lamina/IRText.h"
#include "lamina/OpInfo.h"
#include "lamina/Plan.h"

#include <set>
#include <sstream>
#include <unordered_map>

namespace lamina {

namespace {

/// A DOT string literal.
std::string quoted(const std::string &s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      q += '\\';
    q += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return q + "\"";
}

enum class Phase { Forward, Backward, Update };

/// Every node `roots` depend on, the roots included.
std::set<const Node *> ancestors(const std::vector<const Node *> &roots) {
  std::set<const Node *> seen;
  std::vector<const Node *> work(roots.begin(), roots.end());
  while (!work.empty()) {
    const Node *n = work.back();
    work.pop_back();
    if (!n || !seen.insert(n).second)
      continue;
    for (const Node *in : n->inputs())
      work.push_back(in);
  }
  return seen;
}

const char *phaseColour(Phase p) {
  return p == Phase::Forward    ? "#dbe9f6"
         : p == Phase::Backward ? "#f9d5cf"
                                : "#d5efd0";
}

} // namespace

std::string graphDot(const Graph &g, const KernelPlan *plan) {
  std::vector<std::string> names = valueNames(g);
  std::unordered_map<const Node *, size_t> index;
  for (size_t i = 0; i < g.nodes().size(); ++i)
    index[g.nodes()[i].get()] = i;

  // The phases of a train step: forward is what the loss and outputs need;
  // update is the update phase's kernels; backward is the rest.
  bool train = !g.updates().empty();
  std::set<const Node *> forward, update;
  if (train) {
    std::vector<const Node *> roots = {g.loss()};
    for (const auto &[name, n] : g.outputs())
      roots.push_back(n);
    forward = ancestors(roots);
    for (const Kernel &k : partition(g, PipelineKind::Update, "").kernels)
      update.insert(k.nodes.begin(), k.nodes.end());
  }
  auto phaseOf = [&](const Node *n) {
    return !train || forward.count(n) ? Phase::Forward
           : update.count(n)          ? Phase::Update
                                      : Phase::Backward;
  };

  std::ostringstream os;
  os << "digraph " << quoted(g.name()) << " {\n"
     << "  graph [rankdir=TB, fontname=\"Helvetica\", label="
     << quoted(g.name() + (plan ? std::string(" (") +
                                      pipelineFunctionName(plan->kind) + ")"
                                : std::string(" (forward graph)")))
     << ", labelloc=t];\n"
     << "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", "
        "fontsize=10, fillcolor=\"#dbe9f6\"];\n"
     << "  edge [color=\"#555555\", arrowsize=0.6];\n";
  if (train)
    os << "  subgraph cluster_legend {\n    label=\"phases\"; style=solid; "
          "color=\"#999999\";\n"
       << "    legend_f [label=\"forward\", fillcolor=\""
       << phaseColour(Phase::Forward) << "\"];\n"
       << "    legend_b [label=\"backward\", fillcolor=\""
       << phaseColour(Phase::Backward) << "\"];\n"
       << "    legend_u [label=\"update\", fillcolor=\""
       << phaseColour(Phase::Update) << "\"];\n  }\n";

  auto id = [&](const Node *n) { return "n" + std::to_string(index.at(n)); };
  auto declare = [&](const Node &n, const std::string &indent) {
    std::string label = names[index.at(&n)] + " = " + opName(n.kind());
    if (n.kind() == OpKind::Input || n.kind() == OpKind::Param)
      label += " \"" + n.name() + "\"";
    label += "\n" + typeToString(n.type());
    os << indent << id(&n) << " [label=" << quoted(label);
    if (n.kind() == OpKind::Input || n.kind() == OpKind::Param) {
      const char *colour = n.kind() == OpKind::Input ? "#fff2cc" : "#eeeeee";
      os << ", shape=ellipse, style=filled, fillcolor=\"" << colour << "\"";
    } else {
      os << ", fillcolor=\"" << phaseColour(phaseOf(&n)) << "\"";
    }
    os << "];\n";
  };

  std::set<const Node *> clustered;
  if (plan)
    for (size_t k = 0; k < plan->kernels.size(); ++k) {
      const Kernel &kernel = plan->kernels[k];
      os << "  subgraph cluster_k" << k << " {\n    label="
         << quoted("kernel " + std::to_string(k) + ": " + kernel.symbol())
         << "; style=dashed; color=\"#777777\"; fontsize=9;\n";
      for (const Node *n : kernel.nodes)
        if (clustered.insert(n).second)
          declare(*n, "    ");
      os << "  }\n";
    }
  // The nodes the plan leaves out of kernels: leaves, constants and, in
  // the forward graph, everything.
  std::set<const Node *> used;
  if (plan) {
    for (const Kernel &k : plan->kernels)
      for (const auto *list : {&k.nodes, &k.inputs, &k.constants, &k.scalars})
        used.insert(list->begin(), list->end());
  }
  for (const auto &np : g.nodes())
    if (!clustered.count(np.get()) && (!plan || used.count(np.get())))
      declare(*np, "  ");
  for (const auto &np : g.nodes()) {
    const Node *n = np.get();
    if (plan && !clustered.count(n) && !used.count(n))
      continue;
    for (const Node *in : n->inputs())
      if (!plan || clustered.count(in) || used.count(in))
        os << "  " << id(in) << " -> " << id(n) << ";\n";
  }
  // The results: what the graph (or pipeline) gives back.
  size_t r = 0;
  auto result = [&](const std::string &label, const Node *n) {
    if (!n || (plan && !clustered.count(n) && !used.count(n)))
      return;
    os << "  r" << r << " [label=" << quoted(label)
       << ", shape=plaintext, style=\"\"];\n  " << id(n) << " -> r" << r
       << ";\n";
    ++r;
  };
  if (plan) {
    for (const PlanResult &pr : plan->results)
      result(pr.name, pr.node);
  } else {
    result("loss", g.loss());
    for (const auto &[name, n] : g.outputs())
      result("output " + name, n);
    for (const auto &[name, n] : g.updates())
      result("update " + name, n);
  }
  os << "}\n";
  return os.str();
}

} // namespace lamina
