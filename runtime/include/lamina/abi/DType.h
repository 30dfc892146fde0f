//===- DType.h - Element types and the batch marker -----------------------===//
//
// One definition of a tensor's element types and of the batch marker for
// the compiler and the runtime: lamina-run links both libraries (for the
// runtime's checkpoint code), so they may not each define dtypeName and
// parseDType. The names are also used unqualified in namespace lamina.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_ABI_DTYPE_H
#define LAMINA_ABI_DTYPE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lamina::abi {

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

/// Parses a spelling of dtypeName; nullopt if unknown.
inline std::optional<DType> parseDType(std::string_view name) {
  for (DType t : {DType::F32, DType::F64, DType::I32})
    if (name == dtypeName(t))
      return t;
  return std::nullopt;
}

/// Size in bytes of one element of `t`.
inline size_t dtypeSize(DType t) { return t == DType::F64 ? 8 : 4; }

/// The extent that marks the batch dimension in a shape (IR shapes,
/// descriptor shapes, StepTensor shapes): fixed only when a pipeline runs.
constexpr int64_t kBatch = -1;

} // namespace lamina::abi

namespace lamina {
using abi::DType;
using abi::dtypeName;
using abi::dtypeSize;
using abi::parseDType;
} // namespace lamina

#endif // LAMINA_ABI_DTYPE_H
