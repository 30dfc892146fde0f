//===- Codegen.h - Halide AOT objects and the standalone executable -------===//
#ifndef LAMINA_CODEGEN_H
#define LAMINA_CODEGEN_H

#include "lamina/IR.h"
#include "lamina/Lower.h"

#include <string>

namespace lamina {

class DiagnosticEngine;

/// The artifacts --emit can produce from one pipeline.
enum class ArtifactKind { HalideStmt, LLVMAssembly, Assembly, Object };

/// The Halide pipeline name of each kind: "lamina_train", ...
const char *pipelineFunctionName(PipelineKind k);

/// Writes one artifact of the `kind` pipeline of `g` to `path` ("-" is
/// stdout). Returns false after reporting an error.
bool emitArtifact(const Graph &g, PipelineKind kind, ArtifactKind what,
                  const std::string &path, DiagnosticEngine &diag);

/// The JSON descriptor of the model that the runtime reads
/// (runtime/README.md). `m.train` may be null for a model without a loss.
std::string modelDescriptor(const Module &m, const std::string &sourceFile);

struct ExecutableOptions {
  /// Keep the intermediate directory and print its path.
  bool keepTemps = false;
  /// Print each step and the time it took.
  bool verbose = false;
  /// Build the pipelines with Halide's profiler: the executable prints the
  /// time spent in each Func when it exits.
  bool profile = false;
};

/// Compiles the train, eval and predict pipelines ahead of time, writes the
/// descriptor, and links them with the runtime into the executable `out`.
/// `m.train` may be null (no loss: predict only).
bool emitExecutable(const Module &m, const std::string &sourceFile,
                    const std::string &out, const ExecutableOptions &opts,
                    DiagnosticEngine &diag);

} // namespace lamina

#endif // LAMINA_CODEGEN_H
