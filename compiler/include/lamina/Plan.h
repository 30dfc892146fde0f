//===- Plan.h - A pipeline as a sequence of fused kernels -----------------===//
//
// A pipeline (train, eval, predict) runs as a list of kernels, each one small
// Halide pipeline: one anchor (a matmul, convolution, pooling, reduction,
// softmax, loss, ...) and the element-wise nodes fused into it. Kernels read
// the graph's leaves and earlier kernels' outputs and write their own outputs
// to buffers that the generated step lays out in one arena (see
// runtime/include/lamina/abi/Step.h). The same design as TVM's and XLA's
// fusion and Halide's HANNK: small pipelines compile in time linear in the
// depth of the model, and kernels with the same structure share one object.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_PLAN_H
#define LAMINA_PLAN_H

#include "lamina/IR.h"
#include "lamina/Lower.h"

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lamina {

struct GenericKernel;

/// One fused kernel.
struct Kernel {
  /// The nodes it computes, in graph order; the first is its anchor (or its
  /// first element-wise node when it has no anchor).
  std::vector<const Node *> nodes;
  /// Constants it reads (lowered into the kernel, shared by none).
  std::vector<const Node *> constants;
  /// Rank-0 hyper-parameter inputs it reads ("lr"), as scalar arguments.
  std::vector<const Node *> scalars;
  /// Tensors it reads that it does not compute: leaves and other kernels'
  /// outputs, in first-use order.
  std::vector<const Node *> inputs;
  /// The values it writes (read by a later kernel or a pipeline result). A
  /// node is listed once even when it is several results.
  std::vector<const Node *> outputs;
  /// The structural key (see kernelKey) and its 64-bit hash.
  std::string key;
  uint64_t hash = 0;
  /// How many of a portable build's variants (plain x86-64, AVX2 with FMA,
  /// AVX-512, in that order) are compiled for it; a CPU that runs a later
  /// variant calls the last one compiled. Three for a kernel holding a
  /// compute-bound op (OpInfo::computeBound), where each vector width pays;
  /// one (plain x86-64) for the rest, bound by memory: with AVX2 too, the
  /// MLP's and LeNet-5's training speed did not change (best of 4 epochs
  /// each on a 2-core AMD EPYC), and VGG-small's portable compile took a
  /// sixth longer.
  int variants = 3;
  /// Set when the kernel compiles once for any extents of its leading dims
  /// (see GenericKernel): its key and code are those of `generic`'s kernel.
  std::shared_ptr<const GenericKernel> generic;

  /// The value the step passes as the kernel's batch argument, as C++ over
  /// `batch`: "batch", or the generic kernel's row count.
  std::string batchArgument() const;
  /// That value at `batch`.
  int64_t batchArgumentAt(int64_t batch) const;

  /// The symbol of the compiled kernel: "lk_" and 16 hex digits of the hash.
  std::string symbol() const;
};

/// One result of a pipeline ("loss", "new_p_w", "out_probs") and the node
/// computing it.
struct PlanResult {
  std::string name;
  const Node *node = nullptr;
};

/// A pipeline as kernels in execution order.
struct KernelPlan {
  PipelineKind kind = PipelineKind::Predict;
  const Graph *graph = nullptr;
  std::vector<Kernel> kernels;
  std::vector<PlanResult> results;
  /// The leaves the pipeline reads (its arguments besides the batch):
  /// tensors and rank-0 hyper-parameters, in graph order.
  std::vector<const Node *> leaves;
  /// The values the plan takes as arguments instead of computing them (the
  /// gradients, for the update phase), and their argument names.
  std::map<const Node *, std::string> cutNames;
  /// The update phase's gradient arguments, one per parameter, in order
  /// ("grad_p_w", its gradient node); arguments the cut does not name are
  /// taken but not read (a gradient that is a leaf, or one node that is the
  /// gradient of two parameters).
  std::vector<std::pair<std::string, const Node *>> gradArgs;
};

/// A kernel without compute-bound ops whose tensors (those not of rank 0)
/// all begin with the same `dims` dims, which its ops compute row by row
/// (OpInfo::rowDims: pooling and its gradient over batch and channels, and
/// element-wise ops): its code is compiled from a copy over a graph of its
/// own in which those dims are one dim of run-time extent, in the batch's
/// place, followed by dims - 1 dims of extent 1. So it compiles once for
/// any extents of them: the pooling layers of a net that differ only in
/// channels share one kernel, and changing a layer's width recompiles none
/// of them. The step passes the row count (`rows`, times the batch when
/// the dims hold it) as the kernel's batch argument.
struct GenericKernel {
  std::unique_ptr<Graph> graph;
  KernelPlan plan;
  Kernel kernel;
  unsigned dims = 0;
  int64_t rows = 1;
  bool perBatch = false;
};

/// The argument name of a leaf of `plan`: argName(n), or its cut name.
std::string leafArgName(const KernelPlan &plan, const Node &n);

/// The results a pipeline of `kind` produces from `g`, in argument order:
/// loss, metrics ("m_..."), then new parameter and state values ("new_...")
/// for Train; the model outputs ("out_...") for Predict.
std::vector<PlanResult> pipelineResults(const Graph &g, PipelineKind kind);

/// A copy of `g` in which each metric output that has sums
/// (OpInfo::lowerStats) is a metric_stats node computing them over the
/// batch: what the executable's train and eval pipelines compute, so the
/// runtime can finish each metric over a whole data set.
std::unique_ptr<Graph> withMetricStats(const Graph &g);

/// An f64 copy of the train step `train` (every f32 value and dtype
/// attribute made f64) without its metrics, whose Grad results
/// (PipelineKind::GradCheck) the executable's `gradcheck` compares with
/// central differences of its loss.
std::unique_ptr<Graph> gradCheckGraph(const Graph &train);

/// Splits the nodes that `kind`'s results need into kernels. `salt` (the
/// targets, the compiler's build id and flags) enters every kernel's key.
KernelPlan partition(const Graph &g, PipelineKind kind,
                     const std::string &salt);

/// An intermediate in the arena: a kernel output that is no pipeline
/// result, written by kernel `first` and last read by kernel `last`.
struct ArenaEntry {
  const Node *node = nullptr;
  int first = 0;
  int last = 0;
};

/// The plan's intermediates, in the order their kernels write them.
std::vector<ArenaEntry> arenaEntries(const KernelPlan &plan);

/// The arena's size in bytes at `batch`, and each entry's offset
/// (abi::layoutArena, as the generated step computes it).
int64_t arenaLayout(const std::vector<ArenaEntry> &entries, int64_t batch,
                    std::vector<int64_t> *offsets);

/// Prints the kernels of a plan, their nodes, argument buffers and sizes.
/// `batch` sizes the batch dimension.
void printPlan(const KernelPlan &plan, std::ostream &os, int64_t batch);

/// A kernel lowered to a Halide pipeline. Its arguments, in call order: the
/// batch (int32), the scalars (double), the inputs (buffers); then its
/// outputs (buffers) in `Kernel::outputs` order.
struct LoweredKernel {
  Halide::Pipeline pipeline;
  std::vector<Halide::Argument> arguments;
  /// The argument objects, for JIT runs.
  Halide::Param<int32_t> batch;
  std::vector<Halide::Param<double>> scalars;
  std::vector<Halide::ImageParam> inputs;
};

/// `target` with Halide's large_buffers when a tensor the kernel reads,
/// writes or computes holds 2^31 bytes or more at batch 1 (64-bit
/// addressing; slower, so only there).
Halide::Target kernelTarget(const Kernel &k, const Halide::Target &target);

/// Lowers one kernel of `plan` for `target`.
LoweredKernel lowerKernel(const KernelPlan &plan, const Kernel &k,
                          const Halide::Target &target);

} // namespace lamina

#endif // LAMINA_PLAN_H
