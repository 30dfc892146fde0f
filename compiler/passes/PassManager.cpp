//===- PassManager.cpp - Running passes by name, with IR dumps
//-------------===//
#include "lamina/Diagnostics.h"
#include "lamina/Passes.h"

#include <cassert>
#include <iostream>

namespace lamina {

void replaceAllUses(Graph &g, Node *from, Node *to) {
  assert(from != to && "replacing a node by itself");
  assert(from->type() == to->type() && "replacement changes the type");
  for (const auto &n : g.nodes())
    for (unsigned i = 0; i < n->numInputs(); ++i)
      if (n->inputs()[i] == from) {
        assert(to->id() < n->id() && "replacement comes after a user");
        n->setInput(i, to);
      }
  g.replaceResultUses(from, to);
}

const std::vector<PassInfo> &registeredPasses() {
  static const std::vector<PassInfo> kPasses = {
#define LAMINA_PASS(Function, CliName, Description)                            \
  {CliName, Description, Function},
#include "passes/Passes.def"
  };
  return kPasses;
}

const PassInfo *lookupPass(const std::string &name) {
  for (const PassInfo &p : registeredPasses())
    if (name == p.name)
      return &p;
  return nullptr;
}

std::vector<std::string> defaultPassPipeline() {
  return {"simplify-algebra", "fold-constants", "cse", "dead-code-elim"};
}

static bool wantsDump(const std::set<std::string> &which,
                      const std::string &pass) {
  return which.count("all") || which.count(pass);
}

bool runPasses(Graph &g, const std::vector<std::string> &names,
               const PassInstrumentation &instr, DiagnosticEngine &diag) {
  std::vector<const PassInfo *> pipeline;
  bool known = true;
  for (const std::string &name : names) {
    const PassInfo *p = lookupPass(name);
    if (!p) {
      diag.error(SourceLoc{}, "unknown pass '" + name + "'");
      known = false;
    }
    pipeline.push_back(p);
  }
  if (!known)
    return false;
  if (pipeline.empty())
    return true;
  // A graph that is already broken would be blamed on the first pass.
  if (!verifyGraph(g, diag)) {
    diag.error(SourceLoc{},
               "the graph '" + g.name() + "' is invalid before the passes run");
    return false;
  }
  std::ostream &os = instr.os ? *instr.os : std::cerr;
  for (const PassInfo *p : pipeline) {
    if (wantsDump(instr.dumpBefore, p->name)) {
      os << "// -----// IR Dump Before " << p->name << " //----- //\n";
      printGraph(g, os, instr.printOptions);
    }
    p->run(g);
    if (wantsDump(instr.dumpAfter, p->name)) {
      os << "// -----// IR Dump After " << p->name << " //----- //\n";
      printGraph(g, os, instr.printOptions);
    }
    if (!verifyGraph(g, diag)) {
      diag.error(SourceLoc{}, std::string("internal error: pass '") + p->name +
                                  "' left an invalid graph");
      return false;
    }
  }
  return true;
}

} // namespace lamina
