//===- Passes.h - Graph-to-graph passes and the pass manager --------------===//
//
// Every pass is listed once in compiler/passes/Passes.def and lives alone in
// compiler/passes/<Name>.cpp. A pass keeps the graph valid (verifyGraph) and
// removes the nodes it replaces; operands that become unused are left for
// dead-code-elim.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_PASSES_H
#define LAMINA_PASSES_H

#include "lamina/IR.h"
#include "lamina/IRText.h"

#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lamina {

class DiagnosticEngine;

/// Removes every node that the loss, the outputs and the updates do not
/// depend on; inputs and params stay.
void eliminateDeadCode(Graph &g);

/// Replaces each node whose operands are all constants by a Constant holding
/// its value (computed in double, rounded to f32 for f32 results), for
/// elementwise ops, activations, matmul, reshape, transpose, broadcast_to
/// and the sum/mean/reduce_max reductions. Results over 1 << 20 elements
/// and i32 results that need integer semantics (div, overflow) are left.
void foldConstants(Graph &g);

/// Replaces each node by an earlier one with the same op, operands,
/// attributes, type and data (constants included); inputs and params are
/// never merged.
void eliminateCommonSubexpressions(Graph &g);

/// Replaces by x, where the types agree: x * 1, 1 * x, x + 0, 0 + x, x - 0,
/// x / 1 (1 and 0 are constants of any shape holding only 1 or 0),
/// neg(neg(x)), transpose(transpose(x)) with inverse permutations, an
/// identity transpose, and a reshape or broadcast_to to x's own shape.
/// reshape(reshape(x)) becomes reshape(x).
void simplifyAlgebra(Graph &g);

/// Points every use of `from` (node operands, the loss, outputs and
/// updates) at `to`, which must have the same type and come before every
/// user of `from`.
void replaceAllUses(Graph &g, Node *from, Node *to);

/// A pass as listed in Passes.def.
struct PassInfo {
  /// The command-line name, e.g. "fold-constants".
  const char *name;
  /// One line for --help.
  const char *description;
  void (*run)(Graph &g);
};

/// Every pass in Passes.def order.
const std::vector<PassInfo> &registeredPasses();

/// The pass named `name` on the command line, or nullptr.
const PassInfo *lookupPass(const std::string &name);

/// The registered passes' names, comma-separated, for messages.
std::string passNameList();

/// What runPasses prints around each pass.
struct PassInstrumentation {
  /// Passes to print the IR before; "all" means every pass. Names that are
  /// not passes are ignored (a driver may use them for its own stages).
  std::set<std::string> dumpBefore;
  /// Passes to print the IR after; "all" means every pass.
  std::set<std::string> dumpAfter;
  /// Where dumps go; nullptr means std::cerr.
  std::ostream *os = nullptr;
  /// How dumps are printed.
  PrintOptions printOptions;
  /// The run defaults of the module the graph belongs to: each dump ends
  /// in their `train {...}` line, as the module's graphs print.
  std::optional<TrainConfig> defaults;
};

/// Prints `g` headed `// -----// IR Dump Before <stage> //----- //` if
/// `instr` asks for dumps before `stage`: a pass, or a stage of the
/// driver such as "autodiff".
void dumpBeforeStage(const PassInstrumentation &instr, const std::string &stage,
                     const Graph &g);

/// Prints `g` headed `// -----// IR Dump After <stage> //----- //` if
/// `instr` asks for dumps after `stage`.
void dumpAfterStage(const PassInstrumentation &instr, const std::string &stage,
                    const Graph &g);

/// Runs the passes named in `names`, in order, on `g`. Each dump is headed
/// `// -----// IR Dump Before <pass> //----- //` (or After). The graph is
/// verified before the first pass and after each one; a failure after a
/// pass is reported as an internal error naming it. An unknown pass name is
/// reported before anything runs. Returns false if anything was reported.
bool runPasses(Graph &g, const std::vector<std::string> &names,
               const PassInstrumentation &instr, DiagnosticEngine &diag);

/// The passes laminac runs: simplify-algebra, fold-constants, cse,
/// dead-code-elim.
std::vector<std::string> defaultPassPipeline();

} // namespace lamina

#endif // LAMINA_PASSES_H
