#!/usr/bin/env bash
# The main job: set up, build, compile examples/mlp.lam, train it on
# Fashion-MNIST and print its test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-examples/mlp.lam}
DATA=/usr/share/datasets/fashion-mnist

bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build laminac lamina_runtime

name=$(basename "$MODEL" .lam)
echo "== compiling $MODEL"
time build/bin/laminac "$MODEL" -o "build/$name" --verbose
echo "== training on Fashion-MNIST (60,000 images), testing on 10,000"
"build/$name" train "$DATA/train-images-idx3-ubyte.gz" "$DATA/train-labels-idx1-ubyte.gz" \
  --test "$DATA/t10k-images-idx3-ubyte.gz" "$DATA/t10k-labels-idx1-ubyte.gz" \
  --checkpoint "build/$name.safetensors"
