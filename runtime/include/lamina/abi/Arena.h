//===- Arena.h - The static memory plan of a generated step ---------------===//
//
// A step's intermediate tensors live in one arena. Each tensor is written by
// one kernel and last read by a later one (its live range, in kernel
// indices); two tensors whose ranges overlap never share bytes. The layout
// is computed from the sizes at a batch size, by the compiler for its plan
// printout and by the generated step when the batch changes (both call this
// header, so they agree).
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_ABI_ARENA_H
#define LAMINA_ABI_ARENA_H

#include <algorithm>
#include <cstdint>
#include <vector>

namespace lamina::abi {

/// Every tensor starts at a multiple of this many bytes (a cache line, and
/// the widest vector Halide loads aligned).
constexpr int64_t kArenaAlign = 64;

/// A tensor of the arena: its size and live range [first, last] in kernel
/// indices.
struct ArenaTensor {
  int64_t bytes = 0;
  int first = 0;
  int last = 0;
};

/// Offsets of `tensors` in an arena of `*total` bytes. Greedy by size,
/// largest first: each tensor goes to the lowest aligned offset where it
/// overlaps no placed tensor whose live range meets its own.
inline std::vector<int64_t> layoutArena(const std::vector<ArenaTensor> &tensors,
                                        int64_t *total) {
  auto align = [](int64_t b) {
    return (b + kArenaAlign - 1) / kArenaAlign * kArenaAlign;
  };
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensors[a].bytes > tensors[b].bytes;
  });
  std::vector<int64_t> offset(tensors.size(), -1);
  std::vector<size_t> placed;
  int64_t end = 0;
  for (size_t i : order) {
    const ArenaTensor &t = tensors[i];
    // The byte ranges of placed tensors alive at the same time, by start.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (size_t j : placed) {
      const ArenaTensor &u = tensors[j];
      if (u.first <= t.last && t.first <= u.last)
        busy.emplace_back(offset[j], offset[j] + align(u.bytes));
    }
    std::sort(busy.begin(), busy.end());
    int64_t at = 0;
    for (const auto &[lo, hi] : busy) {
      if (at + align(t.bytes) <= lo)
        break;
      at = std::max(at, hi);
    }
    offset[i] = at;
    end = std::max(end, at + align(t.bytes));
    placed.push_back(i);
  }
  *total = end;
  return offset;
}

} // namespace lamina::abi

#endif // LAMINA_ABI_ARENA_H
