//===- Main.cpp - main() of every generated executable --------------------===//
//
// This file must define nothing but main(): the linker pulls it out of
// liblamina_runtime.a only to resolve `main`, and it is the only object of
// the runtime that refers to the symbols laminac generates
// (lamina/Generated.h).
//
//===----------------------------------------------------------------------===//

#include "lamina/Cli.h"
#include "lamina/Generated.h"

#include <iostream>
#include <unistd.h>

int main(int argc, char **argv) {
  lamina::installKernelRuntime();
  return lamina::runCli(argc, argv, lamina::generatedModel(), std::cout,
                        std::cerr, ::isatty(STDOUT_FILENO) != 0);
}
