//===- Step.h - What a generated step calls in the runtime ----------------===//
//
// laminac writes each pipeline (lamina_train, lamina_eval, lamina_predict)
// as C++ that calls its kernels in order (compiler/codegen/Step.cpp):
// `int lamina_<kind>_step(void **args, lamina::abi::StepArena *arena)`. The
// kernels' intermediates live in the caller's StepArena (abi/StepArena.h),
// laid out by liveness (abi/Arena.h); each session or handle owns one per
// pipeline, so steps of different sessions may run at the same time. The
// arena is laid out again only when the batch size changes and grows only
// when it must, so a steady-state step allocates nothing. Kernels come in
// variants for several CPUs; cpuVariant() picks one once per process.
//
// This header is all the generated code includes besides HalideRuntime.h,
// and it includes no standard container: every compile of a model parses
// it.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_ABI_STEP_H
#define LAMINA_ABI_STEP_H

#include "lamina/abi/Version.h"

#include <HalideRuntime.h>

#include <cstddef>
#include <cstdint>

namespace lamina::abi {

constexpr int kMaxRank = 8;

/// One intermediate tensor of a generated step.
struct StepTensor {
  /// halide_type_code_t and bits of its elements.
  uint8_t code;
  uint8_t bits;
  int32_t rank;
  /// Extents in logical (row-major) order; -1 is the batch.
  int64_t shape[kMaxRank];
  /// The kernels that write it and that read it last.
  int32_t first;
  int32_t last;
};

class StepArena;

/// The buffers of `tensors` (`count` of them, one pipeline's table) at
/// `batch`, in table order, laid out in `arena`; nullptr if the arena cannot
/// be allocated. An arena serves one pipeline: a different table lays it
/// out anew.
halide_buffer_t *const *prepareArena(StepArena *arena,
                                     const StepTensor *tensors, int count,
                                     int32_t batch);

/// Checks that `batch` is positive and at most `most` (the largest batch
/// whose tensors its kernels address with 32-bit offsets). Prints what is
/// wrong to stderr and returns a Halide error code, else 0.
int checkBatch(const char *pipeline, int32_t batch, int64_t most);

/// Checks that argument `name` of `pipeline` is a dense buffer of type
/// (code, bits) and the extents `shape` (logical order, -1 the batch) at
/// `batch`. Kernels are compiled without Halide's own checks, so every
/// step checks its arguments once, here. Prints what is wrong to stderr and
/// returns a Halide error code, else 0.
int checkArgument(const char *pipeline, const char *name,
                  const halide_buffer_t *b, uint8_t code, uint8_t bits,
                  int32_t rank, const int64_t *shape, int32_t batch);

/// One tensor argument that a step checks: its name, its index in the
/// step's argument array, its element type (code, bits), and its shape:
/// `rank` extents from index `shape` of the pipeline's table of shapes.
struct ArgumentCheck {
  const char *name;
  int32_t index;
  uint8_t code;
  uint8_t bits;
  int32_t rank;
  int32_t shape;
};

/// checkArgument of each of the `count` entries of `checks` on the step's
/// arguments `args`, in order: the first failure's code, else 0.
int checkArguments(const char *pipeline, const ArgumentCheck *checks, int count,
                   void *const *args, const int64_t *shapes, int32_t batch);

/// Copies `src` into `dst` (same type and extents); 0 on success.
int copyBuffer(const halide_buffer_t *src, halide_buffer_t *dst);

/// Halide's allocator for the kernels' internal buffers
/// (halide_set_custom_malloc/free): freed blocks are kept by size and
/// handed out again, so a steady-state step allocates nothing from the
/// system. Thread-safe; at most 1 GiB is kept.
void *kernelMalloc(void *userContext, size_t bytes);
void kernelFree(void *userContext, void *ptr);

/// The best variant (abi/Version.h) this CPU runs among the first
/// `available` ones.
int cpuVariant(int available);

/// One kernel of a pipeline, as `bench` reports it: its symbol, the ops it
/// computes ("conv2d %4 relu %5") and its floating-point operations per
/// call, perRow * batch + fixed (a multiply-add counts 2).
struct KernelInfo {
  const char *symbol;
  const char *ops;
  double flopsPerRow;
  double flopsFixed;
};

/// The pipelines whose kernels a step can time, by index.
enum PipelineIndex : int {
  kTrainIndex,
  kEvalIndex,
  kPredictIndex,
  kGradIndex,
  kUpdateIndex,
  kPipelineIndexCount
};

/// Where the steps of pipeline `index` add the seconds each kernel takes
/// (times[k] for kernel k), or nullptr (the default): not timed.
double *kernelTimes(int index);
void setKernelTimes(int index, double *times);

/// Seconds on a monotonic clock.
double clockSeconds();

/// The per-kernel clock of one step: lap(k) after kernel k adds the time
/// since the previous lap (or the start) to times[k]. Costs one test per
/// kernel when not timing.
class KernelClock {
public:
  explicit KernelClock(double *times) : times_(times) {
    if (times_)
      last_ = clockSeconds();
  }
  void lap(int k) {
    if (!times_)
      return;
    double now = clockSeconds();
    times_[k] += now - last_;
    last_ = now;
  }

private:
  double *times_;
  double last_ = 0;
};

} // namespace lamina::abi

#endif // LAMINA_ABI_STEP_H
