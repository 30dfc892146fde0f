//===- Buffer.h - halide_buffer_t views of tensors ------------------------===//

#ifndef LAMINA_RUNTIME_BUFFER_H
#define LAMINA_RUNTIME_BUFFER_H

#include "lamina/Tensor.h"
#include "lamina/abi/Step.h"

#include <HalideRuntime.h>

#include <vector>

namespace lamina {

/// The Halide element type of `t`: float 32/64 or int 32, one lane.
halide_type_t halideType(DType t);

/// A halide_buffer_t describing a Tensor's host storage. Halide lists
/// dimensions innermost first, so a tensor of shape [B, 784] becomes
/// dim[0] = {min 0, extent 784, stride 1}, dim[1] = {min 0, extent B,
/// stride 784}. A rank-0 tensor becomes a 0-dimensional buffer.
///
/// The view does not own the data; the tensor must outlive it.
class BufferView {
public:
  /// Views `t`. If `rows` >= 0 it replaces the outermost extent, so a batch
  /// tensor allocated for 64 rows can be passed with a short last batch.
  /// Throws Error if an extent or stride does not fit Halide's int32, or if
  /// `rows` exceeds the tensor's outermost extent.
  explicit BufferView(const Tensor &t, int64_t rows = -1);

  BufferView(BufferView &&other) noexcept;
  BufferView &operator=(BufferView &&other) noexcept;
  BufferView(const BufferView &) = delete;
  BufferView &operator=(const BufferView &) = delete;

  /// The buffer to pass to a pipeline.
  halide_buffer_t *get() { return &buf_; }
  const halide_buffer_t *get() const { return &buf_; }

private:
  halide_buffer_t buf_{};
  // In the view itself, so that making one allocates nothing; a move points
  // buf_.dim at the new copy.
  halide_dimension_t dims_[abi::kMaxRank] = {};
};

} // namespace lamina

#endif // LAMINA_RUNTIME_BUFFER_H
