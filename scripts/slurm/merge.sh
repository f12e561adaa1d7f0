#!/usr/bin/env bash
# The last job of a sweep (scripts/slurm/submit.sh), run once every task has ended, whatever its
# exit (--dependency=afterany); also by hand: scripts/slurm/merge.sh JOBDIR.
#   train, compress: `ecgbench report` over the sweep's run folders (every run under the OUT root,
#                    the further seeds beside it) into JOBDIR/report, over an earlier merge's
#                    (--force: a resubmitted task's merge runs again into the same folder)
#   bench:           `ecgbench compare` of the first node's results.csv with every other node's,
#                    into JOBDIR/compare.md
# It writes JOBDIR/failed.tsv (id, name, seed, exit, log: a task with no status never finished)
# and JOBDIR/summary.txt (also printed), then JOBDIR/merged (its own exit code) last: 0 when every
# task and the report succeeded, else 1.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/slurm/common.sh
. "$here/common.sh"
jobdir=${1:-}
[ -n "$jobdir" ] || slurm_die "usage: scripts/slurm/merge.sh JOBDIR"
load_job "$jobdir"
cd "$REPO" || slurm_die "merge: cannot enter $REPO"
rm -f "$JOBDIR/merged"
[ -n "$ECG_DATA_DIR" ] && export ECG_DATA_DIR
[ -n "$ECG_CACHE_DIR" ] && export ECG_CACHE_DIR

ok=0; failed=0; total=0; ok_dirs=(); fail_lines=()
printf 'id\tname\tseed\texit\tlog\n' >"$JOBDIR/failed.tsv.tmp"
while IFS=$'\t' read -r id name seed dir log; do
  [ "$id" = id ] && continue
  total=$((total + 1))
  st=$(cat "$JOBDIR/status/$id" 2>/dev/null || true)
  if [ "$st" = 0 ]; then ok=$((ok + 1)); ok_dirs+=("$dir"); continue; fi
  failed=$((failed + 1))
  why="exit ${st}"; [ -n "$st" ] || { st=none; why="no status: killed, cancelled or out of time"; }
  printf '%s\t%s\t%s\t%s\t%s\n' "$id" "$name" "$seed" "$st" "$log" >>"$JOBDIR/failed.tsv.tmp"
  if [ "$KIND" = bench ]; then fail_lines+=("  task $id: node $name ($why), log $log")
  else fail_lines+=("  task $id: $name seed $seed ($why), log $log"); fi
done <"$JOBDIR/tasks.tsv"
mv "$JOBDIR/failed.tsv.tmp" "$JOBDIR/failed.tsv"

merged_rc=0
case "$KIND" in
  train|compress)
    report_log=$JOBDIR/logs/report.log
    # shellcheck disable=SC2086  # REPORT_OPTS is a list of options
    if "$BIN" report --force --runs "$RUNS_ROOT" --seeds "$SEEDS_ROOT" --out "$JOBDIR/report" ${DATA:+--data "$DATA"} $REPORT_OPTS \
         >"$report_log" 2>&1; then
      what="report: $JOBDIR/report/results.csv, tables.md ($(($(wc -l <"$JOBDIR/report/results.csv") - 1)) rows; log $report_log)"
    else
      merged_rc=1
      what="report: ecgbench report FAILED, see $report_log"
      tail -n 20 "$report_log"
    fi ;;
  bench)
    : >"$JOBDIR/compare.md"
    first=
    for d in "${ok_dirs[@]}"; do
      [ -s "$d/results.csv" ] || continue
      if [ -z "$first" ]; then first=$d; continue; fi
      { echo "## $(basename "$first") vs $(basename "$d")"; echo
        "$BIN" compare "$first/results.csv" "$d/results.csv"; echo; } >>"$JOBDIR/compare.md" 2>&1 || merged_rc=1
    done
    if [ -z "$first" ]; then merged_rc=1; what="compare: no node wrote a results.csv"
    elif [ ! -s "$JOBDIR/compare.md" ]; then what="compare: one node only ($first/results.csv), nothing to compare"
    else what="compare: $JOBDIR/compare.md"; fi ;;
esac
[ "$failed" -eq 0 ] || merged_rc=1

{
  echo "slurm $KIND sweep in $JOBDIR: $total task(s), $ok ok, $failed failed"
  echo "$what"
  if [ "$failed" -gt 0 ]; then
    echo "failed tasks (again, alone: scripts/slurm/resubmit.sh $JOBDIR ID...):"
    printf '%s\n' "${fail_lines[@]}"
  fi
} | tee "$JOBDIR/summary.txt"
echo "$merged_rc" >"$JOBDIR/merged.tmp" && mv "$JOBDIR/merged.tmp" "$JOBDIR/merged"
exit "$merged_rc"
