#!/usr/bin/env bash
# What `make bench` runs: the benchmark pipeline with the release binary ($1), five steps:
#   1. bench-op: the depthwise-conv study -> bench_op.csv and its plot
#   2. latency: every committed run (models/weights, models/compressed) through XNNPACK, batch
#      1 and 32, 1 thread and all cores -> latency_ecgbench.csv (a seed ensemble: all its members in
#      turn); and ONNX Runtime on each one-model run's ONNX export at the same settings
#      (bench/peers/ort_peer.sh) -> latency_ort.csv, and each layer's time from ONNX Runtime's
#      profiler (batch 1, 1 thread) -> layers_ort.csv, when node is here (ONNX Runtime from npm into
#      BUILD/onnxruntime; else one line saying it is skipped)
#   3. the PyTorch peer, when python3-torch is installed (else one line saying it is skipped):
#      logits of the committed weights checked against ecgbench's, and its latency -> latency_torch.csv
#   4. report: every run and each of its seeds evaluated -> results.csv, results_by_run.csv (mean
#      and sd over seeds), ablation.csv, per_class.csv, confusion.csv, layers.csv (with per-layer
#      latency), sweep.csv, latency.csv, tables.md/.tex, run.json; with ONNX Runtime's layers,
#      layers_vs_ort.csv and layers_vs_ort.md (bench/peers/ort_layers.js: where ecgbench loses)
#      and for each autoencoder (lstm-ae) its MSE per class and each class's median test beat with
#      its reconstruction (ecgbench reconstruct -> reconstruction_RUN.csv)
#   5. plots (gnuplot, PNG and SVG): accuracy against latency and against size per dataset with the
#      Pareto front, the pruning sweep, training curves, for each trained run its per-layer
#      FLOPs and latency (layers_RUN; not for a seed ensemble, which is several models) and its
#      confusion heat map (confusion_RUN), and each
#      autoencoder's beats and reconstructions (reconstruction_RUN)
# Each step prints one line: its number, what it does, an estimate (the previous run's measured
# time when OUT holds one, else a default per run) and its time once done. The tools' own output
# goes to OUT/logs/N-STEP.log; a failing step prints the end of its log. A summary closes.
#
# The data: the full sets (mitdb/ and cinc2017/) in DATA=dir, else $ECG_DATA_DIR, else data/
# (`make data`); without them every step runs on the bundled sample datasets/sample, and says so.
# QUICK=1 only shortens the timing (fewer repetitions, shorter runs, batch 1 only); it does not
# change the data.
# ECG_PEER=off skips the PyTorch peer and ONNX Runtime, ECG_PEER=on fails when python3-torch is
# missing (default: run it when installed); ECG_ORT=off skips ONNX Runtime alone. OUT=DIR overrides the output directory (default reports/out). Extra
# arguments go to bench-op.
set -euo pipefail
if [ $# -lt 1 ] || [ ! -x "$1" ]; then
  echo "usage: scripts/bench.sh PATH/TO/ecgbench [bench-op args...]" >&2
  exit 2
fi
bin=$(realpath "$1"); shift
# a data folder named by the caller is relative to where the caller is, not to the repo root
want=${DATA:-${ECG_DATA_DIR:-}}
[ -n "$want" ] && want=$(realpath -m "$want")
cd "$(dirname "$0")/.."
source scripts/run_kind.sh
out=${OUT:-reports/out}
if ! command -v gnuplot >/dev/null; then
  echo "bench.sh: gnuplot not found (make deps installs gnuplot-nox)" >&2
  exit 1
fi
mkdir -p "$out/logs"
rm -f "$out"/logs/*.log   # an earlier run's, whose warnings the summary would repeat
quick=0
[ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ] && quick=1

# ---- the data: what is here decides, never QUICK
want=${want:-data}
lacks=()
for set in mitdb cinc2017; do [ -d "$want/$set" ] || lacks+=("$set/"); done
if [ ${#lacks[@]} -eq 0 ]; then
  data=$want; data_kind=full
  echo "data: the full data sets in $want/ (mitdb, cinc2017)"
else
  data=datasets/sample; data_kind=sample
  echo "data: the bundled SAMPLE (datasets/sample) for every step: $want/ has no ${lacks[*]}"
  echo "      (make data fetches the full sets; DATA=dir points elsewhere). Sample accuracies are not the models' real ones."
fi

# 10 repetitions of >= 0.1 s per latency row for ecgbench (0.05 s for the peer): with 23 runs,
# 0.2 s took make bench to 18 min on 2 cores, over its 15-minute budget, and 26 runs (the cinc2017
# CNNs at batch 32 take 0.5-4 s a call) took it to 18.7 min at 0.1 s for both, 15.1 min with the
# peer at 0.05 s; a slow case's repetitions stop at about 2 s (>= 3 of them) in both.
gb=(--benchmark_min_time=0.1)
lat=()
torch_opts=(--min-time 0.05 --max-time 2)
layer_reps=()
if [ $quick = 1 ]; then
  gb=(--benchmark_repetitions=5 --benchmark_min_time=0.1 --benchmark_min_warmup_time=0.1)
  lat=(--batch 1)
  torch_opts=(--batch 1 --threads 1 --repetitions 3 --min-time 0.05)
  layer_reps=(--layer-reps 30)
fi

runs=()
graph_runs=()  # the runs that are one model: ONNX Runtime times their export (a seed ensemble is several)
peer_runs=()   # the trained runs: f32 weights a torch.nn port loads unchanged (no sparse or int8 files)
plot_runs=()   # the trained classifiers, plotted as confusion matrices
layer_runs=()  # ... and layer by layer, those that are one model
ae_runs=()     # the autoencoders (lstm-ae): no accuracy or latency rows; their beats and reconstructions
for d in models/weights/*/ models/compressed/*/; do
  [ -f "$d/manifest.json" ] || continue
  runs+=("${d%/}")
  if is_ensemble "$d"; then plot_runs+=("${d%/}"); continue; fi
  graph_runs+=("${d%/}")
  [[ "$d" == models/weights/* ]] || continue
  peer_runs+=("${d%/}")
  if is_ae "$d"; then ae_runs+=("${d%/}")
  else plot_runs+=("${d%/}") layer_runs+=("${d%/}"); fi
done
[ ${#runs[@]} -gt 0 ] || { echo "bench.sh: no committed runs under models/ (make train)" >&2; exit 1; }

# ---- the PyTorch peer: the first python3 that has torch
py=; peer_note=
case "${ECG_PEER:-auto}" in
  off|0) peer_note="skipped (ECG_PEER=off)" ;;
  *)
    for p in python3 /usr/bin/python3; do
      if "$p" -c 'import torch' 2>/dev/null; then py=$p; break; fi
    done
    if [ -z "$py" ]; then
      peer_note="skipped: python3-torch is not installed (apt-get install python3-torch python3-numpy)"
      if [ "${ECG_PEER:-auto}" = on ] || [ "${ECG_PEER:-auto}" = 1 ]; then
        echo "bench.sh: ECG_PEER=on but no python3 here imports torch (apt-get install python3-torch python3-numpy)" >&2
        exit 1
      fi
    fi ;;
esac

# ---- estimates: the previous run's step times (same QUICK and data), else defaults per run
times_file=$out/step_times.tsv   # step, quick, data, runs, seconds: the latest of each
prev_time() { # step runs -> seconds scaled to runs, or nothing
  [ -f "$times_file" ] || return 0
  awk -F'\t' -v s="$1" -v q="$quick" -v d="$data_kind" -v n="$2" \
    '$1 == s && $2 == q && $3 == d { t = ($4 > 0 && n > 0) ? $5 * n / $4 : $5 } END { if (t != "") printf "%d", t + 0.5 }' \
    "$times_file"
}
# Without a previous run: a fixed part plus seconds per run, for full timing (the reference 2-core
# Xeon's 13.3-minute make bench with 26 runs, README; the report on the sample took 64 s) or QUICK.
default_time() { # step runs
  local fixed per
  case "$1" in
    bench-op) fixed=$([ $quick = 1 ] && echo 15 || echo 25); per=0 ;;
    latency)  fixed=5; per=$([ $quick = 1 ] && echo 3 || echo 7) ;;
    peer)     fixed=10; per=$([ $quick = 1 ] && echo 3 || echo 19) ;;
    report)   fixed=5; per=$([ $quick = 1 ] && echo 2 || { [ $data_kind = full ] && echo 9 || echo 2; }) ;;
    plots)    fixed=10; per=0 ;;
  esac
  echo $((fixed + per * $2))
}
human() { # seconds -> "45 s" / "3 min"
  if [ "$1" -lt 90 ]; then echo "$1 s"; else echo "$((($1 + 30) / 60)) min"; fi
}

new_times=()
step_secs=()
t_start=$(date +%s)
# run_step N NAME RUNS TITLE FUNCTION: one line for the step; the function's output to its log.
run_step() {
  local n=$1 name=$2 nruns=$3 title=$4 fn=$5 est log t0 rc secs
  est=$(prev_time "$name" "$nruns")
  [ -n "$est" ] || est=$(default_time "$name" "$nruns")
  log=$out/logs/$n-$name.log
  printf '[%d/5] %s, about %s (log %s) ... ' "$n" "$title" "$(human "$est")" "$log"
  t0=$(date +%s)
  set +e
  ( set -e; "$fn" ) > "$log" 2>&1
  rc=$?
  set -e
  secs=$(($(date +%s) - t0))
  if [ $rc -ne 0 ]; then
    echo "FAILED after $secs s (exit $rc); the end of $log:"
    tail -n 30 "$log" | sed 's/^/    /'
    echo "bench.sh: step $n ($name) failed; its whole output is in $log" >&2
    exit 1
  fi
  echo "done in $secs s"
  new_times+=("$(printf '%s\t%s\t%s\t%s\t%s' "$name" "$quick" "$data_kind" "$nruns" "$secs")")
  step_secs+=("$name $secs s")
}

step_bench_op() {
  "$bin" bench-op --out "$out" "${gb[@]}" "${bench_op_args[@]}"
  gnuplot -e "outdir='$out'" reports/bench_op.gp
}
step_latency() {
  "$bin" latency --out "$out" "${lat[@]}" "${gb[@]}"
  rm -f "$out/latency_ort.csv" "$out/layers_ort.csv" "$out/layers_vs_ort.csv" "$out/layers_vs_ort.md"
  case "${ECG_PEER:-auto}/${ECG_ORT:-auto}" in off/*|0/*|*/off|*/0) echo "ONNX Runtime: skipped (ECG_PEER/ECG_ORT off)"; return 0 ;; esac
  local rc=0
  bench/peers/ort_peer.sh "$bin" "$out/latency_ort.csv" "$data" "${torch_opts[@]}" --layers-out "$out/layers_ort.csv" \
    -- "${graph_runs[@]}" || rc=$?
  [ $rc -eq 3 ] && { echo "ONNX Runtime: skipped (above)"; rm -f "$out/latency_ort.csv"; return 0; }
  return $rc
}
step_peer() {
  "$py" bench/peers/check_logits.py --ecgbench "$bin" --weights "${peer_runs[@]}" --data "$data"
  "$py" bench/peers/time_torch.py --ecgbench "$bin" "${peer_runs[@]}" "${torch_opts[@]}" --out "$out/latency_torch.csv"
}
step_report() {
  local latency=(--latency "$out/latency_ecgbench.csv")
  [ -n "$py" ] && latency+=(--latency "$out/latency_torch.csv")
  [ -s "$out/latency_ort.csv" ] && latency+=(--latency "$out/latency_ort.csv")
  "$bin" report --force --out "$out" --data "$data" "${layer_reps[@]}" "${latency[@]}" # make bench redoes its report
  local r
  for r in "${ae_runs[@]}"; do
    "$bin" reconstruct "$r" --data "$data" --out "$out/reconstruction_$(basename "$r").csv"
  done
  # each layer's time beside ONNX Runtime's (its profiler), and where ecgbench loses
  if [ -s "$out/layers_ort.csv" ]; then
    node bench/peers/ort_layers.js "$out/layers.csv" "$out/layers_ort.csv" "$out/latency_ort.csv" \
      --out "$out/layers_vs_ort.csv" --md "$out/layers_vs_ort.md"
  fi
}
step_plots() {
  local ds r name
  for ds in $(tail -n +2 "$out/results.csv" | cut -d, -f1 | sort -u); do
    gnuplot -e "outdir='$out'; dataset='$ds'" reports/accuracy.gp
  done
  gnuplot -e "outdir='$out'" reports/sweep.gp
  gnuplot -e "outdir='$out'; runs='$(for r in "${runs[@]}"; do [ -s "$r/epochs.csv" ] && printf '%s ' "$r"; done)'" \
    reports/training.gp
  for r in "${ae_runs[@]}"; do
    gnuplot -e "outdir='$out'; run='$(basename "$r")'" reports/reconstruction.gp
  done
  for r in "${plot_runs[@]}"; do
    gnuplot -e "outdir='$out'; run='$(basename "$r")'" reports/confusion.gp
  done
  for r in "${layer_runs[@]}"; do
    gnuplot -e "outdir='$out'; run='$(basename "$r")'" reports/layers.gp
  done
}

bench_op_args=("$@")
run_step 1 bench-op 0 "bench-op: depthwise conv1d, XNNPACK padded / unpadded / reference" step_bench_op
run_step 2 latency ${#runs[@]} "latency of ${#runs[@]} runs: XNNPACK through Google Benchmark, and ONNX Runtime" step_latency
if [ -n "$py" ]; then
  run_step 3 peer ${#peer_runs[@]} "PyTorch peer: logits and latency of ${#peer_runs[@]} trained runs" step_peer
else
  echo "[3/5] PyTorch peer $peer_note"
  rm -f "$out/latency_torch.csv"
fi
run_step 4 report ${#runs[@]} "report: ${#runs[@]} runs evaluated on the $data_kind data, CSVs and tables" step_report
run_step 5 plots 0 "plots: gnuplot, PNG and SVG" step_plots
total=$(($(date +%s) - t_start))
# this run's step times replace those of the same step, QUICK and data; the others stay
{ [ -f "$times_file" ] && awk -F'\t' -v q="$quick" -v d="$data_kind" -v now="$(printf '%s ' "${new_times[@]%%$'\t'*}")" \
    'BEGIN { split(now, s, " "); for (i in s) mine[s[i]] = 1 } !($2 == q && $3 == d && $1 in mine)' "$times_file"
  printf '%s\n' "${new_times[@]}"; } > "$times_file.new" && mv "$times_file.new" "$times_file"

# ---- every file the steps must have written
expected=(bench_op.csv bench_op.png bench_op.svg latency_ecgbench.csv latency.csv results.csv results_by_run.csv
          ablation.csv per_class.csv confusion.csv layers.csv sweep.csv tables.md tables.tex run.json training.png training.svg)
[ -n "$py" ] && expected+=(latency_torch.csv)
[ -s "$out/latency_ort.csv" ] && expected+=(latency_ort.csv layers_ort.csv layers_vs_ort.csv layers_vs_ort.md)
for ds in $(tail -n +2 "$out/results.csv" | cut -d, -f1 | sort -u); do
  for k in latency size; do expected+=("accuracy_${k}_$ds.png" "accuracy_${k}_$ds.svg"); done
done
[ "$(wc -l < "$out/sweep.csv")" -gt 1 ] && expected+=(sweep.png sweep.svg)
for r in "${ae_runs[@]}"; do
  name=$(basename "$r")
  expected+=("reconstruction_$name.csv" "reconstruction_$name.png" "reconstruction_$name.svg")
done
for r in "${plot_runs[@]}"; do expected+=("confusion_$(basename "$r").png" "confusion_$(basename "$r").svg"); done
for r in "${layer_runs[@]}"; do expected+=("layers_$(basename "$r").png" "layers_$(basename "$r").svg"); done
missing=()
for f in "${expected[@]}"; do [ -s "$out/$f" ] || missing+=("$f"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench.sh: the steps did not write ${missing[*]} in $out/ (see $out/logs/)" >&2
  exit 1
fi

# ---- summary
list() { # the expected files matching a pattern, space-separated
  local f s=
  for f in "${expected[@]}"; do [[ $f == $1 ]] && s+="$f "; done
  echo "${s% }"
}
echo
echo "== summary"
if [ $data_kind = full ]; then echo "data:    the full data sets in $data/"
else echo "data:    the bundled SAMPLE (datasets/sample): accuracies are not the models' real ones (make data)"; fi
[ -n "$py" ] || echo "peer:    $peer_note"
echo "time:    $(human $total) in all ($(IFS=,; echo "${step_secs[*]}" | sed 's/,/, /g'))"
echo "written: in $out/"
echo "  CSV     $(list '*.csv')"
echo "  tables  tables.md tables.tex$([ -s "$out/layers_vs_ort.md" ] && echo " layers_vs_ort.md"); run facts run.json"
# plots grouped by the name before the first "_": accuracy_* (4), bench_op, confusion_* (18), ...
groups=$(list '*.png' | tr ' ' '\n' | sed 's/\.png$//' | sort |
         awk -F_ '{ n[$1]++; one[$1] = $0 } END { for (k in n) print (n[k] > 1 ? k "_* (" n[k] ")" : one[k]) }' |
         sort | paste -sd, - | sed 's/,/, /g')
echo "  plots   $(list '*.png' | wc -w) PNG + $(list '*.svg' | wc -w) SVG: $groups"
echo "  logs    logs/ (one per step)"
if grep -qs "Library was built as DEBUG" "$out"/logs/*.log; then
  echo "note:    Google Benchmark's \"***WARNING*** Library was built as DEBUG\" in the logs is about Debian's build of"
  echo "         the benchmark harness library (libbenchmark, without NDEBUG); the timed code is ecgbench's own -O2"
  echo "         build, so the timings are not affected by it."
fi
echo
# The headline table: tables.md's first table with its heading and the lines above it that say what it is.
echo "$out/tables.md, first table (the whole file holds the rest):"
awk 'BEGIN { buf = "" }
     /^\|/ { if (!inside) printf "%s", buf; inside = 1; print; next }
     inside { exit }
     /^#/ { buf = $0 "\n"; next }
     { buf = buf $0 "\n" }' "$out/tables.md"
warnings=$(grep -h -E '^([[:alnum:]_./-]+: )?warning:' "$out"/logs/*.log 2>/dev/null | awk '!seen[$0]++' || true)
if [ -n "$warnings" ]; then
  echo
  echo "warnings printed by the steps (their logs are in $out/logs/):"
  printf '%s\n' "$warnings" | sed 's/^/  /'
fi
