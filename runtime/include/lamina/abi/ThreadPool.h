//===- ThreadPool.h - The workers that run the kernels' parallel loops ----===//
//
// A train step runs dozens of parallel loops, most of them a few tens of
// microseconds long. Halide's own pool puts its workers to sleep between
// loops, and waking one costs about as much as such a loop on a virtual
// machine, so two threads ran slower than one. This pool's workers spin
// between loops for a while (kSpinMicros) before they sleep: a loop that
// follows another within that time starts at once. Every executable
// installs it with halide_set_custom_do_par_for (runtime/src/Main.cpp).
//
// Each loop is cut into one chunk of consecutive iterations per thread,
// and thread p runs chunk p first: consecutive loops over the batch keep
// each sample on one core, whose cache holds its data (data written by one
// core and read by the other cost more than the second core saved). A
// thread that is done steals the chunks not yet claimed. A parallel loop
// started from inside another (nested) or from a second thread while one
// runs is run serially by its caller.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_ABI_THREADPOOL_H
#define LAMINA_ABI_THREADPOOL_H

#include <HalideRuntime.h>

namespace lamina::abi {

/// How long an idle worker spins for the next loop before it sleeps.
constexpr int kSpinMicros = 2000;

/// halide_do_par_for on this pool: runs task(user_context, i, closure) for
/// i in [min, min + size); returns the first nonzero result, else 0.
int parallelFor(void *userContext, halide_task_t task, int min, int size,
                uint8_t *closure);

/// Sets the number of threads that run a parallel loop, the caller
/// included (n <= 0: HL_NUM_THREADS if set, else every core); returns the
/// previous number.
int setPoolThreads(int n);

/// The number of threads that run a parallel loop, the caller included.
int poolThreads();

} // namespace lamina::abi

#endif // LAMINA_ABI_THREADPOOL_H
