//===- StepArena.h - The intermediates of one generated pipeline ----------===//
//
// A generated step (abi/Step.h) keeps its kernels' intermediate tensors in
// a StepArena that its caller owns: a session of the executable, or a
// handle of an embedded model, holds one per pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_ABI_STEPARENA_H
#define LAMINA_ABI_STEPARENA_H

#include "lamina/abi/Step.h"

#include <vector>

namespace lamina::abi {

/// The arena of one generated pipeline. Not thread-safe: one step at a
/// time.
class StepArena {
public:
  StepArena() = default;
  ~StepArena();
  StepArena(const StepArena &) = delete;
  StepArena &operator=(const StepArena &) = delete;

  /// See prepareArena.
  halide_buffer_t *const *prepare(const StepTensor *tensors, int count,
                                  int32_t batch);
  /// The arena's size at the last prepared batch.
  int64_t bytes() const { return bytes_; }

private:
  /// The table it was laid out for.
  const StepTensor *table_ = nullptr;
  std::vector<StepTensor> tensors_;
  std::vector<halide_buffer_t> buffers_;
  std::vector<halide_buffer_t *> pointers_;
  std::vector<halide_dimension_t> dims_;
  int32_t batch_ = -1;
  int64_t bytes_ = 0;
  int64_t capacity_ = 0;
  uint8_t *memory_ = nullptr;
};

} // namespace lamina::abi

#endif // LAMINA_ABI_STEPARENA_H
