#!/usr/bin/env bash
# Checks (default) or installs (--install) the Debian packages ecgbench builds and runs with.
# Each entry: package | a file that proves it is installed.
set -u
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
PKGS=(
  "gcc|/usr/bin/gcc"
  "g++|/usr/bin/g++"
  "make|/usr/bin/make"
  "pkg-config|/usr/bin/pkg-config"
  "libxnnpack-dev|/usr/include/xnnpack.h"
  "libpthreadpool-dev|/usr/include/pthreadpool.h"
  "libbenchmark-dev|/usr/include/benchmark/benchmark.h"
  "libcsv-dev|/usr/include/csv.h"
  "libcjson-dev|/usr/include/cjson/cJSON.h"
  "libsamplerate0-dev|/usr/include/samplerate.h"
  "libmatio-dev|/usr/include/matio.h"
  "libliquid-dev|/usr/include/liquid/liquid.h"
  "libopenblas-pthread-dev|/usr/include/$MULTIARCH/openblas-pthread/cblas.h"
  "zstd|/usr/bin/zstd"
  "gnuplot-nox|/usr/bin/gnuplot"
  "clang|/usr/bin/clang"
  "libclang-rt-14-dev|/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
)
missing=()
for entry in "${PKGS[@]}"; do
  pkg=${entry%%|*}; file=${entry#*|}
  [ -e "$file" ] || missing+=("$pkg")
done
if [ "${1:-}" = "--install" ]; then
  if [ ${#missing[@]} -eq 0 ]; then echo "deps: all ${#PKGS[@]} packages present"; exit 0; fi
  echo "deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${missing[@]}" || {
    echo "deps: apt-get install failed for: ${missing[*]}" >&2; exit 1; }
  exec "$0"
fi
if [ ${#missing[@]} -ne 0 ]; then
  echo "ecgbench: missing Debian packages: ${missing[*]}" >&2
  echo "          install them with:  make deps   (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
