//===- Codegen.h - Halide AOT objects and the standalone executable -------===//
#ifndef LAMINA_CODEGEN_H
#define LAMINA_CODEGEN_H

#include "lamina/IR.h"
#include "lamina/Lower.h"
#include "lamina/abi/Descriptor.h"

#include <optional>
#include <string>
#include <vector>

namespace lamina {

class DiagnosticEngine;

/// The artifacts --emit can produce from one pipeline.
enum class ArtifactKind {
  Plan,
  Dot,
  HalideStmt,
  LLVMAssembly,
  Assembly,
  Object
};

struct KernelPlan;

/// One code variant of every kernel: the Halide target it is compiled for
/// and the suffix of its symbols ("_avx2"; "" when there is one variant).
struct TargetVariant {
  std::string suffix;
  Halide::Target target;
};

/// The variants of a --target value: "portable" (plain x86-64, AVX2+FMA and
/// AVX-512, chosen at run time), "host" (this machine's features) or a
/// Halide target string. nullopt, with *error set, for a bad value.
std::optional<std::vector<TargetVariant>>
targetVariants(const std::string &spec, std::string *error);

/// Writes one artifact of the `kind` pipeline of `g` to `path` ("-" is
/// stdout): its kernel plan, its graph (dot), or its distinct kernels in
/// plan order in one module, for the first variant of `targetSpec` ("" is
/// host). LLVM IR and assembly hold the model's own code only, unless
/// `halideRuntime` (laminac --halide-runtime) adds Halide's runtime; an
/// object always has it, to link by hand. Returns false after reporting an
/// error.
bool emitArtifact(const Graph &g, PipelineKind kind, ArtifactKind what,
                  const std::string &path, const std::string &targetSpec,
                  DiagnosticEngine &diag, bool halideRuntime = false);

/// One argument of a generated pipeline.
struct PipelineArgument {
  std::string name;
  abi::ArgKind kind = abi::ArgKind::Input;
  DType dtype = DType::F32;
  /// Logical order, kBatch for the batch; empty for a scalar.
  Shape shape;
  /// The plan's tensor; null for the batch and the hyper-parameters.
  const Node *node = nullptr;
};

/// The arguments of `plan`'s pipeline in call order: the batch (i32
/// scalar), the leaves (buffers; rank-0 hyper-parameters are f64 scalars),
/// the update phase's unread gradient arguments, then the results. The
/// generated metadata (stepSource) and the descriptor's "pipelines" lists
/// (modelDescriptor) are both written from it.
std::vector<PipelineArgument> pipelineArguments(const KernelPlan &plan);

/// The C++ of the generated steps (compiler/codegen/Step.cpp): for each
/// plan, lamina_<kind>_step and lamina_<kind>_metadata, calling the kernels
/// with the given variant suffixes. `targetName` goes into the metadata.
std::string stepSource(const std::vector<const KernelPlan *> &plans,
                       const std::vector<std::string> &suffixes,
                       const std::string &targetName);

/// The plans of the pipelines an executable of `m` contains: train and its
/// two phases (if the model has a loss), eval (a loss or a metric) and
/// predict (an output that is not a metric), and the graphs they point
/// into that `m` does not own: the train step and the forward graph with
/// each metric's sums in place of its value (withMetricStats).
struct ExecutablePlans {
  std::vector<std::unique_ptr<Graph>> graphs;
  std::vector<KernelPlan> plans;
  /// The plans' addresses, as stepSource and modelDescriptor take them.
  std::vector<const KernelPlan *> pointers() const;
};

/// `salt` as partition takes it. With `gradcheck`, also the f64 gradient
/// phase of `gradcheck` (PipelineKind::GradCheck), for a model with a loss.
ExecutablePlans executablePlans(const Module &m, const std::string &salt,
                                bool gradcheck = false);

/// "<tool> 0.13.0 (Halide 14.0.0, ABI 8)": what --version prints.
std::string versionText(const std::string &tool);

/// $XDG_CACHE_HOME/lamina, else ~/.cache/lamina ("" if neither is set).
std::string defaultCacheDir();

/// The JSON descriptor of the model that the runtime reads
/// (runtime/README.md, lamina/abi/Descriptor.h), with the argument list of
/// each of `plans` (the pipelines the executable contains). `m.train` may
/// be null for a model without a loss.
std::string modelDescriptor(const Module &m, const std::string &sourceFile,
                            const std::vector<const KernelPlan *> &plans);

struct ExecutableOptions {
  /// Keep the intermediate directory and print its path.
  bool keepTemps = false;
  /// Print each step and the time it took.
  bool verbose = false;
  /// Build the pipelines with Halide's profiler: the executable prints the
  /// time spent in each Func when it exits.
  bool profile = false;
  /// See targetVariants.
  std::string target = "portable";
  /// Where compiled kernels are kept between runs, keyed by their
  /// structure ("" compiles everything afresh).
  std::string cacheDir;
  /// Compile processes (0: one per core).
  int jobs = 0;
  /// Also build lamina_gradcheck, the f64 gradient phase that the
  /// executable's `gradcheck` command runs (laminac --gradcheck).
  bool gradcheck = false;
  /// Write a library instead of an executable: `out` is a directory that
  /// receives <prefix>.h, lib<prefix>.a and lib<prefix>.so (laminac
  /// --emit=lib; see libraryPrefix).
  bool library = false;
};

/// Graphviz DOT of `g`: a node per value, labelled with its %N, op and
/// type. With `plan` (one of g's pipelines), only the nodes the pipeline
/// computes and reads, each kernel a cluster named by its symbol, and the
/// pipeline's results; a train step's nodes are coloured by phase (forward,
/// backward, update).
std::string graphDot(const Graph &g, const KernelPlan *plan);

/// What a model links and includes: the runtime library, the Halide
/// runtime object and the runtime's headers. Those of an installed laminac
/// lie next to it (<prefix>/bin/laminac: <prefix>/lib/lamina and
/// <prefix>/include); else those of the build tree it was built in. The
/// environment variables LAMINA_RUNTIME_LIB and LAMINA_HALIDE_RUNTIME_OBJ
/// override the first two.
struct RuntimeFiles {
  std::string runtimeLib, halideRuntime, include;
};
RuntimeFiles runtimeFiles();

/// The C prefix of model `model`'s library and its functions: the name in
/// lower case, made an identifier ("Mlp" -> "mlp").
std::string libraryPrefix(const std::string &model);
/// The header of a model library, from the model's descriptor: the shapes
/// as enums and the C functions (`mlp_create`, `mlp_predict`, ...).
std::string libraryHeader(const std::string &descriptorJson,
                          const std::string &prefix);
/// The names of those functions: the only symbols the library exports.
std::vector<std::string> libraryFunctions(const std::string &descriptorJson,
                                          const std::string &prefix);
/// The C++ source of those functions, over lamina/Embed.h.
std::string libraryApiSource(const std::string &descriptorJson,
                             const std::string &prefix);

/// Reports at their statements what an executable or library of `forward`
/// could not run: an input or label without a leading batch dimension, an
/// output that depends on a label, an output whose batch is not its first
/// dimension, and an output without one that depends on the inputs (its
/// value would depend on the batch size). An output without a batch
/// dimension that depends on parameters only (`output w = w;`) is written
/// once per predict. emitExecutable runs it first.
bool checkRunnable(const Graph &forward, DiagnosticEngine &diag);

/// Compiles the train, eval and predict pipelines ahead of time, writes the
/// descriptor, and links them with the runtime into the executable `out`.
/// `m.train` may be null (no loss: predict only).
bool emitExecutable(const Module &m, const std::string &sourceFile,
                    const std::string &out, const ExecutableOptions &opts,
                    DiagnosticEngine &diag);

} // namespace lamina

#endif // LAMINA_CODEGEN_H
