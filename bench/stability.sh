#!/usr/bin/env bash
# Latency stability: two back-to-back runs of `ecgbench latency` at `make bench QUICK=1`'s settings
# (batch 1, 1 thread, a 0.1 s warm-up, then 5 repetitions of >= 0.1 s) over every committed run, and each run's median
# compared between the two. Exits 1 when any pair differs by more than TOL percent (default 15),
# so a machine too noisy to benchmark on says so before its numbers are trusted.
#   bench/stability.sh [PATH/TO/ecgbench]     (`make bench-stability`)
#   TOL=10 OUT=DIR                            tolerance in percent; where both CSVs and the table go
set -euo pipefail
bin=${1:-build/release/ecgbench}
tol=${TOL:-15}
out=${OUT:-reports/out/stability}
[ -x "$bin" ] || { echo "stability.sh: $bin not built (run make)" >&2; exit 2; }
mkdir -p "$out/a" "$out/b"
for k in a b; do
  echo "== latency run $k (batch 1, 1 thread)"
  "$bin" latency --out "$out/$k" --batch 1 --threads 1 --benchmark_repetitions=5 --benchmark_min_time=0.1 --benchmark_min_warmup_time=0.1 > "$out/$k/latency.log" 2>&1 || { cat "$out/$k/latency.log" >&2; exit 2; }
done
# Join on the run name (column 1); median_us is column 8 in latency_ecgbench.csv (checked by name).
awk -F, -v tol="$tol" -v table="$out/stability.csv" '
  FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i
             if (!("median_us" in col) || !("run" in col)) { print "stability.sh: no run/median_us column in " FILENAME > "/dev/stderr"; exit 2 }
             next }
  NR == FNR { a[$col["run"]] = $col["median_us"]; next }
  { run = $col["run"]; if (!(run in a)) next
    d = 100 * ($col["median_us"] - a[run]) / a[run]; ad = d < 0 ? -d : d
    if (ad > worst) worst = ad
    bad += ad > tol; n++
    printf "%s,%s,%s,%.2f\n", run, a[run], $col["median_us"], d > table
    printf "  %-50s %10.1f us %10.1f us %+6.1f%%%s\n", run, a[run], $col["median_us"], d, (ad > tol ? "  UNSTABLE" : "") }
  BEGIN { print "run,median_us_a,median_us_b,diff_pct" > table }
  END { if (!n) { print "stability.sh: no run in both files" > "/dev/stderr"; exit 2 }
        printf "%d runs, largest difference %.1f%% (tolerance %s%%)\n", n, worst, tol
        exit bad ? 1 : 0 }
' "$out/a/latency_ecgbench.csv" "$out/b/latency_ecgbench.csv"
