//===- Cli.h - The command line of a generated executable -----------------===//
//
//   M train  [DATA...] [--epochs N] [--lr X] [--batch N] [--seed N]
//            [--checkpoint FILE] [--resume FILE] [--val-split F]
//            [--test DATA...] [--threads N]
//   M eval    DATA... --checkpoint FILE [--batch N] [--threads N]
//   M predict INPUTS... --checkpoint FILE [-o OUT.npy] [--batch N]
//   M --help
//
// main() (Main.cpp) only gathers the generated symbols into a ModelSource and
// calls runCli, so the whole command line can be tested with hand-written
// pipelines.
//
//===----------------------------------------------------------------------===//

#ifndef LAMINA_RUNTIME_CLI_H
#define LAMINA_RUNTIME_CLI_H

#include "lamina/Model.h"

#include <ostream>

namespace lamina {

/// Exit status: success.
constexpr int kExitOk = 0;
/// Exit status: a runtime error (bad data, corrupt checkpoint, NaN loss).
constexpr int kExitFailure = 1;
/// Exit status: a command-line mistake.
constexpr int kExitUsage = 2;

/// Everything the command line needs from the generated code.
struct ModelSource {
  /// The descriptor (lamina_model_json).
  const char *json = nullptr;
  /// lamina_train, lamina_eval and lamina_predict.
  Pipelines pipelines;
  /// Sets the threads of the kernels' parallel loops (abi::setPoolThreads);
  /// may be null, in which case --threads is rejected.
  int (*setNumThreads)(int) = nullptr;
  /// The threads of the kernels' parallel loops (abi::poolThreads); may be
  /// null.
  int (*numThreads)() = nullptr;
  /// Describes the kernel variant this CPU runs and the variants built
  /// (lamina_kernel_variant); may be null.
  const char *(*kernelVariant)() = nullptr;
};

/// Runs the command line `argv[0..argc)` against `src`, printing results to
/// `out` and diagnostics to `err`. `interactive` enables the progress bar
/// (pass isatty(STDOUT_FILENO)). Returns the exit status: kExitOk,
/// kExitFailure or kExitUsage. Never calls exit().
int runCli(int argc, const char *const *argv, const ModelSource &src,
           std::ostream &out, std::ostream &err, bool interactive);

} // namespace lamina

#endif // LAMINA_RUNTIME_CLI_H
