#!/usr/bin/env bash
# End to end: `make bench`'s pipeline (scripts/bench.sh) as a newcomer meets it, in a checkout
# without data/: a link farm of this checkout's top-level entries except data/ (and with
# $ECG_DATA_DIR and DATA unset), so the data is chosen exactly as plain `make bench` chooses it on
# a fresh clone: the bundled sample, announced. QUICK=1 only shortens the timing. Two tests:
#   bench_with_peer     the PyTorch peer included (skipped when no python3 here imports torch, or
#                       with ECG_PEER=off)
#   bench_without_peer  ECG_PEER=off, as on a machine without torch; it starts from the first
#                       test's step times, so its estimates must be the measured ones
# Each checks the step lines, the logs, the summary, every output file (the CSVs with their
# columns, the plots valid PNG/SVG, the tables saying they are on sample data).
# (The numbers of tables.md are checked against the CSVs by tests/test_cli_report.c.)
# Usage: tests/e2e_bench.sh [PATH/TO/release/ecgbench]   (default: $ECGBENCH_RELEASE)
set -uo pipefail
bin=${1:-${ECGBENCH_RELEASE:-}}
[ -n "$bin" ] && [ -x "$bin" ] || { echo "usage: tests/e2e_bench.sh PATH/TO/ecgbench (or ECGBENCH_RELEASE=...)" >&2; exit 2; }
bin=$(realpath "$bin")
# make test sets $ECGBENCH to the sanitized binary for the unit tests; the pipeline must measure
# peak memory with the release binary itself, as make bench does.
unset ECGBENCH
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/run_kind.sh
tmp=$(mktemp -d /tmp/ecgbench_e2e_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
farm=$tmp/checkout
mkdir -p "$farm"
for f in "$root"/*; do
  case "$(basename "$f")" in data|build|build-*) ;; *) ln -s "$f" "$farm/" ;; esac
done
passed=0; failed=0; skipped=0; fail=0
check() { if eval "$2"; then echo "    ok      $1"; else echo "    not ok  $1"; fail=1; fi; }
finish() { # test name
  if [ $fail -eq 0 ]; then echo "  ok      $1"; passed=$((passed + 1)); else echo "  not ok  $1"; failed=$((failed + 1)); fi
  fail=0
}

# bench OUT LOG [ENV=VALUE...]: plain `make bench`'s script with QUICK timing in the farm; its step
# lines are shown as they finish, everything in LOG
bench() {
  local out=$1 log=$2; shift 2
  env -u ECG_DATA_DIR -u DATA -u ECG_PEER QUICK=1 OUT="$out" "$@" "$farm/scripts/bench.sh" "$bin" 2>&1 |
    tee "$log" | grep --line-buffered -E '^\[[1-5]/5\]' | sed -u 's/^/    /'
  return "${PIPESTATUS[0]}"
}

has_cols() { head -n 1 "$out/$1" | tr ',' '\n' > "$tmp/cols"; for c in "${@:2}"; do grep -qx "$c" "$tmp/cols" || return 1; done; }
# (a folder without a manifest is an unfinished training run, not a trained one; an autoencoder has
# no classes, so no confusion map or layer rows: its plot is its beats and their reconstructions)
# (a seed ensemble is several models: a confusion map, but no layer plot of its own)
ae_names() { for d in models/weights/*/; do is_ae "$d" && basename "$d"; done; }
confusion_maps() { for d in models/weights/*/; do [ ! -f "$d/manifest.json" ] || is_ae "$d" || [ -s "$out/confusion_$(basename "$d").png" ] || return 1; done; }
reconstruction_plots() {
  local n
  for n in $(ae_names); do
    [ -s "$out/reconstruction_$n.png" ] && grep -q "reconstruction" "$out/reconstruction_$n.svg" &&
      [ "$(head -n 1 "$out/reconstruction_$n.csv" | cut -d, -f1)" = class ] || return 1
  done
}
step_lines() { # how many "[N/5] ..., about X (log OUT/logs/N-STEP.log) ... done in S s" lines
  grep -cE "^\[[1-5]/5\] .*, about [0-9]+ (s|min) \(log $out/logs/[1-5]-[a-z-]+\.log\) \.\.\. done in [0-9]+ s$" "$log"
}

# Every run ONNX Runtime timed is in layers_vs_ort.csv, and at least 80% of its profiled kernel
# time lies on layers ecgbench times too (export-onnx names each node after its layer; a mapping
# that broke would leave the time on names of their own).
ort_layers_ok() {
  awk -F, -v ae="$(ae_names | paste -sd, -)" 'FNR == 1 { next }
           FILENAME ~ /latency_ort/ { if ($5 == 1 && $6 == 1 && !index("," ae ",", "," $1 ",")) runs[$1] = 1; next }
           $8 != "" { total[$1] += $8; if ($6 != "") both[$1] += $8 }
           END { for (r in runs) if (!(total[r] > 0) || both[r] < 0.8 * total[r]) {
                   printf "      %s: %.0f of %.0f us of ONNX Runtime kernel time on layers ecgbench times\n", r, both[r], total[r]; bad = 1 }
                 exit bad }' "$out/latency_ort.csv" "$out/layers_vs_ort.csv"
}

# The checks every run must pass: on the terminal, in the logs, in the files.
common_checks() { # number of steps run
  local nsteps=$1
  check "says up front that the data is the bundled sample" 'head -n 1 "$log" | grep -q "^data: the bundled SAMPLE"'
  check "no Google Benchmark console output on the terminal" '! grep -qE "^(\*\*\*WARNING|Benchmark +Time|-{20})" "$log"'
  check "Google Benchmark output in logs/2-latency.log" 'grep -q "real_time_median" "$out/logs/2-latency.log"'
  check "Google Benchmark's DEBUG warning explained" '! grep -q "built as DEBUG" "$out/logs/2-latency.log" || grep -q "^note: .*built as DEBUG" "$log"'
  check "summary: data, time, files, headline table" 'grep -q "^== summary" "$log" && grep -q "^data: *the bundled SAMPLE" "$log" && grep -qE "^time: +[0-9]+ (s|min) in all" "$log" && grep -qE "^  CSV +.*results\.csv" "$log" && grep -qE "^\| efficientecg" "$log"'
  check "the headline table is tables.md's first, not the whole file" '[ "$(grep -c "^## " "$log")" -eq 1 ]'
  # the latency step's measured time is the one saved for the next run's estimate
  check "step times saved for the next estimate" '[ "$(awk -F"\t" "\$1 == \"latency\" && \$2 == 1 && \$3 == \"sample\" { print \$5 }" "$out/step_times.tsv")" = "$(sed -nE "s/^\[2\/5\] .* done in ([0-9]+) s$/\1/p" "$log")" ] && [ "$(wc -l < "$out/step_times.tsv")" -ge "$nsteps" ]'
  check "results.csv columns" 'has_cols results.csv dataset split data_version model variant accuracy macro_f1 params nonzero_params flops size_bytes batch threads latency_median_us latency_p90_us latency_p99_us gflops_per_s pct_of_core_peak peak_rss_kb weights_in_memory_bytes activations_in_memory_bytes'
  check "confusion.csv columns" 'has_cols confusion.csv dataset model variant run true_class predicted_class count fraction_of_true'
  check "a confusion heat map per trained run" confusion_maps
  check "each autoencoder's beats and reconstructions plotted (reconstruction_RUN)" reconstruction_plots
  check "per_class.csv columns" 'has_cols per_class.csv dataset model variant class support sensitivity ppv specificity f1'
  check "layers.csv columns" 'has_cols layers.csv model variant layer op output_shape params flops latency_us gflops'
  check "latency.csv columns" 'has_cols latency.csv run executor batch threads median_us p90_us p99_us mean_us stddev_us iterations init_ms gflops_per_s ecgbench_speedup'
  check "sweep.csv columns" 'has_cols sweep.csv model sparsity accuracy macro_f1 nonzero_params size_bytes latency_median_us_b1_t1'
  check "bench_op.csv columns" 'has_cols bench_op.csv case executor median_us p90_us'
  check "run.json names commit, compiler, CPU, core peak" 'grep -q git_commit "$out/run.json" && grep -q compiler "$out/run.json" && grep -q cpu_model "$out/run.json" && grep -q core_peak_gflops "$out/run.json"'
  check "tables.md says sample data" 'grep -q "Bundled sample data" "$out/tables.md"'
  check "tables.tex is LaTeX" 'grep -q "\\\\begin{tabular}" "$out/tables.tex"'
  local r p
  for r in models/weights/*/; do
    [ -f "$r/manifest.json" ] && ! is_ae "$r" && ! is_ensemble "$r" || continue
    p=$out/layers_$(basename "$r")
    check "per-layer plot of $(basename "$r")" '[ -s "$p.png" ] && grep -q "MFLOPs" "$p.svg" && grep -q "latency (µs" "$p.svg"'
  done
  # (results.csv has a row per seed; results_by_run.csv's dataset and run, fields 1 and 5, one per run)
  check "every run has a latency row" '[ "$(tail -n +2 "$out/latency.csv" | grep -c ecgbench-xnnpack)" -ge "$(tail -n +2 "$out/results_by_run.csv" | cut -d, -f1,5 | sort -u | wc -l)" ]'
  local bad_png=() bad_svg=()
  for p in "$out"/*.png; do [ "$(head -c 8 "$p" | od -An -tx1 | tr -d " \n")" = 89504e470d0a1a0a ] || bad_png+=("$(basename "$p")"); done
  for p in "$out"/*.svg; do grep -q "</svg>" "$p" || bad_svg+=("$(basename "$p")"); done
  check "$(ls "$out"/*.png | wc -l) PNGs are PNG${bad_png:+ (not: ${bad_png[*]})}" '[ ${#bad_png[@]} -eq 0 ]'
  check "$(ls "$out"/*.svg | wc -l) SVGs are SVG${bad_svg:+ (not: ${bad_svg[*]})}" '[ ${#bad_svg[@]} -eq 0 ]'
}

run_failed() { # name: the script failed; show the end of its output
  tail -n 40 "$log" | sed 's/^/    /'
  echo "    not ok  scripts/bench.sh exited non-zero"
  fail=1; finish "$1"
}

# ---- 1. with the PyTorch peer
py=
for p in python3 /usr/bin/python3; do "$p" -c 'import torch' 2>/dev/null && { py=$p; break; }; done
out=$tmp/with_peer; log=$tmp/with_peer.log
if [ "${ECG_PEER:-}" = off ] || [ "${ECG_PEER:-}" = 0 ]; then
  echo "  skipped bench_with_peer: ECG_PEER=off"
  skipped=$((skipped + 1))
elif [ -z "$py" ]; then
  echo "  skipped bench_with_peer: no python3 here imports torch (apt-get install python3-torch python3-numpy)"
  skipped=$((skipped + 1))
else
  echo "== e2e bench_with_peer: scripts/bench.sh QUICK=1 in a checkout without data/ -> $out"
  if bench "$out" "$log"; then
    check "five step lines, each with estimate, log and time" '[ "$(step_lines)" -eq 5 ]'
    common_checks 5
    check "peer: every trained run's logits match (logs/3-peer.log)" 'grep -qE "^([0-9]+) of \1 models within" "$out/logs/3-peer.log"'
    check "peer: its rows in latency_torch.csv and latency.csv" '[ "$(tail -n +2 "$out/latency_torch.csv" | wc -l)" -gt 0 ] && grep -q pytorch "$out/latency.csv"'
    if [ -s "$out/latency_ort.csv" ]; then
      check "ONNX Runtime per layer: >= 80% of each run's kernel time on layers ecgbench times" ort_layers_ok
      check "layers_vs_ort.md: a section per run" '[ "$(grep -c "^### " "$out/layers_vs_ort.md")" -eq "$(tail -n +2 "$out/latency_ort.csv" | cut -d, -f1 | sort -u | grep -cvxF -f <(ae_names))" ]'
    fi
    finish bench_with_peer
  else
    run_failed bench_with_peer
  fi
fi

# ---- 2. without the peer (ECG_PEER=off), estimates from the previous run's step times
prev=$out/step_times.tsv
out=$tmp/without_peer; log=$tmp/without_peer.log
mkdir -p "$out"
[ -f "$prev" ] && cp "$prev" "$out/step_times.tsv"
echo "== e2e bench_without_peer: scripts/bench.sh QUICK=1 ECG_PEER=off in a checkout without data/ -> $out"
if bench "$out" "$log" ECG_PEER=off; then
  check "four step lines and the peer's one-line skip" '[ "$(step_lines)" -eq 4 ] && grep -qx "\[3/5\] PyTorch peer skipped (ECG_PEER=off)" "$log"'
  common_checks 4
  check "no PyTorch rows without the peer" '[ ! -e "$out/latency_torch.csv" ] && ! grep -q pytorch "$out/latency.csv"'
  if [ -f "$prev" ]; then
    # step 2 (latency, the same 26 runs) is estimated from the first test's measured time
    want=$(awk -F'\t' '$1 == "latency" { print $5 }' "$prev")
    want=$([ "$want" -lt 90 ] && echo "$want s" || echo "$(((want + 30) / 60)) min")
    check "estimates from the previous run's step times (latency: about $want)" 'grep -q "^\[2/5\] .*, about $want (log" "$log"'
  fi
  finish bench_without_peer
else
  run_failed bench_without_peer
fi
echo "RESULT $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
