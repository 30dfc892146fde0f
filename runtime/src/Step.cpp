//===- Step.cpp - The arena and CPU dispatch of generated steps -----------===//
#include "lamina/abi/Step.h"

#include "lamina/abi/Arena.h"
#include "lamina/abi/DType.h"
#include "lamina/abi/StepArena.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace lamina::abi {

StepArena::~StepArena() { std::free(memory_); }

static int64_t extentAt(int64_t d, int32_t batch) {
  return d == kBatch ? batch : d;
}

halide_buffer_t *const *StepArena::prepare(const StepTensor *tensors, int count,
                                           int32_t batch) {
  if (tensors != table_) {
    table_ = tensors;
    tensors_.assign(tensors, tensors + count);
    buffers_.assign(static_cast<size_t>(count), halide_buffer_t());
    pointers_.assign(static_cast<size_t>(count), nullptr);
    size_t dims = 0;
    for (const StepTensor &t : tensors_)
      dims += static_cast<size_t>(t.rank);
    dims_.assign(dims, halide_dimension_t());
    batch_ = -1;
  }
  if (batch == batch_)
    return pointers_.data();
  std::vector<ArenaTensor> sizes;
  for (const StepTensor &t : tensors_) {
    int64_t n = t.bits / 8;
    for (int d = 0; d < t.rank; ++d)
      n *= extentAt(t.shape[d], batch);
    sizes.push_back({n, t.first, t.last});
  }
  int64_t total = 0;
  std::vector<int64_t> offsets = layoutArena(sizes, &total);
  if (total > capacity_) {
    std::free(memory_);
    memory_ = static_cast<uint8_t *>(std::aligned_alloc(
        kArenaAlign, static_cast<size_t>(total + kArenaAlign - 1) /
                         kArenaAlign * kArenaAlign));
    if (!memory_) {
      capacity_ = 0;
      batch_ = -1;
      return nullptr;
    }
    capacity_ = total;
  }
  size_t nextDim = 0;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const StepTensor &t = tensors_[i];
    halide_buffer_t &b = buffers_[i];
    b = halide_buffer_t();
    b.host = memory_ + offsets[i];
    b.type.code = static_cast<halide_type_code_t>(t.code);
    b.type.bits = t.bits;
    b.type.lanes = 1;
    b.dimensions = t.rank;
    b.dim = dims_.data() + nextDim;
    nextDim += static_cast<size_t>(t.rank);
    // Halide lists dimensions innermost first.
    int32_t stride = 1;
    for (int d = t.rank - 1, hd = 0; d >= 0; --d, ++hd) {
      int32_t extent = static_cast<int32_t>(extentAt(t.shape[d], batch));
      b.dim[hd] = halide_dimension_t(0, extent, stride);
      stride *= extent;
    }
    pointers_[i] = &b;
  }
  batch_ = batch;
  bytes_ = total;
  return pointers_.data();
}

halide_buffer_t *const *prepareArena(StepArena *arena,
                                     const StepTensor *tensors, int count,
                                     int32_t batch) {
  return arena->prepare(tensors, count, batch);
}

static std::string describe(uint8_t code, uint8_t bits, int32_t rank,
                            const int64_t *extents) {
  std::string s = code == halide_type_float ? "f" : "i";
  s += std::to_string(bits) + "[";
  for (int d = 0; d < rank; ++d)
    s += (d ? ", " : "") + std::to_string(extents[d]);
  return s + "]";
}

int checkBatch(const char *pipeline, int32_t batch, int64_t most) {
  if (batch > 0 && batch <= most)
    return 0;
  if (batch <= 0)
    std::fprintf(stderr, "%s: batch %d: a batch must have at least one row\n",
                 pipeline, static_cast<int>(batch));
  else
    std::fprintf(stderr,
                 "%s: batch %d is larger than %lld, the most whose tensors "
                 "stay under 2 GiB each; use a smaller --batch\n",
                 pipeline, static_cast<int>(batch),
                 static_cast<long long>(most));
  return halide_error_code_buffer_extents_too_large;
}

int checkArgument(const char *pipeline, const char *name,
                  const halide_buffer_t *b, uint8_t code, uint8_t bits,
                  int32_t rank, const int64_t *shape, int32_t batch) {
  // No allocation unless the argument is wrong: every step calls this.
  bool ok = rank >= 0 && rank <= kMaxRank && batch > 0 && b && b->host &&
            b->dimensions == rank && b->type.code == code &&
            b->type.bits == bits && b->type.lanes == 1;
  int64_t stride = 1;
  for (int d = rank - 1, hd = 0; ok && d >= 0; --d, ++hd) {
    const halide_dimension_t &dim = b->dim[hd];
    ok = dim.min == 0 && dim.extent == extentAt(shape[d], batch) &&
         dim.stride == stride;
    stride *= dim.extent;
  }
  if (ok)
    return 0;
  std::vector<int64_t> want(static_cast<size_t>(rank > 0 ? rank : 0));
  for (int d = 0; d < rank; ++d)
    want[static_cast<size_t>(d)] = extentAt(shape[d], batch);
  std::vector<int64_t> got;
  std::string have = "no buffer";
  if (b && b->dimensions >= 0) {
    for (int hd = b->dimensions - 1; hd >= 0; --hd)
      got.push_back(b->dim[hd].extent);
    have = describe(static_cast<uint8_t>(b->type.code), b->type.bits,
                    b->dimensions, got.data()) +
           (b->host ? "" : " without memory");
  }
  std::fprintf(
      stderr, "%s: argument '%s' is %s, expected a dense %s at batch %d\n",
      pipeline, name, have.c_str(),
      describe(code, bits, rank, want.data()).c_str(), static_cast<int>(batch));
  return halide_error_code_bad_dimensions;
}

int checkArguments(const char *pipeline, const ArgumentCheck *checks, int count,
                   void *const *args, const int64_t *shapes, int32_t batch) {
  for (int i = 0; i < count; ++i) {
    const ArgumentCheck &c = checks[i];
    if (int rc =
            checkArgument(pipeline, c.name,
                          static_cast<const halide_buffer_t *>(args[c.index]),
                          c.code, c.bits, c.rank, shapes + c.shape, batch))
      return rc;
  }
  return 0;
}

int copyBuffer(const halide_buffer_t *src, halide_buffer_t *dst) {
  if (src->dimensions != dst->dimensions || src->type != dst->type)
    return -1;
  size_t n = (src->type.bits + 7) / 8;
  for (int d = 0; d < src->dimensions; ++d) {
    if (src->dim[d].extent != dst->dim[d].extent)
      return -1;
    n *= static_cast<size_t>(src->dim[d].extent);
  }
  std::memmove(dst->host, src->host, n);
  return 0;
}

namespace {

/// Blocks are 128-byte aligned, with 128 bytes before (the size) and after
/// them: Halide may read a few bytes past either end.
constexpr size_t kBlockPad = 128;
constexpr size_t kMaxCached = size_t(1) << 30;

struct BlockCache {
  std::mutex mutex;
  std::map<size_t, std::vector<void *>> free;
  size_t cached = 0;
};

BlockCache &blockCache() {
  // Never destroyed: kernels of other static objects' destructors may still
  // free blocks during exit.
  static BlockCache *cache = new BlockCache;
  return *cache;
}

} // namespace

void *kernelMalloc(void *, size_t bytes) {
  size_t size = (bytes + kBlockPad - 1) / kBlockPad * kBlockPad;
  BlockCache &c = blockCache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free.find(size);
    if (it != c.free.end() && !it->second.empty()) {
      void *p = it->second.back();
      it->second.pop_back();
      c.cached -= size;
      return p;
    }
  }
  auto *base = static_cast<uint8_t *>(
      std::aligned_alloc(kBlockPad, size + 2 * kBlockPad));
  if (!base)
    return nullptr;
  std::memcpy(base, &size, sizeof size);
  return base + kBlockPad;
}

void kernelFree(void *, void *ptr) {
  if (!ptr)
    return;
  uint8_t *base = static_cast<uint8_t *>(ptr) - kBlockPad;
  size_t size;
  std::memcpy(&size, base, sizeof size);
  BlockCache &c = blockCache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached + size <= kMaxCached) {
      c.free[size].push_back(ptr);
      c.cached += size;
      return;
    }
  }
  std::free(base);
}

int cpuVariant(int available) {
  static const int best = [] {
    __builtin_cpu_init();
    bool avx2 = __builtin_cpu_supports("avx2") &&
                __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx");
    bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                  __builtin_cpu_supports("avx512cd") &&
                  __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512dq") &&
                  __builtin_cpu_supports("avx512vl");
    return avx512 ? kAvx512 : avx2 ? kAvx2 : kX86_64;
  }();
  return best < available ? best : available - 1;
}

static std::atomic<double *> timesOf[kPipelineIndexCount];

double *kernelTimes(int index) {
  if (index < 0 || index >= kPipelineIndexCount)
    return nullptr;
  return timesOf[index].load(std::memory_order_relaxed);
}

void setKernelTimes(int index, double *times) {
  if (index >= 0 && index < kPipelineIndexCount)
    timesOf[index].store(times, std::memory_order_relaxed);
}

double clockSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace lamina::abi
