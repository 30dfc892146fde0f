//===- Step.h - What a generated step calls in the runtime ----------------===//
//
// laminac writes each pipeline (lamina_train, lamina_eval, lamina_predict)
// as C++ that calls its kernels in order (compiler/codegen/Step.cpp). The
// kernels' intermediates live in a StepArena laid out by liveness
// (abi/Arena.h); the arena is laid out again only when the batch size
// changes and grows only when it must, so a steady-state step allocates
// nothing. Kernels come in variants for several CPUs; cpuVariant() picks
// one once per process.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_ABI_STEP_H
#define LAMINA_ABI_STEP_H

#include "lamina/abi/Version.h"

#include <HalideRuntime.h>

#include <cstdint>
#include <memory>
#include <vector>

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

/// The arena of one generated pipeline. Not thread-safe: one step at a
/// time.
class StepArena {
public:
  StepArena(const StepTensor *tensors, int count);
  ~StepArena();
  StepArena(const StepArena &) = delete;
  StepArena &operator=(const StepArena &) = delete;

  /// The buffers of the tensors at `batch`, in table order; nullptr if the
  /// arena cannot be allocated.
  halide_buffer_t *const *prepare(int32_t batch);
  /// The arena's size at the last prepared batch.
  int64_t bytes() const { return bytes_; }

private:
  std::vector<StepTensor> tensors_;
  std::vector<halide_buffer_t> buffers_;
  std::vector<halide_buffer_t *> pointers_;
  std::vector<halide_dimension_t> dims_;
  int32_t batch_ = -1;
  int64_t bytes_ = 0;
  int64_t capacity_ = 0;
  uint8_t *memory_ = nullptr;
};

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

/// Copies `src` into `dst` (same type and extents); 0 on success.
int copyBuffer(const halide_buffer_t *src, halide_buffer_t *dst);

/// The best variant (abi/Version.h) this CPU runs among the first
/// `available` ones.
int cpuVariant(int available);

} // namespace lamina::abi

#endif // LAMINA_ABI_STEP_H
