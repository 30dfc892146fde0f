//===- Generated.h - The symbols laminac generates, as a ModelSource ------===//
//
// laminac compiles only the pipelines a model has (train without a loss,
// eval without a loss or a metric, predict without an output have nothing
// to compute) and generates nothing for the others. The references below
// are weak, so an absent pipeline's functions are null and
// Pipeline::available() is false. This is the one mechanism for absent
// pipelines. (Generated stubs were the other: they link and look available,
// then fail on the call with a message blaming the build.) The command line
// checks the descriptor first (ModelDesc::hasTrain and the like) and tells
// the user what the model can do instead.
//
// Included by the two programs that link a model: main() of every executable
// (runtime/src/Main.cpp) and the C API of a model library (laminac
// --emit=lib, lamina/Embed.h).
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_RUNTIME_GENERATED_H
#define LAMINA_RUNTIME_GENERATED_H

#include "lamina/Cli.h"
#include "lamina/Model.h"
#include "lamina/abi/Step.h"
#include "lamina/abi/ThreadPool.h"

#include <HalideRuntime.h>

extern "C" {
__attribute__((weak)) int lamina_train_step(void **args,
                                            lamina::abi::StepArena *arena);
__attribute__((weak)) const struct halide_filter_metadata_t *
lamina_train_metadata();
__attribute__((weak)) int lamina_eval_step(void **args,
                                           lamina::abi::StepArena *arena);
__attribute__((weak)) const struct halide_filter_metadata_t *
lamina_eval_metadata();
__attribute__((weak)) int lamina_predict_step(void **args,
                                              lamina::abi::StepArena *arena);
__attribute__((weak)) int lamina_train_grad_step(void **args,
                                                 lamina::abi::StepArena *arena);
__attribute__((weak)) const struct halide_filter_metadata_t *
lamina_train_grad_metadata();
__attribute__((weak)) int
lamina_train_update_step(void **args, lamina::abi::StepArena *arena);
__attribute__((weak)) const struct halide_filter_metadata_t *
lamina_train_update_metadata();
__attribute__((weak)) int lamina_gradcheck_step(void **args,
                                                lamina::abi::StepArena *arena);
__attribute__((weak)) const struct halide_filter_metadata_t *
lamina_gradcheck_metadata();
__attribute__((weak)) const char *lamina_kernel_variant();
__attribute__((weak)) const lamina::abi::KernelInfo *
lamina_train_kernels(int *count);
__attribute__((weak)) const lamina::abi::KernelInfo *
lamina_eval_kernels(int *count);
__attribute__((weak)) const lamina::abi::KernelInfo *
lamina_predict_kernels(int *count);
__attribute__((weak)) const struct halide_filter_metadata_t *
lamina_predict_metadata();
}

namespace lamina {

/// The model linked into this program: its descriptor and pipelines.
inline ModelSource generatedModel() {
  ModelSource src;
  src.json = lamina_model_json;
  src.pipelines.train = {"lamina_train", lamina_train_step,
                         lamina_train_metadata, lamina_train_kernels};
  src.pipelines.eval = {"lamina_eval", lamina_eval_step, lamina_eval_metadata,
                        lamina_eval_kernels};
  src.pipelines.predict = {"lamina_predict", lamina_predict_step,
                           lamina_predict_metadata, lamina_predict_kernels};
  src.pipelines.trainGrad = {"lamina_train_grad", lamina_train_grad_step,
                             lamina_train_grad_metadata};
  src.pipelines.trainUpdate = {"lamina_train_update", lamina_train_update_step,
                               lamina_train_update_metadata};
  src.pipelines.gradCheck = {"lamina_gradcheck", lamina_gradcheck_step,
                             lamina_gradcheck_metadata};
  src.setNumThreads = abi::setPoolThreads;
  src.numThreads = abi::poolThreads;
  src.kernelVariant = lamina_kernel_variant;
  return src;
}

/// Installs the runtime's kernel allocator and thread pool in the Halide
/// runtime linked with the model: the kernels' internal buffers come from a
/// cache, so a steady-state step allocates nothing, and parallel loops run
/// on workers that spin between them (abi/ThreadPool.h).
inline void installKernelRuntime() {
  halide_set_custom_malloc(abi::kernelMalloc);
  halide_set_custom_free(abi::kernelFree);
  halide_set_custom_do_par_for(abi::parallelFor);
}

} // namespace lamina

#endif // LAMINA_RUNTIME_GENERATED_H
