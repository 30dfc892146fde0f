//===- Init.h - Deterministic random numbers and parameter init -----------===//
//
// All randomness (parameter init, shuffling) comes from std::mt19937_64,
// whose output sequence the C++ standard fixes, turned into numbers by the
// transforms below rather than by <random>'s distributions, whose algorithms
// differ between standard libraries. The same seed gives the same bits on
// every platform.
//
//===----------------------------------------------------------------------===//

#ifndef LAMINA_RUNTIME_INIT_H
#define LAMINA_RUNTIME_INIT_H

#include "lamina/Model.h"
#include "lamina/Tensor.h"

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace lamina {

/// A seeded random source with portable transforms.
class Rng {
public:
  /// Seeds the engine with `seed`.
  explicit Rng(uint64_t seed) : engine_(seed) {}

  /// 64 random bits.
  uint64_t next() { return engine_(); }
  /// Uniform in [0, 1), with 53 random bits.
  double uniform();
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Standard normal N(0, 1), by the Box-Muller transform.
  double normal();
  /// Uniform integer in [0, n) without modulo bias; n must be > 0.
  uint64_t below(uint64_t n);

private:
  std::mt19937_64 engine_;
};

/// Derives an independent seed for stream `stream` of `seed` (SplitMix64 of
/// both), so each parameter and each epoch gets its own reproducible stream.
uint64_t deriveSeed(uint64_t seed, uint64_t stream);

/// A stable 64-bit hash of a name (FNV-1a), for deriveSeed.
uint64_t hashName(std::string_view name);

/// Fills `t` (shape spec.shape, dtype spec.dtype) from spec.init. Random
/// kinds draw from Rng(deriveSeed(seed, hashName(spec.name))), so a
/// parameter's initial value depends only on the seed, its name and its
/// init spec.
void initParameter(Tensor &t, const TensorSpec &spec, uint64_t seed);

/// Puts 0..n-1 in the order of a Fisher-Yates shuffle driven by `rng`.
std::vector<int64_t> shuffledOrder(int64_t n, Rng &rng);

} // namespace lamina

#endif // LAMINA_RUNTIME_INIT_H
