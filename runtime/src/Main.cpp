//===- Main.cpp - main() of every generated executable --------------------===//
//
// This file must define nothing but main(): the linker pulls it out of
// liblamina_runtime.a only to resolve `main`, and it is the only place that
// refers to the symbols laminac generates.
//
// A model lacks the pipelines it has nothing for: train without a loss, eval
// without a loss or a metric, predict without an output. laminac compiles
// only the pipelines a model has and generates nothing for the others, and
// the references below are weak, so an absent pipeline's functions are null
// and Pipeline::available() is false. This is the one mechanism for absent
// pipelines. (Generated stubs were the other: they link and look available,
// then fail on the call with a message blaming the build.) The command line
// checks the descriptor first (ModelDesc::hasTrain and the like) and tells
// the user what the model can do instead.
//
//===----------------------------------------------------------------------===//

#include "lamina/Cli.h"
#include "lamina/Model.h"
#include "lamina/abi/Step.h"
#include "lamina/abi/ThreadPool.h"

#include <HalideRuntime.h>

#include <iostream>
#include <unistd.h>

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

int main(int argc, char **argv) {
  // The kernels' internal buffers come from a cache: a steady-state step
  // allocates nothing.
  halide_set_custom_malloc(lamina::abi::kernelMalloc);
  halide_set_custom_free(lamina::abi::kernelFree);
  // Parallel loops run on workers that spin between them (abi/ThreadPool.h).
  halide_set_custom_do_par_for(lamina::abi::parallelFor);
  lamina::ModelSource src;
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
  src.setNumThreads = lamina::abi::setPoolThreads;
  src.numThreads = lamina::abi::poolThreads;
  src.kernelVariant = lamina_kernel_variant;
  return lamina::runCli(argc, argv, src, std::cout, std::cerr,
                        ::isatty(STDOUT_FILENO) != 0);
}
