#!/usr/bin/env bash
# Installs ONNX Runtime for node (npm onnxruntime-node, pinned by bench/peers/ort/package-lock.json)
# into DIR/node_modules: `npm ci --ignore-scripts` (the package already holds the Linux x64 CPU
# library; its install script would download other builds). Does nothing when DIR already has it.
# Usage: bench/peers/ort_install.sh DIR     exit 0: installed (or already there), 1: not possible
set -u
dir=${1:?usage: bench/peers/ort_install.sh DIR}
src=$(cd "$(dirname "$0")/ort" && pwd)
installed() { [ -f "$dir/node_modules/onnxruntime-node/package.json" ] && cmp -s "$src/package-lock.json" "$dir/package-lock.json"; }
installed && exit 0
command -v npm >/dev/null 2>&1 || { echo "ort_install: npm is not installed" >&2; exit 1; }
mkdir -p "$dir" || exit 1
# one install at a time (make test runs the ONNX check beside make bench's e2e): the second waits,
# then finds the first's
exec 9>"$dir/.install.lock" && flock 9 || { echo "ort_install: cannot lock $dir/.install.lock" >&2; exit 1; }
installed && exit 0
cp "$src/package.json" "$src/package-lock.json" "$dir/" || exit 1
if ! (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
  echo "ort_install: npm ci failed in $dir (see $dir/npm.log)" >&2
  exit 1
fi
