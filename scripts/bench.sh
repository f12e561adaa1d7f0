#!/usr/bin/env bash
# What `make bench` runs: the benchmark pipeline with the release binary ($1).
# For now: bench-op (the depthwise-conv study) -> reports/out/bench_op.csv + run.json and its plot,
# then `ecgbench report`: every committed run (models/weights, models/compressed) evaluated on the
# full data when present, else the bundled sample -> results.csv, per_class.csv, sweep.csv, tables.
# QUICK=1: fewer repetitions, shorter runs, and the sample data (a smoke test, not numbers to report).
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
report=()
if [ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ]; then
  gb=(--benchmark_repetitions=3 --benchmark_min_time=0.05)
  report=(--data datasets/sample)
fi

echo "== bench-op (depthwise conv1d: xnnpack padded / xnnpack-nopad / reference)"
"$bin" bench-op --out "$out" "${gb[@]}" "$@"

echo "== plot"
if ! command -v gnuplot >/dev/null; then
  echo "bench.sh: gnuplot not found (make deps installs gnuplot-nox)" >&2
  exit 1
fi
gnuplot -e "outdir='$out'" reports/bench_op.gp

echo "== report (evaluate every committed run; tables)"
"$bin" report --out "$out" "${report[@]}"

echo "== outputs"
for f in bench_op.csv run.json bench_op.png bench_op.svg results.csv per_class.csv sweep.csv tables.md tables.tex; do
  [ -s "$out/$f" ] || { echo "bench.sh: missing $out/$f" >&2; exit 1; }
  echo "  $out/$f"
done
