//===- Tensor.cpp - Owned, aligned, row-major tensors ---------------------===//

#include "lamina/Tensor.h"

#include "lamina/File.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace lamina {

// Matches a cache line and the widest vector loads Halide emits.
static constexpr size_t kAlignment = 64;

int64_t numElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    assert(d >= 0 && "numElements of a shape with a batch or negative dim");
    n *= d;
  }
  return n;
}

std::string formatType(DType t, const Shape &shape) {
  std::string s = dtypeName(t);
  s += '[';
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  s += ']';
  return s;
}

void Tensor::FreeDeleter::operator()(void *p) const { std::free(p); }

Tensor::Tensor(DType dtype, Shape shape)
    : dtype_(dtype), shape_(std::move(shape)), numel_(numElements(shape_)) {
  // aligned_alloc wants a size that is a multiple of the alignment; always
  // allocate at least one block so raw() is never null.
  size_t bytes = byteSize();
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0)
    rounded = kAlignment;
  void *p = std::aligned_alloc(kAlignment, rounded);
  if (!p)
    throw std::bad_alloc();
  adviseHugePages(p, rounded);
  std::memset(p, 0, rounded);
  storage_.reset(static_cast<uint8_t *>(p));
}

Tensor Tensor::clone() const {
  Tensor t(dtype_, shape_);
  if (byteSize())
    std::memcpy(t.raw(), raw(), byteSize());
  return t;
}

size_t Tensor::rowBytes() const {
  assert(!shape_.empty() && "rowBytes of a rank-0 tensor");
  return shape_[0] == 0 ? 0 : byteSize() / static_cast<size_t>(shape_[0]);
}

uint8_t *Tensor::row(int64_t i) {
  assert(i >= 0 && i < shape_[0] && "row index out of range");
  return storage_.get() + static_cast<size_t>(i) * rowBytes();
}

const uint8_t *Tensor::row(int64_t i) const {
  assert(i >= 0 && i < shape_[0] && "row index out of range");
  return storage_.get() + static_cast<size_t>(i) * rowBytes();
}

double Tensor::get(int64_t i) const {
  assert(i >= 0 && i < numel_ && "element index out of range");
  switch (dtype_) {
  case DType::F32:
    return data<float>()[i];
  case DType::F64:
    return data<double>()[i];
  case DType::I32:
    return data<int32_t>()[i];
  }
  return 0;
}

void Tensor::set(int64_t i, double v) {
  assert(i >= 0 && i < numel_ && "element index out of range");
  switch (dtype_) {
  case DType::F32:
    data<float>()[i] = static_cast<float>(v);
    return;
  case DType::F64:
    data<double>()[i] = v;
    return;
  case DType::I32:
    data<int32_t>()[i] = static_cast<int32_t>(v);
    return;
  }
}

void Tensor::setZero() {
  if (byteSize())
    std::memset(raw(), 0, byteSize());
}

} // namespace lamina
