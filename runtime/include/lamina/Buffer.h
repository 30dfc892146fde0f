//===- Buffer.h - halide_buffer_t views of tensors ------------------------===//

#ifndef LAMINA_RUNTIME_BUFFER_H
#define LAMINA_RUNTIME_BUFFER_H

#include "lamina/Tensor.h"

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

  BufferView(BufferView &&) noexcept = default;
  BufferView &operator=(BufferView &&) noexcept = default;
  BufferView(const BufferView &) = delete;
  BufferView &operator=(const BufferView &) = delete;

  /// The buffer to pass to a pipeline.
  halide_buffer_t *get() { return &buf_; }
  const halide_buffer_t *get() const { return &buf_; }

private:
  halide_buffer_t buf_{};
  // Heap storage keeps buf_.dim valid when the view is moved.
  std::vector<halide_dimension_t> dims_;
};

} // namespace lamina

#endif // LAMINA_RUNTIME_BUFFER_H
