//===- Driver.h - One compile sequence for every tool ---------------------===//
//
// read -> parse -> build -> verify -> passes -> autodiff -> passes, with the
// IR dumps of PassInstrumentation around every pass and around `autodiff`.
// laminac, lamina-run and the tests compile model files through it.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_DRIVER_H
#define LAMINA_DRIVER_H

#include "lamina/AST.h"
#include "lamina/IR.h"
#include "lamina/Passes.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lamina {

class DiagnosticEngine;

/// Where compileModelFile stops, in pipeline order.
enum class Stage {
  /// The parsed file only.
  Ast,
  /// The verified forward graph, before any pass (laminac --summary).
  Verified,
  /// The forward graph after the passes (--emit=ir).
  Ir,
  /// Also the train step after the passes, for a model with a loss
  /// (--emit=grad-ir).
  GradIr,
};

struct DriverOptions {
  /// The model to compile when the file has several (empty: the first).
  std::string model;
  /// The last stage to run.
  Stage stopAfter = Stage::GradIr;
  /// The passes run on the forward graph and on the train step (empty for
  /// --no-opt).
  std::vector<std::string> passes = defaultPassPipeline();
  /// IR dumps around the passes and the "autodiff" stage. Its `defaults`
  /// are set to the module's for each dump.
  PassInstrumentation instrumentation;
  /// Names the tool in "TOOL: error: cannot read ..." on std::cerr.
  std::string toolName = "lamina";
};

/// What compileModelFile made: the parsed file and the module of the
/// stages run (no graph after Stage::Ast; no train step before
/// Stage::GradIr or without a loss).
struct Compilation {
  std::unique_ptr<ast::ModelFile> file;
  Module module;
};

/// Whether the file at `path` holds textual IR rather than a model file:
/// its extension is .lir, or its first word (past comments) is `graph @`.
bool isTextualIR(const std::string &path, const std::string &text);

/// Reads and compiles the model file at `path` up to `opts.stopAfter`. A
/// file of textual IR (isTextualIR: a forward graph and its train line, as
/// --emit=ir prints them) starts at the verified forward graph; it has no
/// AST (Compilation::file is null).
/// A file that cannot be read is reported on std::cerr, other errors to
/// `diag`; returns nullopt after any.
std::optional<Compilation> compileModelFile(const std::string &path,
                                            const DriverOptions &opts,
                                            DiagnosticEngine &diag);

/// The autodiff stage and the passes after it: builds `m.train` from
/// `m.forward` with the momentum and weight decay of `m.defaults`, dumping
/// the forward graph before "autodiff" and the train step after it as
/// `opts.instrumentation` asks. Returns false after reporting to `diag` (a
/// model without a loss included).
bool buildTrainStage(Module &m, const DriverOptions &opts,
                     DiagnosticEngine &diag);

} // namespace lamina

#endif // LAMINA_DRIVER_H
