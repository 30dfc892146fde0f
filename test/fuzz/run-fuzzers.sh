#!/usr/bin/env bash
# Runs each libFuzzer target for a fixed time over a corpus seeded with the
# examples and tests; exits non-zero on any crash, hang (-timeout), sanitizer
# report, out-of-memory (-rss_limit_mb, -malloc_limit_mb) or broken contract.
#
#   test/fuzz/run-fuzzers.sh BUILD_DIR [SECONDS_EACH] [FUZZER...]
#
# BUILD_DIR is a build configured with -DLAMINA_FUZZ=ON (clang-14). FUZZER is
# frontend or ir (default: both). The corpus grows in
# BUILD_DIR/fuzz/<fuzzer>/corpus across runs; findings go to
# BUILD_DIR/fuzz/<fuzzer>/artifacts. Extra libFuzzer flags may be given in
# LAMINA_FUZZ_FLAGS (for example -jobs=2 or -runs=N).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "$1" && pwd)"
seconds="${2:-60}"
shift $(($# < 2 ? $# : 2))
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=(frontend ir)

# Seeds: every model and IR file of the repository; the test files with
# `// -----` cases are also split into one seed per case.
seed() {
  local dir="$1"; shift
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$root" && git ls-files "$@") | while read -r f; do
    cp "$root/$f" "$dir/$(echo "$f" | tr / _)"
  done
  /usr/bin/python3 - "$dir" <<'PY'
import os, sys
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    parts = open(os.path.join(d, name), "rb").read().split(b"// -----")
    for i, p in enumerate(parts if len(parts) > 1 else []):
        with open(os.path.join(d, "%s.case%d" % (name, i)), "wb") as f:
            f.write(p)
PY
}

status=0
for name in "${fuzzers[@]}"; do
  bin="$build/bin/lamina-fuzz-$name"
  work="$build/fuzz/$name"
  mkdir -p "$work/corpus" "$work/artifacts"
  stamp="$work/started" && touch "$stamp"
  # The front end's coverage map is large (every op file is instrumented),
  # and libFuzzer's entropic schedule spends 70% of the time updating its
  # feature frequencies there; the plain schedule runs 4x more inputs.
  extra=()
  case "$name" in
    frontend) seed "$work/seeds" 'examples/*.lam' 'test/*.lam'; extra=(-entropic=0) ;;
    ir) seed "$work/seeds" 'test/*.lir' ;;
    *) echo "run-fuzzers: unknown fuzzer '$name'" >&2; exit 2 ;;
  esac
  echo "== fuzz $name: ${seconds}s, $(ls "$work/seeds" | wc -l) seeds, $(ls "$work/corpus" | wc -l) corpus inputs"
  # -timeout: an input that takes 10 s is a hang. -rss_limit_mb and
  # -malloc_limit_mb: the front end must reject a huge shape or literal with
  # a diagnostic, not try to allocate it.
  # shellcheck disable=SC2086
  if ! ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
      UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
      "$bin" -max_total_time="$seconds" -runs=100000000 -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=8192 \
      -dict="$root/test/fuzz/lamina.dict" -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "${extra[@]}" ${LAMINA_FUZZ_FLAGS:-} \
      "$work/corpus" "$work/seeds" > "$work/log" 2>&1; then
    status=1
    echo "fuzz $name FAILED; the last lines of $work/log:"
    tail -n 60 "$work/log"
    for a in "$work"/artifacts/*; do
      [ -f "$a" ] && [ "$a" -nt "$stamp" ] || continue
      echo "--- $a ($(wc -c < "$a") bytes), as a Python bytes literal:"
      /usr/bin/python3 -c 'import sys; print(repr(open(sys.argv[1], "rb").read()[:2000]))' "$a"
    done
  else
    grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$work/log" || true
  fi
done
exit $status
