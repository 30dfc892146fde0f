//===- ThreadPoolTest.cpp - The pool that runs the kernels' parallel loops ===//
#include "lamina/abi/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

using namespace lamina::abi;

namespace {

struct Counts {
  std::vector<std::atomic<int>> runs;
  std::atomic<int> threadsSeen{0};
  explicit Counts(int n) : runs(static_cast<size_t>(n)) {}
};

int countTask(void *, int i, uint8_t *closure) {
  reinterpret_cast<Counts *>(closure)->runs[static_cast<size_t>(i)]++;
  return 0;
}

/// Restores the pool's thread count at the end of a test.
struct Threads {
  int old;
  explicit Threads(int n) : old(setPoolThreads(n)) {}
  ~Threads() { setPoolThreads(old); }
};

} // namespace

TEST(ThreadPool, EveryIterationRunsOnceForAnySizeAndThreadCount) {
  for (int threads : {1, 2, 3, 8}) {
    Threads t(threads);
    // Many loops in a row: workers spin between them and must never run an
    // iteration of one loop with the fields of another.
    for (int round = 0; round < 200; ++round)
      for (int size : {1, 2, 3, 7, 64}) {
        Counts c(size + 5);
        ASSERT_EQ(parallelFor(nullptr, countTask, 5, size,
                              reinterpret_cast<uint8_t *>(&c)),
                  0);
        for (int i = 0; i < 5; ++i)
          ASSERT_EQ(c.runs[static_cast<size_t>(i)].load(), 0);
        for (int i = 5; i < size + 5; ++i)
          ASSERT_EQ(c.runs[static_cast<size_t>(i)].load(), 1)
              << "threads " << threads << " size " << size << " iteration "
              << i;
      }
  }
}

namespace {
int threadIdTask(void *, int i, uint8_t *closure) {
  auto *ids = reinterpret_cast<std::vector<std::thread::id> *>(closure);
  (*ids)[static_cast<size_t>(i)] = std::this_thread::get_id();
  // Long enough that a spinning worker joins.
  auto until =
      std::chrono::steady_clock::now() + std::chrono::microseconds(200);
  while (std::chrono::steady_clock::now() < until) {
  }
  return 0;
}
} // namespace

TEST(ThreadPool, TwoThreadsShareALoopAndKeepTheirHalves) {
  Threads t(2);
  // The worker may be descheduled on a loaded machine: a few tries.
  std::vector<std::thread::id> ids(8);
  bool shared = false;
  for (int attempt = 0; attempt < 50 && !shared; ++attempt) {
    parallelFor(nullptr, threadIdTask, 0, 8, reinterpret_cast<uint8_t *>(&ids));
    shared = std::set<std::thread::id>(ids.begin(), ids.end()).size() == 2;
  }
  ASSERT_TRUE(shared) << "the worker never joined a loop";
  // Each half of the loop runs on one thread.
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(ids[static_cast<size_t>(i)], ids[0]);
    EXPECT_EQ(ids[static_cast<size_t>(4 + i)], ids[4]);
  }
}

namespace {
int failingTask(void *, int i, uint8_t *) { return i == 3 ? -7 : 0; }

int nestedTask(void *, int i, uint8_t *closure) {
  // A loop inside a loop runs serially on the thread that starts it.
  auto *c = reinterpret_cast<Counts *>(closure);
  Counts inner(4);
  int rc = parallelFor(nullptr, countTask, 0, 4,
                       reinterpret_cast<uint8_t *>(&inner));
  for (int k = 0; k < 4; ++k)
    if (inner.runs[static_cast<size_t>(k)].load() != 1)
      return -1;
  c->runs[static_cast<size_t>(i)]++;
  return rc;
}
} // namespace

TEST(ThreadPool, AnErrorIsReturnedAndNestedLoopsRunSerially) {
  Threads t(2);
  EXPECT_EQ(parallelFor(nullptr, failingTask, 0, 8, nullptr), -7);
  Counts c(6);
  EXPECT_EQ(
      parallelFor(nullptr, nestedTask, 0, 6, reinterpret_cast<uint8_t *>(&c)),
      0);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(c.runs[static_cast<size_t>(i)].load(), 1);
}

TEST(ThreadPool, LoopsFromTwoThreadsAtOnceBothComplete) {
  Threads t(2);
  auto loops = [] {
    for (int round = 0; round < 100; ++round) {
      Counts c(16);
      if (parallelFor(nullptr, countTask, 0, 16,
                      reinterpret_cast<uint8_t *>(&c)) != 0)
        return false;
      for (int i = 0; i < 16; ++i)
        if (c.runs[static_cast<size_t>(i)].load() != 1)
          return false;
    }
    return true;
  };
  bool other = false;
  std::thread th([&] { other = loops(); });
  bool mine = loops();
  th.join();
  EXPECT_TRUE(mine);
  EXPECT_TRUE(other);
}
