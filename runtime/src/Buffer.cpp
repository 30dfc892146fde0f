//===- Buffer.cpp - halide_buffer_t views of tensors ----------------------===//

#include "lamina/Buffer.h"

#include "lamina/Error.h"

#include <algorithm>
#include <iterator>
#include <limits>

namespace lamina {

halide_type_t halideType(DType t) {
  switch (t) {
  case DType::F32:
    return halide_type_t(halide_type_float, 32);
  case DType::F64:
    return halide_type_t(halide_type_float, 64);
  case DType::I32:
    return halide_type_t(halide_type_int, 32);
  }
  return halide_type_t();
}

static int32_t toInt32(int64_t v, const char *what, const Tensor &t) {
  if (v < 0 || v > std::numeric_limits<int32_t>::max())
    throw Error("tensor " + formatType(t.dtype(), t.shape()) + " has " + what +
                " " + std::to_string(v) +
                ", which does not fit a Halide buffer (int32)");
  return static_cast<int32_t>(v);
}

BufferView::BufferView(const Tensor &t, int64_t rows) {
  const Shape &shape = t.shape();
  if (rows >= 0 && (shape.empty() || rows > shape[0]))
    throw Error("internal error: a view of " +
                formatType(t.dtype(), t.shape()) + " with " +
                std::to_string(rows) + " rows");
  int rank = static_cast<int>(shape.size());
  if (rank > abi::kMaxRank)
    throw Error("tensor " + formatType(t.dtype(), t.shape()) + " has " +
                std::to_string(rank) + " dimensions; at most " +
                std::to_string(abi::kMaxRank) + " are supported");
  int64_t stride = 1;
  for (int i = 0; i < rank; ++i) {
    // Halide's dim[0] is the innermost (last) logical dimension.
    int64_t extent = rows >= 0 && i == rank - 1 ? rows : shape[rank - 1 - i];
    dims_[i].min = 0;
    dims_[i].extent = toInt32(extent, "extent", t);
    dims_[i].stride = toInt32(stride, "stride", t);
    dims_[i].flags = 0;
    stride *= extent;
  }
  buf_.device = 0;
  buf_.device_interface = nullptr;
  // Halide takes a non-const host pointer even for inputs it only reads.
  buf_.host = const_cast<uint8_t *>(static_cast<const uint8_t *>(t.raw()));
  buf_.flags = 0;
  buf_.type = halideType(t.dtype());
  buf_.dimensions = rank;
  buf_.dim = rank ? dims_ : nullptr;
  buf_.padding = nullptr;
}

BufferView::BufferView(BufferView &&other) noexcept : buf_(other.buf_) {
  std::copy(std::begin(other.dims_), std::end(other.dims_), dims_);
  buf_.dim = buf_.dimensions ? dims_ : nullptr;
}

BufferView &BufferView::operator=(BufferView &&other) noexcept {
  buf_ = other.buf_;
  std::copy(std::begin(other.dims_), std::end(other.dims_), dims_);
  buf_.dim = buf_.dimensions ? dims_ : nullptr;
  return *this;
}

} // namespace lamina
