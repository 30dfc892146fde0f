//===- Init.cpp - Deterministic random numbers and parameter init ---------===//

#include "lamina/Init.h"

#include "lamina/Error.h"

#include <cmath>

namespace lamina {

static constexpr double kPi = 3.14159265358979323846;

double Rng::uniform() {
  // The top 53 bits fill a double's mantissa exactly.
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Rng::normal() {
  // Box-Muller: u1 in (0, 1] keeps log() finite.
  double u1 = 1.0 - uniform();
  double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

uint64_t Rng::below(uint64_t n) {
  assert(n > 0 && "below(0)");
  // Reject the top partial range so every residue is equally likely.
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do
    x = next();
  while (x >= limit);
  return x % n;
}

uint64_t deriveSeed(uint64_t seed, uint64_t stream) {
  auto splitmix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return splitmix(splitmix(seed) ^ stream);
}

uint64_t hashName(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

void initParameter(Tensor &t, const TensorSpec &spec, uint64_t seed) {
  assert(t.shape() == spec.shape && t.dtype() == spec.dtype &&
         "tensor does not match its spec");
  const InitSpec &init = spec.init;
  Rng rng(deriveSeed(seed, hashName(spec.name)));
  int64_t n = t.numel();
  double fanIn = static_cast<double>(init.fanIn);
  switch (init.kind) {
  case InitKind::UniformFanIn: {
    double bound = 1.0 / std::sqrt(fanIn);
    for (int64_t i = 0; i < n; ++i)
      t.set(i, rng.uniform(-bound, bound));
    return;
  }
  case InitKind::Normal:
    for (int64_t i = 0; i < n; ++i)
      t.set(i, init.arg * rng.normal());
    return;
  case InitKind::Xavier: {
    double bound = std::sqrt(6.0 / (fanIn + static_cast<double>(init.fanOut)));
    for (int64_t i = 0; i < n; ++i)
      t.set(i, rng.uniform(-bound, bound));
    return;
  }
  case InitKind::He: {
    double stddev = std::sqrt(2.0 / fanIn);
    for (int64_t i = 0; i < n; ++i)
      t.set(i, stddev * rng.normal());
    return;
  }
  case InitKind::Zeros:
    t.setZero();
    return;
  case InitKind::Constant:
    for (int64_t i = 0; i < n; ++i)
      t.set(i, init.arg);
    return;
  case InitKind::Data:
    if (static_cast<int64_t>(init.data.size()) != n)
      throw Error("parameter '" + spec.name + "' has " + std::to_string(n) +
                  " elements but its init data has " +
                  std::to_string(init.data.size()) + " values");
    for (int64_t i = 0; i < n; ++i)
      t.set(i, init.data[i]);
    return;
  }
}

std::vector<int64_t> shuffledOrder(int64_t n, Rng &rng) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
  return order;
}

} // namespace lamina
