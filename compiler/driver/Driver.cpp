//===- Driver.cpp - One compile sequence for every tool -------------------===//
//
// The stages of Driver.h, in order; each tool only decides where to stop
// and what to print.
//
//===----------------------------------------------------------------------===//
#include "lamina/Driver.h"

#include "lamina/Autodiff.h"
#include "lamina/Diagnostics.h"
#include "lamina/Frontend.h"
#include "lamina/IRText.h"
#include "lamina/Support.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <iostream>

namespace lamina {

/// The instrumentation of `opts`, its dumps closed by `m`'s run defaults.
static PassInstrumentation instrumentationFor(const Module &m,
                                              const DriverOptions &opts) {
  PassInstrumentation instr = opts.instrumentation;
  instr.defaults = m.defaults;
  return instr;
}

bool buildTrainStage(Module &m, const DriverOptions &opts,
                     DiagnosticEngine &diag) {
  assert(m.forward && "the train step needs the forward graph");
  PassInstrumentation instr = instrumentationFor(m, opts);
  auto train = std::make_unique<Graph>(m.forward->name());
  dumpBeforeStage(instr, "autodiff", *m.forward);
  if (!buildTrainStep(*m.forward, m.defaults.value_or(TrainConfig{}), *train,
                      diag))
    return false;
  dumpAfterStage(instr, "autodiff", *train);
  if (!runPasses(*train, opts.passes, instr, diag))
    return false;
  m.train = std::move(train);
  return true;
}

bool isTextualIR(const std::string &path, const std::string &text) {
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".lir") == 0)
    return true;
  // Else by its first word, past blank lines and // comments.
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    } else if (text.compare(i, 2, "//") == 0) {
      i = text.find('\n', i);
      if (i == std::string::npos)
        return false;
    } else {
      break;
    }
  }
  return text.compare(i, 7, "graph @") == 0;
}

std::optional<Compilation> compileModelFile(const std::string &path,
                                            const DriverOptions &opts,
                                            DiagnosticEngine &diag) {
  Expected<std::string> text = readTextFile(path);
  if (!text) {
    std::cerr << opts.toolName << ": error: " << text.errorMessage() << "\n";
    return std::nullopt;
  }
  Compilation c;
  Module &m = c.module;
  if (isTextualIR(path, *text)) {
    // Textual IR as --emit=ir prints it: the forward graph and its train
    // line. It has no AST, and a train step (--emit=grad-ir) is not a
    // model to compile.
    if (opts.stopAfter == Stage::Ast) {
      diag.error(SourceLoc{path, 1, 1},
                 "textual IR has no AST; --emit=ast takes a model file "
                 "(.lam)");
      return std::nullopt;
    }
    m.forward = parseGraph(path, *text, diag, &m.defaults);
    if (!m.forward)
      return std::nullopt;
    if (!m.forward->updates().empty()) {
      diag.error(SourceLoc{path, 1, 1},
                 "graph @" + m.forward->name() +
                     " is a train step (it updates parameters), as "
                     "--emit=grad-ir prints it; compile the forward graph "
                     "that --emit=ir prints, and laminac builds the train "
                     "step from it");
      return std::nullopt;
    }
  } else {
    c.file = parseModelFile(path, *text, diag);
    if (!c.file)
      return std::nullopt;
    if (opts.stopAfter == Stage::Ast)
      return c;
    m.forward = buildGraph(*c.file, diag, opts.model, &m.defaults);
  }
  if (!m.forward || !verifyGraph(*m.forward, diag))
    return std::nullopt;
  if (m.defaults && !m.defaults->stopMonitor.empty() &&
      m.defaults->stopMonitor != "loss") {
    const std::vector<std::string> &metrics = m.forward->metrics();
    if (std::find(metrics.begin(), metrics.end(), m.defaults->stopMonitor) ==
        metrics.end()) {
      std::string list;
      for (const std::string &name : metrics)
        list += ", val_" + name;
      diag.error(m.defaults->loc,
                 "early stopping watches val_" + m.defaults->stopMonitor +
                     ", but model '" + m.forward->name() + "' has no metric '" +
                     m.defaults->stopMonitor + "'; it can watch val_loss" +
                     list);
      return std::nullopt;
    }
  }
  if (opts.stopAfter == Stage::Verified)
    return c;
  if (!runPasses(*m.forward, opts.passes, instrumentationFor(m, opts), diag))
    return std::nullopt;
  if (opts.stopAfter == Stage::Ir)
    return c;

  // The train step exists only for a model with a loss; building it checks
  // that every op between the parameters and the loss has a gradient.
  if (m.forward->loss() && !buildTrainStage(m, opts, diag))
    return std::nullopt;
  return c;
}

} // namespace lamina
