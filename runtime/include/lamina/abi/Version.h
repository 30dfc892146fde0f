//===- Version.h - The version of the compiler-runtime interface ----------===//
#ifndef LAMINA_ABI_VERSION_H
#define LAMINA_ABI_VERSION_H

namespace lamina::abi {

/// The version of the generated step's interface (abi/Step.h) and of the
/// model descriptor. laminac writes it into every executable; a runtime of
/// another version refuses to run it.
constexpr int kAbiVersion = 2;

} // namespace lamina::abi

#endif // LAMINA_ABI_VERSION_H
