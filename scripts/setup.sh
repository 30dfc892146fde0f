#!/usr/bin/env bash
# Installs every Debian package Lamina needs. Idempotent: does nothing when
# all of them are already installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  clang-14 clang-format-14 llvm-14-dev llvm-14-tools libclang-rt-14-dev lld
  libhalide14-0-dev
  antlr4 libantlr4-runtime-dev
  nlohmann-json3-dev libgtest-dev libcli11-dev zlib1g-dev graphviz
  libopenblas0-pthread python3-torch python3-numpy
  dataset-fashion-mnist
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
