//===- Tensor.h - Owned, aligned, row-major tensors -----------------------===//

#ifndef LAMINA_RUNTIME_TENSOR_H
#define LAMINA_RUNTIME_TENSOR_H

#include "lamina/abi/DType.h"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lamina {

/// A logical shape, outermost dimension first. In a model descriptor -1 marks
/// the batch dimension; a Tensor's shape never holds -1.
using Shape = std::vector<int64_t>;

/// The DType of the C++ element type T (float, double or int32_t).
template <typename T> constexpr DType dtypeOf();
template <> constexpr DType dtypeOf<float>() { return DType::F32; }
template <> constexpr DType dtypeOf<double>() { return DType::F64; }
template <> constexpr DType dtypeOf<int32_t>() { return DType::I32; }

/// Number of elements of `shape`: the product of its extents, 1 for rank 0.
/// Asserts that no extent is negative.
int64_t numElements(const Shape &shape);

/// Formats a type and shape as "f32[-1, 784]".
std::string formatType(DType t, const Shape &shape);

/// A dense row-major tensor that owns 64-byte aligned, zero-initialized
/// storage. Movable, not copyable (use clone()).
class Tensor {
public:
  /// An empty f32 tensor of rank 0 with no storage; only for assigning to.
  Tensor() = default;
  /// A zero-filled tensor. Every extent must be >= 0.
  Tensor(DType dtype, Shape shape);

  Tensor(Tensor &&) noexcept = default;
  Tensor &operator=(Tensor &&) noexcept = default;
  Tensor(const Tensor &) = delete;
  Tensor &operator=(const Tensor &) = delete;

  /// A deep copy.
  Tensor clone() const;

  /// The element type.
  DType dtype() const { return dtype_; }
  /// The logical shape, outermost first.
  const Shape &shape() const { return shape_; }
  /// Number of dimensions.
  int rank() const { return static_cast<int>(shape_.size()); }
  /// Number of elements.
  int64_t numel() const { return numel_; }
  /// Size of the data in bytes.
  size_t byteSize() const {
    return static_cast<size_t>(numel_) * dtypeSize(dtype_);
  }
  /// Bytes in one slice of the outermost dimension (one record of a data set).
  /// Asserts rank >= 1.
  size_t rowBytes() const;

  /// The raw storage (null only for a default-constructed tensor).
  void *raw() { return storage_.get(); }
  const void *raw() const { return storage_.get(); }
  /// Pointer to slice `i` of the outermost dimension.
  uint8_t *row(int64_t i);
  const uint8_t *row(int64_t i) const;

  /// Typed access; asserts that T matches dtype().
  template <typename T> T *data() {
    assert(dtypeOf<T>() == dtype_ && "tensor accessed with the wrong type");
    return static_cast<T *>(raw());
  }
  template <typename T> const T *data() const {
    assert(dtypeOf<T>() == dtype_ && "tensor accessed with the wrong type");
    return static_cast<const T *>(raw());
  }

  /// Element `i` (flat, row-major) converted to double.
  double get(int64_t i) const;
  /// Stores `v` into element `i`, converted to dtype() (i32 truncates).
  void set(int64_t i, double v);
  /// Sets every element to zero.
  void setZero();

private:
  struct FreeDeleter {
    void operator()(void *p) const;
  };
  DType dtype_ = DType::F32;
  Shape shape_;
  int64_t numel_ = 0;
  std::unique_ptr<uint8_t, FreeDeleter> storage_;
};

} // namespace lamina

#endif // LAMINA_RUNTIME_TENSOR_H
