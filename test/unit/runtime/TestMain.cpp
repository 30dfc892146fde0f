//===- TestMain.cpp - main() of lamina-runtime-tests ----------------------===//
//
// liblamina_runtime.a contains the main() of generated executables. The
// linker would pull that member in to resolve `main` before it reaches
// gtest_main, so the test binary defines main() itself, in an object file.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

int main(int argc, char **argv) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
