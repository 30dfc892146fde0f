//===- Bench.cpp - `model bench`: how fast a pipeline runs here -----------===//
//
// Like trtexec or onnxruntime_perf_test: one pipeline is called on synthetic
// data for a few seconds; the report gives throughput, per-call latency
// percentiles, each kernel's share of a call, and GFLOP/s against the FMA
// peak of this machine, measured first by a loop of independent fused
// multiply-adds on the widest vectors the CPU has, on as many threads as
// the pipeline uses.
//
//===----------------------------------------------------------------------===//
#include "CliCommon.h"

#include "lamina/Error.h"
#include "lamina/Train.h"
#include "lamina/abi/Step.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace lamina::cli {

namespace {

// Twelve independent chains hide the FMA latency (4 cycles, 2 per cycle),
// written out so that they stay in registers. One loop per instruction set,
// each compiled for its own (the rest of the runtime is plain x86-64): NAME
// runs `iters` steps of a = STEP(a, m, c) on VEC vectors of LANES floats.
#define LAMINA_CHAINS(X)                                                       \
  X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
constexpr int kChains = 12;
#define LAMINA_INIT(i) VEC a##i = SET1(1.0f + 0.001f * i);
#define LAMINA_STEP(i) a##i = STEP(a##i, m, c);
#define LAMINA_SUM(i)                                                          \
  STORE(lanes, a##i);                                                          \
  for (float v : lanes)                                                        \
    s += v;
#define LAMINA_PEAK_LOOP(NAME, TARGET, LANES)                                  \
  TARGET float NAME(int64_t iters) {                                           \
    LAMINA_CHAINS(LAMINA_INIT)                                                 \
    const VEC m = SET1(0.9999f), c = SET1(1e-4f);                              \
    for (int64_t n = 0; n < iters; ++n) {                                      \
      LAMINA_CHAINS(LAMINA_STEP)                                               \
    }                                                                          \
    alignas(64) float lanes[LANES];                                            \
    float s = 0;                                                               \
    LAMINA_CHAINS(LAMINA_SUM)                                                  \
    return s;                                                                  \
  }

#define VEC __m512
#define SET1 _mm512_set1_ps
#define STEP _mm512_fmadd_ps
#define STORE _mm512_store_ps
LAMINA_PEAK_LOOP(fmaLoop512, __attribute__((target("avx512f"))), 16)
#undef VEC
#undef SET1
#undef STEP
#undef STORE

#define VEC __m256
#define SET1 _mm256_set1_ps
#define STEP _mm256_fmadd_ps
#define STORE _mm256_store_ps
LAMINA_PEAK_LOOP(fmaLoop256, __attribute__((target("avx2,fma"))), 8)
#undef VEC
#undef SET1
#undef STEP
#undef STORE

/// Without FMA: a multiply and an add per lane on 4-lane SSE vectors.
inline __m128 mulAdd128(__m128 a, __m128 m, __m128 c) {
  return _mm_add_ps(_mm_mul_ps(a, m), c);
}
#define VEC __m128
#define SET1 _mm_set1_ps
#define STEP mulAdd128
#define STORE _mm_store_ps
LAMINA_PEAK_LOOP(mulAddLoop128, , 4)
#undef VEC
#undef SET1
#undef STEP
#undef STORE
#undef LAMINA_PEAK_LOOP
#undef LAMINA_SUM
#undef LAMINA_STEP
#undef LAMINA_INIT
#undef LAMINA_CHAINS

/// The f32 peak of `threads` threads in GFLOP/s, and what it was measured
/// with.
struct Peak {
  double gflops = 0;
  const char *how = "";
};

/// The widest vectors the kernels in use have: 16 f32 lanes for an
/// AVX-512 variant, 8 for AVX2, else 4 (the variant names its target or
/// ISA first: "avx512 (this CPU's best of ...)", "x86-64-linux-avx-avx2-...
/// (the only variant built)"); 16 when unknown.
int variantLanes(const char *kernelVariant) {
  if (!kernelVariant)
    return 16;
  std::string v(kernelVariant);
  v = v.substr(0, v.find(' '));
  if (v.find("avx512") != std::string::npos)
    return 16;
  if (v.find("avx2") != std::string::npos)
    return 8;
  return 4;
}

/// The FMA peak at the widest of this CPU's vectors and `maxLanes`, so the
/// percentages compare AVX2 kernels with what 256-bit vectors can do.
Peak measurePeak(int threads, int maxLanes) {
  __builtin_cpu_init();
  float (*loop)(int64_t) = mulAddLoop128;
  int lanes = 4;
  Peak p{0, "4-lane SSE multiply and add"};
  if (maxLanes >= 16 && __builtin_cpu_supports("avx512f")) {
    loop = fmaLoop512;
    lanes = 16;
    p.how = "16-lane AVX-512 FMA";
  } else if (maxLanes >= 8 && __builtin_cpu_supports("avx2") &&
             __builtin_cpu_supports("fma")) {
    loop = fmaLoop256;
    lanes = 8;
    p.how = "8-lane AVX2 FMA";
  }
  // About 0.1 s per thread on a 2 GHz core; the best of three runs.
  constexpr int64_t kIters = 4'000'000;
  std::vector<float> sink(static_cast<size_t>(threads));
  for (int run = 0; run < 3; ++run) {
    double t0 = abi::clockSeconds();
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t)
      pool.emplace_back(
          [&, t] { sink[static_cast<size_t>(t)] = loop(kIters); });
    sink[0] = loop(kIters);
    for (std::thread &th : pool)
      th.join();
    double s = abi::clockSeconds() - t0;
    double flops = 2.0 * kChains * lanes * static_cast<double>(kIters) *
                   static_cast<double>(threads);
    p.gflops = std::max(p.gflops, flops / s * 1e-9);
  }
  // The sums are never 0; keeps the loops from being optimized away.
  if (sink[0] == 0)
    std::fprintf(stderr, "?");
  return p;
}

double percentile(std::vector<double> sorted, double q) {
  size_t i =
      static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

std::string format(const char *fmt, double a) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, a);
  return buf;
}

} // namespace

void runBench(const ModelDesc &m, const Pipelines &pipes, const Options &opt,
              int threads, const char *kernelVariant, std::ostream &out) {
  std::string which = opt.pipeline;
  if (which.empty())
    which = m.hasPredict() ? "predict" : m.hasEval() ? "eval" : "train";
  Session::Timed timed = Session::Timed::Predict;
  const Pipeline *p = &pipes.predict;
  int index = abi::kPredictIndex;
  Command needs = Command::Predict;
  if (which == "train") {
    timed = Session::Timed::Train;
    p = &pipes.train;
    index = abi::kTrainIndex;
    needs = Command::Train;
  } else if (which == "eval") {
    timed = Session::Timed::Eval;
    p = &pipes.eval;
    index = abi::kEvalIndex;
    needs = Command::Eval;
  }
  requirePipeline(m, needs);
  int64_t batch = opt.batch.value_or(m.train && m.train->batch ? *m.train->batch
                                                               : int64_t(64));
  double lr = opt.lr.value_or(m.train && m.train->lr ? *m.train->lr : 0.01);
  double seconds = opt.seconds.value_or(3.0);

  Session s(m, pipes);
  if (!opt.checkpoint.empty()) {
    requireFile("--checkpoint", opt.checkpoint);
    s.load(opt.checkpoint, false);
  } else {
    s.initialize(m.train ? m.train->seed.value_or(0) : 0);
  }

  out << "bench " << m.name << ": " << which << ", batch " << batch << ", "
      << threads << (threads == 1 ? " thread" : " threads") << ", "
      << trimNumber(seconds) << " s\n";
  if (kernelVariant)
    out << "kernels: " << kernelVariant << "\n";
  Peak peak = measurePeak(std::max(threads, 1), variantLanes(kernelVariant));
  out << "FMA peak: " << format("%.1f", peak.gflops) << " GFLOP/s on "
      << std::max(threads, 1) << (threads == 1 ? " thread" : " threads") << " ("
      << peak.how << ", measured now)\n";

  int count = 0;
  const abi::KernelInfo *kernels = p->kernels ? p->kernels(&count) : nullptr;
  std::vector<double> times(static_cast<size_t>(count) + 1, 0.0);
  abi::setKernelTimes(index, kernels ? times.data() : nullptr);
  std::vector<double> calls;
  try {
    // Warm: buffers allocated, caches and branch predictors trained.
    s.timeCalls(timed, batch, lr, 0.0);
    std::fill(times.begin(), times.end(), 0.0);
    calls = s.timeCalls(timed, batch, lr, seconds);
  } catch (...) {
    abi::setKernelTimes(index, nullptr);
    throw;
  }
  abi::setKernelTimes(index, nullptr);

  double total = 0;
  for (double c : calls)
    total += c;
  double n = static_cast<double>(calls.size());
  double perCall = total / n;
  std::vector<double> sorted = calls;
  std::sort(sorted.begin(), sorted.end());
  double flops = 0;
  for (int k = 0; k < count; ++k)
    flops += kernels[k].flopsPerRow * static_cast<double>(batch) +
             kernels[k].flopsFixed;
  out << calls.size() << " calls: " << format("%.0f", n * batch / total)
      << " samples/s; latency p50 "
      << format("%.3f", percentile(sorted, 0.5) * 1e3) << " ms, p90 "
      << format("%.3f", percentile(sorted, 0.9) * 1e3) << " ms, p99 "
      << format("%.3f", percentile(sorted, 0.99) * 1e3) << " ms, min "
      << format("%.3f", sorted.front() * 1e3) << " ms\n";
  if (kernels) {
    double gflops = flops / perCall * 1e-9;
    out << format("%.3f", flops * 1e-6) << " MFLOP per call, "
        << format("%.1f", gflops) << " GFLOP/s, "
        << format("%.1f", 100 * gflops / peak.gflops) << "% of peak\n\n";
    out << "kernel                ms/call  share  GFLOP/s  %peak  ops\n";
    // The kernels of the second warm-up call are timed too.
    double timedCalls = n + 1;
    std::vector<int> order(static_cast<size_t>(count));
    for (int k = 0; k < count; ++k)
      order[static_cast<size_t>(k)] = k;
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      return times[static_cast<size_t>(a)] > times[static_cast<size_t>(b)];
    });
    double kernelTotal = 0;
    for (int k = 0; k < count; ++k)
      kernelTotal += times[static_cast<size_t>(k)];
    for (int k : order) {
      const abi::KernelInfo &ki = kernels[k];
      double t = times[static_cast<size_t>(k)] / timedCalls;
      double kf = ki.flopsPerRow * static_cast<double>(batch) + ki.flopsFixed;
      double g = t > 0 ? kf / t * 1e-9 : 0;
      char line[96];
      std::snprintf(line, sizeof(line), "%-20s %8.4f %5.1f%% %8.1f %5.1f%%  ",
                    ki.symbol, t * 1e3,
                    100 * times[static_cast<size_t>(k)] / kernelTotal, g,
                    100 * g / peak.gflops);
      out << line << ki.ops << "\n";
    }
    out << "kernels " << format("%.3f", kernelTotal / timedCalls * 1e3)
        << " ms of " << format("%.3f", perCall * 1e3)
        << " ms per call; the rest is the runtime's\n";
  } else {
    out << "(no kernel table: the executable predates bench)\n";
  }
}

} // namespace lamina::cli
