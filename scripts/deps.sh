#!/usr/bin/env bash
# The Debian packages ecgbench builds and runs with.
#   scripts/deps.sh            check: name the missing ones, exit 1 if any
#   scripts/deps.sh --ensure   install the missing ones, if any (what make, make test and make bench do)
#   scripts/deps.sh --install  the same, saying so when nothing is missing (make deps)
# Installing needs root: as root directly, else through `sudo -n` (no password prompt); when
# neither works, the message names the packages and the command to run, and the exit code is 1.
# python3-torch (the PyTorch peer) is optional and not installed here: see the README.
# Each entry: package | a file that proves it is installed. OPTIONAL ones (Open MPI: ecgbench-mpi,
# `mpirun -np N ecgbench-mpi train`) are installed with the others, but their absence fails
# nothing: without them ecgbench-mpi is not built and tests/mpi_check.sh skips.
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
  "libgsl-dev|/usr/include/gsl/gsl_cdf.h"
  "nettle-dev|/usr/include/nettle/sha2.h"
  "zstd|/usr/bin/zstd"
  "gnuplot-nox|/usr/bin/gnuplot"
  "clang|/usr/bin/clang"
  "libclang-rt-14-dev|/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
  "libprotobuf-c-dev|/usr/include/protobuf-c/protobuf-c.h" "protobuf-c-compiler|/usr/bin/protoc-c" "python3-onnx|/usr/lib/python3/dist-packages/onnx/onnx.proto"
)
OPTIONAL=(
  "openmpi-bin|/usr/bin/mpirun"
  "libopenmpi-dev|/usr/bin/mpicc"
)
mode=${1:-check}
case "$mode" in
  check|--ensure|--install) ;;
  *) echo "usage: scripts/deps.sh [--ensure|--install]" >&2; exit 2 ;;
esac
missing=()
for entry in "${PKGS[@]}"; do
  pkg=${entry%%|*}; file=${entry#*|}
  [ -e "$file" ] || missing+=("$pkg")
done
optional=()
for entry in "${OPTIONAL[@]}"; do
  pkg=${entry%%|*}; file=${entry#*|}
  [ -e "$file" ] || optional+=("$pkg")
done
# make (--ensure) installs the optional ones only along with a required one; make deps always
[ "$mode" = --install ] && missing+=("${optional[@]}")
if [ ${#missing[@]} -eq 0 ]; then
  [ "$mode" = --install ] && echo "deps: all ${#PKGS[@]} packages present (and the optional ones)"
  exit 0
fi
[ "$mode" = --ensure ] && missing+=("${optional[@]}")
if [ "$mode" = check ]; then
  echo "ecgbench: missing Debian packages: ${missing[*]}" >&2
  echo "          install them with:  make deps   (or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
  SUDO=(sudo -n)
else
  why="sudo is not installed"
  command -v sudo >/dev/null 2>&1 && why="sudo asks for a password"
  echo "ecgbench: missing Debian packages: ${missing[*]}" >&2
  echo "          installing them needs root ($(id -un) is not, and $why). Run as root:" >&2
  echo "            apt-get update && apt-get install -y ${missing[*]}" >&2
  echo "          (or with sudo in front of each apt-get), then the same make command again." >&2
  exit 1
fi
echo "deps: installing ${#missing[@]} missing Debian packages${SUDO:+ through sudo}: ${missing[*]}"
t0=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get update -qq || ! "${SUDO[@]}" apt-get install -y -qq "${missing[@]}"; then
  echo "deps: apt-get install failed for: ${missing[*]} (the apt output above says why)" >&2
  exit 1
fi
echo "deps: apt-get done in $(($(date +%s) - t0)) s"
exec "$0"   # check again: every package's file must now be there
