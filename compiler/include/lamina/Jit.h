//===- Jit.h - Run a graph in-process with Halide's JIT (for tests) -------===//
#ifndef LAMINA_JIT_H
#define LAMINA_JIT_H

#include "lamina/IR.h"
#include "lamina/Lower.h"
#include "lamina/Plan.h"

#include <map>
#include <string>
#include <vector>

namespace lamina {

/// A dense host tensor for tests; data is row-major, stored as doubles
/// whatever the dtype.
struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<double> data;
};

using TensorMap = std::map<std::string, HostTensor>;

/// How a JitPipeline is compiled.
struct JitOptions {
  /// Adds Halide's strict_float feature to the host target: float math is
  /// done exactly as written (no reassociation, no fused multiply-add), so
  /// results can be compared bit for bit with a reference.
  bool strictFloat = false;
};

/// One graph's `kind` pipeline as its kernel plan (lamina/Plan.h), each
/// distinct kernel JIT-compiled once, run many times.
class JitPipeline {
public:
  JitPipeline(const Graph &g, PipelineKind kind, const JitOptions &opts = {});

  /// Runs the pipeline. `feeds` holds every Input and Param leaf the
  /// pipeline uses, by node name (hyper-parameters such as "lr" as rank-0
  /// tensors). The batch size is taken from the first fed tensor whose node
  /// shape has kBatch. Returns results by output name ("loss",
  /// "m_accuracy", "new_p_w", "out_probs", ...; see pipelineResults). Throws
  /// std::runtime_error naming a missing or misshapen feed.
  TensorMap run(const TensorMap &feeds);

  const KernelPlan &plan() const { return plan_; }

private:
  Halide::Target target_;
  KernelPlan plan_;
  std::map<uint64_t, LoweredKernel> compiled_;
};

/// JitPipeline(g, kind, opts).run(feeds).
TensorMap runJit(const Graph &g, PipelineKind kind, const TensorMap &feeds,
                 const JitOptions &opts = {});

} // namespace lamina

#endif // LAMINA_JIT_H
