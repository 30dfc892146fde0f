#!/usr/bin/env bash
# The whole test suite: set up, build, unit tests, lit tests, format and
# FileCheck-typo checks, then the same tests again under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)

bash scripts/setup.sh

echo "== format check (clang-format 14)"
git ls-files 'compiler/*.cpp' 'compiler/*.h' 'runtime/*.cpp' 'runtime/*.h' 'test/unit/*.cpp' \
  | xargs clang-format-14 --dry-run -Werror

echo "== FileCheck directive typos"
bad=$(grep -rnoE '\bCHECK[A-Za-z0-9-]*:?' test/ --include='*.lam' --include='*.lir' --include='*.test' \
  | grep -vE ':CHECK(-(NEXT|SAME|NOT|LABEL|DAG|EMPTY|COUNT-[0-9]+))?:$' || true)
if [ -n "$bad" ]; then
  echo "malformed FileCheck directives:"; echo "$bad"; exit 1
fi

echo "== Release build (gcc)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build -j"$JOBS" laminac lamina-opt lamina_runtime lamina-unittests lamina-runtime-tests
(cd build && ctest --output-on-failure)

# gcc, not clang: clang 14 rejects a header of Debian's ANTLR 4.9 runtime
# (InterpreterDataReader.h default-constructs a Vocabulary with const members).
echo "== Debug build with ASan + UBSan (gcc)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLAMINA_SANITIZE=ON \
  -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ >/dev/null
ninja -C build-asan -j"$JOBS" laminac lamina-opt lamina_runtime lamina-unittests lamina-runtime-tests
(cd build-asan && ASAN_OPTIONS=detect_leaks=0 ctest --output-on-failure)
