//===- Main.cpp - main() of every generated executable --------------------===//
//
// This file must define nothing but main(): the linker pulls it out of
// liblamina_runtime.a only to resolve `main`, and it is the only place that
// refers to the symbols laminac generates. The pipelines are weak so an
// executable linked without one of them still starts and reports it.
//
//===----------------------------------------------------------------------===//

#include "lamina/Cli.h"
#include "lamina/Model.h"

#include <HalideRuntime.h>

#include <iostream>
#include <unistd.h>

extern "C" {
__attribute__((weak)) int lamina_train_argv(void **args);
__attribute__((weak)) const struct halide_filter_metadata_t *
lamina_train_metadata();
__attribute__((weak)) int lamina_eval_argv(void **args);
__attribute__((weak)) const struct halide_filter_metadata_t *
lamina_eval_metadata();
__attribute__((weak)) int lamina_predict_argv(void **args);
__attribute__((weak)) const struct halide_filter_metadata_t *
lamina_predict_metadata();
}

int main(int argc, char **argv) {
  lamina::ModelSource src;
  src.json = lamina_model_json;
  src.pipelines.train = {"lamina_train", lamina_train_argv,
                         lamina_train_metadata};
  src.pipelines.eval = {"lamina_eval", lamina_eval_argv, lamina_eval_metadata};
  src.pipelines.predict = {"lamina_predict", lamina_predict_argv,
                           lamina_predict_metadata};
  src.setNumThreads = halide_set_num_threads;
  return lamina::runCli(argc, argv, src, std::cout, std::cerr,
                        ::isatty(STDOUT_FILENO) != 0);
}
