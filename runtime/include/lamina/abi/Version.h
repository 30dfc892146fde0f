//===- Version.h - The version of the compiler-runtime interface ----------===//
#ifndef LAMINA_ABI_VERSION_H
#define LAMINA_ABI_VERSION_H

namespace lamina::abi {

/// The version of the generated step's interface (abi/Step.h) and of the
/// model descriptor. laminac writes it into every executable; a runtime of
/// another version refuses to run it.
constexpr int kAbiVersion = 8;

/// The kernel variants of a portable executable, from the most portable:
/// plain x86-64 (SSE2), AVX2 with FMA, AVX-512 (Skylake's subset).
enum Variant : int { kX86_64 = 0, kAvx2 = 1, kAvx512 = 2 };

/// "x86-64", "avx2" or "avx512".
inline const char *variantName(int v) {
  switch (v) {
  case kX86_64:
    return "x86-64";
  case kAvx2:
    return "avx2";
  case kAvx512:
    return "avx512";
  }
  return "?";
}

} // namespace lamina::abi

#endif // LAMINA_ABI_VERSION_H
