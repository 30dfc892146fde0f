#!/usr/bin/env bash
# Training throughput of Lamina against PyTorch on Fashion-MNIST.
#
#   test/bench/bench.sh [BUILD_DIR]        (default: build)
#
# Builds nothing: BUILD_DIR must hold bin/laminac and the runtime it links.
# For each model with an examples/MODEL.lam (MODELS, default "mlp lenet5"),
# compiles it, trains EPOCHS epochs (default 2) on the 60,000 training images
# with THREADS threads (default 2), runs test/bench/torch_reference.py with
# the train block's batch, lr and momentum and the same thread count, and
# prints images/s of the best epoch of each (the least disturbed by other
# load), side by side. Environment: EPOCHS, THREADS, MODELS, FMNIST (the
# data directory), PYTHON; OMP_* reaches PyTorch (see README.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
[[ $build = /* ]] || build=$PWD/$build
epochs=${EPOCHS:-2}
threads=${THREADS:-2}
models=${MODELS:-mlp lenet5}
data=${FMNIST:-/usr/share/datasets/fashion-mnist}
python=${PYTHON:-/usr/bin/python3}
laminac=$build/bin/laminac

die() { echo "bench.sh: $*" >&2; exit 1; }
[[ -x $laminac ]] || die "no $laminac; build it first (ninja -C $build laminac lamina_runtime)"
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz; do
  [[ -f $data/$f ]] || die "no $data/$f (set FMNIST)"
done
"$python" -c 'import numpy, torch' 2>/dev/null ||
  die "$python cannot import numpy and torch (Debian: python3-torch)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }

# One value of laminac's train line: train {batch = 64, ..., momentum = 0.9, ...}
train_value() { sed -nE "s/.*[{ ]$2 = ([^,}]+).*/\1/p" <<<"$1"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "threads $threads, epochs $epochs, data $data"
echo

rows=()
for model in $models; do
  lam=$root/examples/$model.lam
  if [[ ! -f $lam ]]; then
    echo "== $model: skipped (no examples/$model.lam)"
    continue
  fi
  train=$("$laminac" "$lam" --emit=ir | grep -m1 -E '^ *train \{') ||
    die "$lam has no train block"
  batch=$(train_value "$train" batch)
  lr=$(train_value "$train" lr)
  momentum=$(train_value "$train" momentum)
  echo "== $model: batch $batch, lr $lr, momentum $momentum"

  t0=$(now)
  "$laminac" "$lam" -o "$work/$model"
  compile=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  echo "laminac: ${compile} s"

  # All 60,000 images, as PyTorch trains on, not the train block's split.
  "$work/$model" train "$data/train-images-idx3-ubyte.gz" \
    "$data/train-labels-idx1-ubyte.gz" --epochs "$epochs" --val-split 0 \
    --batch "$batch" --lr "$lr" --threads "$threads" | tee "$work/$model.lamina"
  lamina=$(grep -E '^epoch ' "$work/$model.lamina" |
    sed -nE 's/.* ([0-9]+) samples\/s.*/\1/p' | sort -n | tail -1)

  "$python" "$here/torch_reference.py" --model "$model" --batch "$batch" \
    --lr "$lr" --momentum "$momentum" --epochs "$epochs" \
    --threads "$threads" --data "$data" | tee "$work/$model.torch"
  torch=$(grep -E 'images/s' "$work/$model.torch" |
    sed -nE 's/.* ([0-9]+) images\/s.*/\1/p' | sort -n | tail -1)
  rows+=("$model $lamina $torch $compile")
  echo
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "images/s of the best of $epochs epochs, $threads threads:"
printf '%-8s %13s %14s %7s %14s\n' model "lamina img/s" "pytorch img/s" ratio "laminac (s)"
for r in "${rows[@]}"; do
  read -r model lamina torch compile <<<"$r"
  ratio=$(awk -v a="$lamina" -v b="$torch" 'BEGIN { printf "%.2f", a / b }')
  printf '%-8s %13s %14s %7s %14s\n' "$model" "$lamina" "$torch" "$ratio" "$compile"
done
