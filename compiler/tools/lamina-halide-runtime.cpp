//===- lamina-halide-runtime.cpp - Builds the Halide runtime object -------===//
//
// lamina-halide-runtime OUT.o
//
// Writes Halide's runtime (thread pool, allocation, errors, profiler) for
// plain x86-64 Linux: the build runs it once, and laminac links the object
// into every executable instead of compiling it per model. Kernels of every
// variant (AVX2, AVX-512) call into it; it needs no feature of its own.
//
//===----------------------------------------------------------------------===//
#include <Halide.h>

#include <iostream>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: lamina-halide-runtime OUT.o\n";
    return 2;
  }
  try {
    Halide::compile_standalone_runtime(argv[1], Halide::Target("x86-64-linux"));
  } catch (const std::exception &e) {
    std::cerr << "lamina-halide-runtime: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
