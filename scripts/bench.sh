#!/usr/bin/env bash
# What `make bench` runs: the benchmark pipeline with the release binary ($1).
# For now: bench-op (the depthwise-conv study) -> reports/out/bench_op.csv + run.json, then the plot.
# QUICK=1: fewer repetitions and shorter runs (a smoke test, not numbers to report).
# OUT=DIR overrides the output directory (default reports/out). Extra arguments go to bench-op.
set -euo pipefail
if [ $# -lt 1 ] || [ ! -x "$1" ]; then
  echo "usage: scripts/bench.sh PATH/TO/ecgbench [bench-op args...]" >&2
  exit 2
fi
bin=$(realpath "$1"); shift
out=${OUT:-reports/out}
cd "$(dirname "$0")/.."

gb=()
if [ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ]; then
  gb=(--benchmark_repetitions=3 --benchmark_min_time=0.05)
fi

echo "== bench-op (depthwise conv1d: xnnpack padded / xnnpack-nopad / reference)"
"$bin" bench-op --out "$out" "${gb[@]}" "$@"

echo "== plot"
if ! command -v gnuplot >/dev/null; then
  echo "bench.sh: gnuplot not found (make deps installs gnuplot-nox)" >&2
  exit 1
fi
gnuplot -e "outdir='$out'" reports/bench_op.gp

echo "== outputs"
for f in bench_op.csv run.json bench_op.png bench_op.svg; do
  [ -s "$out/$f" ] || { echo "bench.sh: missing $out/$f" >&2; exit 1; }
  echo "  $out/$f"
done
