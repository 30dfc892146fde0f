#!/usr/bin/env bash
# Lamina against PyTorch, same machine, same run, ratios printed:
#
#   test/bench/bench.sh [BUILD_DIR]        (default: build)
#
# Builds nothing: BUILD_DIR must hold bin/laminac and the runtime it links.
# For each model (MODELS, default "mlp lenet5 vgg_small resnet20", each an
# examples/MODEL.lam) and each thread count (THREADS, default "1 2"):
#
#   train    samples/s of the train step at the train block's batch
#   infer    samples/s of predict at batch 64
#   batch 1  p50 latency of predict at batch 1
#   60k      seconds of `predict X.npy --batch 64 -o OUT.npy` on the 60,000
#            Fashion-MNIST training images (the models with 28x28 inputs)
#
# Lamina's figures come from `./model bench` (synthetic data, a warm-up
# call, then calls for RUN_SECONDS, default 3), PyTorch's from torch_bench.py,
# which times its copy of the network the same way. Each figure is the best
# of REPEAT runs (default 2): two-thread runs on a shared VM are bimodal.
# Then (AVX2=0 skips it) each model is built again for an AVX2-only target
# and its one-thread train and infer64 are compared with the default build,
# with the best kernel's share of the 256-bit FMA peak.
# PyTorch runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, as on a
# user's machine (the test machine sets them to old values). Also printed:
# the machine's FMA peak measured by `bench` at each thread count, and each
# model's GFLOP/s in the train step.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
[[ $build = /* ]] || build=$PWD/$build
models=${MODELS:-mlp lenet5 vgg_small resnet20}
threads_list=${THREADS:-1 2}
seconds=${RUN_SECONDS:-3}
repeat=${REPEAT:-2}
data=${FMNIST:-/usr/share/datasets/fashion-mnist}
python=${PYTHON:-/usr/bin/python3}
laminac=$build/bin/laminac

die() { echo "bench.sh: $*" >&2; exit 1; }
[[ -x $laminac ]] || die "no $laminac; build it first (ninja -C $build laminac lamina_runtime)"
"$python" -c 'import numpy, torch' 2>/dev/null ||
  die "$python cannot import numpy and torch (Debian: python3-torch)"
torch_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
best() { sort -g | tail -1; }
least() { sort -g | head -1; }

# One value of laminac's train line: train {batch = 64, ..., momentum = 0.9, ...}
train_value() { sed -nE "s/.*[{ ]$2 = ([^,}]+).*/\1/p" <<<"$1"; }

# The 60k predict input: the training images as f32 [60000, 784] NPY.
npy=$work/fmnist60k.npy
have_data=0
if [[ -f $data/train-images-idx3-ubyte.gz ]]; then
  "$python" - "$data/train-images-idx3-ubyte.gz" "$npy" <<'EOF'
import gzip, sys
import numpy as np
raw = gzip.open(sys.argv[1], "rb").read()
x = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 784)
np.save(sys.argv[2], (x / np.float32(255)).astype(np.float32))
EOF
  have_data=1
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "seconds per run $seconds, best of $repeat runs, threads: $threads_list"
echo

rows=()
declare -A peak
for model in $models; do
  lam=$root/examples/$model.lam
  [[ -f $lam ]] || die "no examples/$model.lam"
  train=$("$laminac" "$lam" --emit=ir | grep -m1 -E '^ *train \{') ||
    die "$lam has no train block"
  batch=$(train_value "$train" batch)
  lr=$(train_value "$train" lr)
  momentum=$(train_value "$train" momentum)
  t0=$(now)
  "$laminac" "$lam" -o "$work/$model"
  compile=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  echo "== $model: batch $batch, lr $lr, momentum $momentum; laminac ${compile} s"
  exe=$work/$model
  # The 60k predict: the models with 28x28 inputs, from their initial
  # parameters (--epochs 0 saves them).
  predict60k=0
  if [[ $have_data = 1 && ($model = mlp || $model = lenet5) ]]; then
    "$exe" train "$data/train-images-idx3-ubyte.gz" "$data/train-labels-idx1-ubyte.gz" \
      --epochs 0 --checkpoint "$work/$model.st" > /dev/null
    predict60k=1
  fi

  for t in $threads_list; do
    lt=() ; pt=() ; li=() ; pi=() ; l1=() ; p1=() ; l60=() ; p60=()
    gflops=0
    for ((r = 0; r < repeat; ++r)); do
      out=$("$exe" bench --pipeline train --threads "$t" --seconds "$seconds")
      lt+=("$(sed -nE 's/.* calls: ([0-9]+) samples\/s.*/\1/p' <<<"$out")")
      g=$(sed -nE 's/.* MFLOP per call, ([0-9.]+) GFLOP\/s.*/\1/p' <<<"$out")
      gflops=$(printf '%s\n%s\n' "$gflops" "$g" | best)
      p=$(sed -nE 's/^FMA peak: ([0-9.]+) GFLOP\/s.*/\1/p' <<<"$out")
      peak[$t]=$(printf '%s\n%s\n' "${peak[$t]:-0}" "$p" | best)
      out=$("$exe" bench --pipeline predict --batch 64 --threads "$t" --seconds "$seconds")
      li+=("$(sed -nE 's/.* calls: ([0-9]+) samples\/s.*/\1/p' <<<"$out")")
      out=$("$exe" bench --pipeline predict --batch 1 --threads "$t" --seconds "$seconds")
      l1+=("$(sed -nE 's/.* p50 ([0-9.]+) ms.*/\1/p' <<<"$out")")
      pt+=("$("${torch_env[@]}" "$python" "$here/torch_bench.py" --model "$model" --mode train \
        --batch "$batch" --lr "$lr" --momentum "$momentum" --threads "$t" --seconds "$seconds" |
        sed -nE 's/.*: ([0-9]+) samples\/s.*/\1/p')")
      pi+=("$("${torch_env[@]}" "$python" "$here/torch_bench.py" --model "$model" --mode infer \
        --batch 64 --threads "$t" --seconds "$seconds" | sed -nE 's/.*: ([0-9]+) samples\/s.*/\1/p')")
      p1+=("$("${torch_env[@]}" "$python" "$here/torch_bench.py" --model "$model" --mode infer \
        --batch 1 --threads "$t" --seconds "$seconds" | sed -nE 's/.* p50 ([0-9.]+) ms.*/\1/p')")
      if [[ $predict60k = 1 ]]; then
        t0=$(now)
        "$exe" predict "$npy" --checkpoint "$work/$model.st" --batch 64 --threads "$t" \
          -o "$work/out.npy" 2> /dev/null
        l60+=("$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')")
        p60+=("$("${torch_env[@]}" "$python" "$here/torch_bench.py" --model "$model" \
          --mode predict-file --batch 64 --threads "$t" --input "$npy" --output "$work/tout.npy" |
          sed -nE 's/.*: ([0-9.]+) s$/\1/p')")
      fi
    done
    row="$model $t $(printf '%s\n' "${lt[@]}" | best) $(printf '%s\n' "${pt[@]}" | best)"
    row+=" $(printf '%s\n' "${li[@]}" | best) $(printf '%s\n' "${pi[@]}" | best)"
    row+=" $(printf '%s\n' "${l1[@]}" | least) $(printf '%s\n' "${p1[@]}" | least)"
    if ((${#l60[@]})); then
      row+=" $(printf '%s\n' "${l60[@]}" | least) $(printf '%s\n' "${p60[@]}" | least)"
    else
      row+=" - -"
    fi
    row+=" $gflops"
    rows+=("$row")
    echo "$row"
  done
done

# The same models built for an AVX2-only target (AVX2=0 skips this), one
# thread: train and infer64 against the default (AVX-512 where the CPU has
# it) build, and the best kernel's share of the 256-bit FMA peak that
# bench measures for AVX2 kernels.
avx2_rows=()
if [[ ${AVX2:-1} = 1 ]]; then
  avx2_target=x86-64-linux-avx-avx2-f16c-fma-sse41
  for model in $models; do
    "$laminac" "$root/examples/$model.lam" -o "$work/$model.avx2" --target="$avx2_target"
    at=() ; ai=() ; dt=() ; di=()
    for ((r = 0; r < repeat; ++r)); do
      out=$("$work/$model.avx2" bench --pipeline train --threads 1 --seconds "$seconds")
      at+=("$(sed -nE 's/.* calls: ([0-9]+) samples\/s.*/\1/p' <<<"$out")")
      p256=$(sed -nE 's/^FMA peak: ([0-9.]+) GFLOP\/s.*/\1/p' <<<"$out")
      top=$(awk '/^lk_/ && $3 + 0 >= 2 { print $5 }' <<<"$(sed -E 's/%//g' <<<"$out")" | sort -g | tail -1)
      out=$("$work/$model.avx2" bench --pipeline predict --batch 64 --threads 1 --seconds "$seconds")
      ai+=("$(sed -nE 's/.* calls: ([0-9]+) samples\/s.*/\1/p' <<<"$out")")
      out=$("$work/$model" bench --pipeline train --threads 1 --seconds "$seconds")
      dt+=("$(sed -nE 's/.* calls: ([0-9]+) samples\/s.*/\1/p' <<<"$out")")
      out=$("$work/$model" bench --pipeline predict --batch 64 --threads 1 --seconds "$seconds")
      di+=("$(sed -nE 's/.* calls: ([0-9]+) samples\/s.*/\1/p' <<<"$out")")
    done
    avx2_rows+=("$model $(printf '%s\n' "${at[@]}" | best) $(printf '%s\n' "${dt[@]}" | best) $(printf '%s\n' "${ai[@]}" | best) $(printf '%s\n' "${di[@]}" | best) $p256 $top")
  done
fi

echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in $threads_list; do
  echo "FMA peak measured by bench: ${peak[$t]} GFLOP/s on $t thread(s)"
done
echo "ratios are Lamina's speed over PyTorch's (above 1: Lamina is faster)"
printf '%-10s %2s | %9s %9s %6s | %9s %9s %6s | %8s %8s %6s | %7s %7s %6s | %8s\n' \
  model thr "train" "torch" ratio "infer64" "torch" ratio "b1 ms" "torch" ratio \
  "60k s" "torch" ratio "GFLOP/s"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == 0 || b == 0) print "-"; else printf "%.2f", a / b }'; }
for r in "${rows[@]}"; do
  read -r m t lt pt li pi l1 p1 l60 p60 g <<<"$r"
  pk=${peak[$t]}
  printf '%-10s %2s | %9s %9s %6s | %9s %9s %6s | %8s %8s %6s | %7s %7s %6s | %6s (%s%%)\n' \
    "$m" "$t" "$lt" "$pt" "$(ratio "$lt" "$pt")" "$li" "$pi" "$(ratio "$li" "$pi")" \
    "$l1" "$p1" "$(ratio "$p1" "$l1")" "$l60" "$p60" "$(ratio "$p60" "$l60")" "$g" \
    "$(awk -v a="$g" -v b="$pk" 'BEGIN { printf "%.0f", 100 * a / b }')"
done
if ((${#avx2_rows[@]})); then
  echo
  echo "AVX2-only build ($avx2_target) against the default build, 1 thread"
  echo "(slower: how many times slower the AVX2 build is; top kernel: the best"
  echo "share of the 256-bit peak among kernels taking 2% or more of the step)"
  printf '%-10s | %9s %9s %7s | %9s %9s %7s | %10s %10s\n' model "train" "default" slower \
    "infer64" "default" slower "256b peak" "top kernel"
  for r in "${avx2_rows[@]}"; do
    read -r m at dt ai di pk top <<<"$r"
    printf '%-10s | %9s %9s %7s | %9s %9s %7s | %10s %9s%%\n' "$m" "$at" "$dt" \
      "$(ratio "$dt" "$at")" "$ai" "$di" "$(ratio "$di" "$ai")" "$pk" "${top:--}"
  done
fi
