//===- DType.h - Element types, shared by the compiler and the runtime ----===//
//
// One definition of the element types for both libraries: lamina-run links
// the compiler and the runtime (for the runtime's checkpoint code), so the
// two may not each define dtypeName and dtypeSize.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_DTYPE_H
#define LAMINA_DTYPE_H

#include <cstddef>

namespace lamina {

/// Element types a tensor can have. F64 exists so gradient checks can be
/// tight.
enum class DType { F32, F64, I32 };

/// The spelling of `t` in model files and descriptors: "f32", "f64" or
/// "i32".
inline const char *dtypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  }
  return "?";
}

/// Size in bytes of one element of `t`.
inline size_t dtypeSize(DType t) { return t == DType::F64 ? 8 : 4; }

} // namespace lamina

#endif // LAMINA_DTYPE_H
