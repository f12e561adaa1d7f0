#!/usr/bin/env bash
# End to end: `make bench QUICK=1`'s pipeline (scripts/bench.sh) on this checkout's committed runs
# and the bundled sample, into a temporary folder; every output file must be there, the CSVs with
# their columns, the plots valid PNG/SVG, the tables saying they are on sample data.
# (The numbers of tables.md are checked against the CSVs by tests/test_cli_report.c.)
# Usage: tests/e2e_bench.sh PATH/TO/release/ecgbench
set -uo pipefail
bin=${1:?usage: tests/e2e_bench.sh PATH/TO/ecgbench}
out=$(mktemp -d /tmp/ecgbench_e2e_XXXXXX)
trap 'rm -rf "$out"' EXIT
fail=0
check() { if eval "$2"; then echo "  ok      $1"; else echo "  not ok  $1"; fail=1; fi; }

echo "== e2e: make bench QUICK=1 (scripts/bench.sh) into $out"
if ! QUICK=1 OUT="$out" scripts/bench.sh "$bin" > "$out/bench.log" 2>&1; then
  tail -n 30 "$out/bench.log"
  echo "  not ok  scripts/bench.sh exited non-zero"
  echo "RESULT e2e failed"
  exit 1
fi
has_cols() { head -n 1 "$out/$1" | tr ',' '\n' > "$out/cols"; for c in "${@:2}"; do grep -qx "$c" "$out/cols" || return 1; done; }
check "results.csv columns" 'has_cols results.csv dataset split data_version model variant accuracy macro_f1 params nonzero_params flops size_bytes batch threads latency_median_us latency_p90_us latency_p99_us gflops_per_s pct_of_core_peak peak_rss_kb weights_in_memory_bytes activations_in_memory_bytes'
check "confusion.csv columns" 'has_cols confusion.csv dataset model variant run true_class predicted_class count fraction_of_true'
# (a folder without a manifest is an unfinished training run, not a trained one)
confusion_maps() { for d in models/weights/*/; do [ ! -f "$d/manifest.json" ] || [ -s "$out/confusion_$(basename "$d").png" ] || return 1; done; }
check "a confusion heat map per trained run" confusion_maps
check "per_class.csv columns" 'has_cols per_class.csv dataset model variant class support sensitivity ppv specificity f1'
check "layers.csv columns" 'has_cols layers.csv model variant layer op output_shape params flops latency_us gflops'
check "latency.csv columns" 'has_cols latency.csv run executor batch threads median_us p90_us p99_us mean_us stddev_us iterations init_ms gflops_per_s ecgbench_speedup'
check "sweep.csv columns" 'has_cols sweep.csv model sparsity accuracy macro_f1 nonzero_params size_bytes latency_median_us_b1_t1'
check "bench_op.csv columns" 'has_cols bench_op.csv case executor median_us p90_us'
check "run.json names commit, compiler, CPU, core peak" 'grep -q git_commit "$out/run.json" && grep -q compiler "$out/run.json" && grep -q cpu_model "$out/run.json" && grep -q core_peak_gflops "$out/run.json"'
check "tables.md says sample data" 'grep -q "Bundled sample data" "$out/tables.md"'
check "tables.tex is LaTeX" 'grep -q "\\\\begin{tabular}" "$out/tables.tex"'
for r in models/weights/*/; do
  [ -f "$r/manifest.json" ] || continue
  p=$out/layers_$(basename "$r")
  check "per-layer plot of $(basename "$r")" '[ -s "$p.png" ] && grep -q "MFLOPs" "$p.svg" && grep -q "latency (µs" "$p.svg"'
done
check "every run has a latency row" '[ "$(tail -n +2 "$out/latency.csv" | grep -c ecgbench-xnnpack)" -ge "$(tail -n +2 "$out/results.csv" | wc -l)" ]'
for p in "$out"/*.png; do check "$(basename "$p") is PNG" '[ "$(head -c 8 "$p" | od -An -tx1 | tr -d " \n")" = 89504e470d0a1a0a ]'; done
for p in "$out"/*.svg; do check "$(basename "$p") is SVG" 'grep -q "</svg>" "$p"'; done
[ $fail -eq 0 ] && echo "RESULT e2e passed" || echo "RESULT e2e failed"
exit $fail
