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

std::optional<Compilation> compileModelFile(const std::string &path,
                                            const DriverOptions &opts,
                                            DiagnosticEngine &diag) {
  Expected<std::string> text = readTextFile(path);
  if (!text) {
    std::cerr << opts.toolName << ": error: " << text.errorMessage() << "\n";
    return std::nullopt;
  }
  Compilation c;
  c.file = parseModelFile(path, *text, diag);
  if (!c.file)
    return std::nullopt;
  if (opts.stopAfter == Stage::Ast)
    return c;

  Module &m = c.module;
  m.forward = buildGraph(*c.file, diag, opts.model, &m.defaults);
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
