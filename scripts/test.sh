#!/usr/bin/env bash
# The whole test suite: set up, build, unit tests, lit tests, format and
# FileCheck-typo checks, then the same tests again under ASan + UBSan, then
# the libFuzzer targets for a fixed time each.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)

bash scripts/setup.sh

echo "== format check (clang-format 14)"
git ls-files 'compiler/*.cpp' 'compiler/*.h' 'runtime/*.cpp' 'runtime/*.h' 'test/unit/*.cpp' \
  'test/fuzz/*.cpp' 'test/fuzz/*.h' \
  | xargs clang-format-14 --dry-run -Werror

echo "== FileCheck directive typos"
bad=$(grep -rnoE '\bCHECK[A-Za-z0-9-]*:?' test/ --include='*.lam' --include='*.lir' --include='*.test' \
  | grep -vE ':CHECK(-(NEXT|SAME|NOT|LABEL|DAG|EMPTY|COUNT-[0-9]+))?:$' || true)
if [ -n "$bad" ]; then
  echo "malformed FileCheck directives:"; echo "$bad"; exit 1
fi

echo "== Release build (gcc)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build -j"$JOBS" laminac lamina-opt lamina-run lamina_runtime lamina-unittests lamina-runtime-tests
(cd build && ctest --output-on-failure)

# gcc here; clang 14 builds the project too (compiler/compat/ works around a
# header of Debian's ANTLR 4.9 runtime that it rejects), in the fuzz step.
echo "== Debug build with ASan + UBSan (gcc)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLAMINA_SANITIZE=ON \
  -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ >/dev/null
ninja -C build-asan -j"$JOBS" laminac lamina-opt lamina-run lamina_runtime lamina-unittests lamina-runtime-tests
(cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure)

# libFuzzer over the front end and the textual IR parser, seeded with the
# examples and tests: a crash, hang, sanitizer report, huge allocation or
# broken round trip fails the suite (test/fuzz/run-fuzzers.sh). clang 14
# builds it, through compiler/compat/antlr4-runtime.h.
FUZZ_SECONDS=${LAMINA_FUZZ_SECONDS:-60}
echo "== libFuzzer (clang 14, ASan + UBSan), ${FUZZ_SECONDS}s per target"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLAMINA_SANITIZE=ON \
  -DLAMINA_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
ninja -C build-fuzz -j"$JOBS" lamina-fuzz-frontend lamina-fuzz-ir
bash test/fuzz/run-fuzzers.sh build-fuzz "$FUZZ_SECONDS"
