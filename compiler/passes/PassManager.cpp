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

std::string passNameList() {
  std::string known;
  for (const PassInfo &p : registeredPasses())
    known += std::string(known.empty() ? "" : ", ") + p.name;
  return known;
}

std::vector<std::string> defaultPassPipeline() {
  return {"simplify-algebra", "fold-constants", "cse", "dead-code-elim"};
}

static bool wantsDump(const std::set<std::string> &which,
                      const std::string &pass) {
  return which.count("all") || which.count(pass);
}

static void dump(const PassInstrumentation &instr, const char *when,
                 const std::string &stage, const Graph &g) {
  std::ostream &os = instr.os ? *instr.os : std::cerr;
  os << "// -----// IR Dump " << when << " " << stage << " //----- //\n";
  printGraph(g, os, instr.printOptions, instr.defaults);
}

void dumpBeforeStage(const PassInstrumentation &instr, const std::string &stage,
                     const Graph &g) {
  if (wantsDump(instr.dumpBefore, stage))
    dump(instr, "Before", stage, g);
}

void dumpAfterStage(const PassInstrumentation &instr, const std::string &stage,
                    const Graph &g) {
  if (wantsDump(instr.dumpAfter, stage))
    dump(instr, "After", stage, g);
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
  for (const PassInfo *p : pipeline) {
    dumpBeforeStage(instr, p->name, g);
    p->run(g);
    dumpAfterStage(instr, p->name, g);
    if (!verifyGraph(g, diag)) {
      diag.error(SourceLoc{}, std::string("internal error: pass '") + p->name +
                                  "' left an invalid graph");
      return false;
    }
  }
  return true;
}

} // namespace lamina
