//===- ThreadPool.cpp - Spinning workers for the kernels' parallel loops --===//
//
// One loop at a time, cut into one chunk of consecutive iterations per
// thread: thread p runs chunk p first, so in consecutive loops over the
// batch each thread works on the same samples, whose data stays in its own
// cache (a sample written by one core and read by the other costs more than
// the loop saves on this machine). A thread that is done steals the chunks
// nobody has claimed yet, so a sleeping worker delays nothing.
//
// The loop is published as a ticket, (generation << 32) | the set of claimed
// chunks, after its fields; a thread claims a chunk by a compare-and-swap of
// the ticket, so a worker that read the fields of an older loop can never
// run a chunk with them: its swap fails once the generation moved on, and
// the ticket is closed (every chunk claimed) while the fields are written.
// The caller waits until every chunk has finished before it returns, so the
// fields of a loop do not change while a claimed chunk runs.
//
//===----------------------------------------------------------------------===//
#include "lamina/abi/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace lamina::abi {

namespace {

/// A spin-wait step: a pause instruction for the first spins, then a
/// yield of the CPU, so that a waiting thread does not keep the thread it
/// waits for off a core when there are more threads than cores (tests run
/// side by side, other programs).
class Backoff {
public:
  void pause() {
    if (++spins_ < 64) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      return;
    }
    std::this_thread::yield();
  }

private:
  int spins_ = 0;
};

class Pool {
public:
  ~Pool() { stopWorkers(); }

  int setThreads(int n) {
    std::lock_guard<std::mutex> config(configMutex_);
    int old = threads_.load();
    if (n <= 0)
      n = defaultThreads();
    if (n != old) {
      stopWorkers();
      threads_.store(n);
    }
    return old;
  }

  int threads() const { return threads_.load(); }

  int run(void *uc, halide_task_t task, int min, int size, uint8_t *closure) {
    if (size <= 0)
      return 0;
    bool idle = false;
    if (threads_.load() <= 1 || size == 1 ||
        !running_.compare_exchange_strong(idle, true))
      return serial(uc, task, min, size, closure);
    startWorkers();
    int chunks = std::min(size, static_cast<int>(workers_.size()) + 1);
    uint64_t gen = (ticket_.load() >> 32) + 1;
    ticket_.store(((gen - 1) << 32) | kAllClaimed);
    task_.store(task, std::memory_order_release);
    uc_.store(uc, std::memory_order_release);
    closure_.store(closure, std::memory_order_release);
    min_.store(min, std::memory_order_release);
    size_.store(size, std::memory_order_release);
    chunks_.store(chunks, std::memory_order_release);
    done_.store(0, std::memory_order_release);
    result_.store(0, std::memory_order_release);
    // Chunks past the last are claimed from the start.
    ticket_.store((gen << 32) | (kAllClaimed & ~((uint64_t(1) << chunks) - 1)));
    if (sleepers_.load() > 0) {
      std::lock_guard<std::mutex> lock(sleepMutex_);
      wake_.notify_all();
    }
    work(gen, 0);
    for (Backoff b; done_.load(std::memory_order_acquire) < chunks;)
      b.pause();
    int rc = result_.load();
    running_.store(false);
    return rc;
  }

private:
  static int defaultThreads() {
    if (const char *env = std::getenv("HL_NUM_THREADS"))
      if (int n = std::atoi(env); n > 0)
        return n;
    unsigned hw = std::thread::hardware_concurrency();
    return hw ? static_cast<int>(hw) : 1;
  }

  static int serial(void *uc, halide_task_t task, int min, int size,
                    uint8_t *closure) {
    for (int i = 0; i < size; ++i)
      if (int rc = task(uc, min + i, closure))
        return rc;
    return 0;
  }

  /// The claimed-chunk half of a ticket when every chunk is claimed (and
  /// while a loop's fields are written). At most 32 threads.
  static constexpr uint64_t kAllClaimed = 0xffffffffu;
  static constexpr int kMaxThreads = 32;

  /// Runs chunk `self` of loop `gen` if unclaimed, then steals the others
  /// until none is left. The fields are read before the ticket: if they
  /// were being rewritten, the ticket is closed or of a later loop by then,
  /// and nothing is claimed.
  void work(uint64_t gen, int self) {
    halide_task_t task = task_.load(std::memory_order_acquire);
    void *uc = uc_.load(std::memory_order_acquire);
    uint8_t *closure = closure_.load(std::memory_order_acquire);
    int min = min_.load(std::memory_order_acquire);
    int size = size_.load(std::memory_order_acquire);
    int chunks = chunks_.load(std::memory_order_acquire);
    uint64_t t = ticket_.load();
    for (;;) {
      uint64_t claimed = t & kAllClaimed;
      if ((t >> 32) != gen || claimed == kAllClaimed)
        return;
      int c = self;
      if (c >= chunks || (claimed >> c) & 1)
        c = __builtin_ctzll(~claimed);
      if (!ticket_.compare_exchange_weak(t, t | (uint64_t(1) << c)))
        continue;
      int64_t first = int64_t(size) * c / chunks;
      int64_t last = int64_t(size) * (c + 1) / chunks;
      for (int64_t i = first; i < last; ++i)
        if (int rc = task(uc, min + static_cast<int>(i), closure)) {
          int zero = 0;
          result_.compare_exchange_strong(zero, rc);
          break;
        }
      done_.fetch_add(1, std::memory_order_release);
      t = ticket_.load();
    }
  }

  void worker(int self) {
    uint64_t seen = ticket_.load() >> 32;
    for (;;) {
      auto start = std::chrono::steady_clock::now();
      uint64_t gen = ticket_.load() >> 32;
      Backoff backoff;
      for (int spins = 0; gen == seen && !stop_.load(); ++spins) {
        backoff.pause();
        if ((spins & 63) == 63 && std::chrono::steady_clock::now() - start >
                                      std::chrono::microseconds(kSpinMicros)) {
          std::unique_lock<std::mutex> lock(sleepMutex_);
          sleepers_.fetch_add(1);
          wake_.wait(lock, [&] {
            return (ticket_.load() >> 32) != seen || stop_.load();
          });
          sleepers_.fetch_sub(1);
          start = std::chrono::steady_clock::now();
        }
        gen = ticket_.load() >> 32;
      }
      if (stop_.load())
        return;
      seen = gen;
      work(gen, self);
    }
  }

  void startWorkers() {
    if (!workers_.empty() || threads_ <= 1)
      return;
    std::lock_guard<std::mutex> config(workerMutex_);
    if (!workers_.empty())
      return;
    stop_.store(false);
    int n = std::min(threads_.load(), kMaxThreads);
    for (int i = 1; i < n; ++i)
      workers_.emplace_back([this, i] { worker(i); });
  }

  void stopWorkers() {
    std::lock_guard<std::mutex> config(workerMutex_);
    {
      std::lock_guard<std::mutex> lock(sleepMutex_);
      stop_.store(true);
      wake_.notify_all();
    }
    for (std::thread &w : workers_)
      w.join();
    workers_.clear();
  }

  std::atomic<int> threads_{defaultThreads()};
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> ticket_{0};
  std::atomic<halide_task_t> task_{nullptr};
  std::atomic<void *> uc_{nullptr};
  std::atomic<uint8_t *> closure_{nullptr};
  std::atomic<int> min_{0}, size_{0}, chunks_{0}, done_{0}, result_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex sleepMutex_, workerMutex_, configMutex_;
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
};

Pool &pool() {
  // Never destroyed: kernels may run from static destructors' threads, and
  // joining workers at exit would only delay it.
  static Pool *p = new Pool;
  return *p;
}

} // namespace

int parallelFor(void *userContext, halide_task_t task, int min, int size,
                uint8_t *closure) {
  return pool().run(userContext, task, min, size, closure);
}

int setPoolThreads(int n) { return pool().setThreads(n); }

int poolThreads() { return pool().threads(); }

} // namespace lamina::abi
