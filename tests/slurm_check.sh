#!/usr/bin/env bash
# A training sweep as a Slurm job array on a one-node cluster started here (scripts/slurm/
# local_cluster.sh): 2 one-epoch runs x 2 seeds on the bundled sample, and a third run x 2 seeds
# whose --data folder does not exist yet, so its 2 tasks fail. Checks: the merged report holds
# every task that succeeded (run and seed, read from the job's own task list), the failed tasks
# are listed with their logs (which hold the error), one of them resubmitted alone (after its data
# appears) joins the report while the other stays listed, and no daemon or job outlives the stop.
# Skipped (counted so) when Slurm or munge is not installed. Every wait has a time limit.
# Usage: tests/slurm_check.sh [PATH/TO/release/ecgbench]   (default: $ECGBENCH_RELEASE)
set -uo pipefail
bin=${1:-${ECGBENCH_RELEASE:-}}
[ -n "$bin" ] && [ -x "$bin" ] || { echo "usage: tests/slurm_check.sh PATH/TO/ecgbench" >&2; exit 2; }
bin=$(realpath "$bin")
cd "$(dirname "$0")/.."
for tool in sbatch squeue slurmctld slurmd munged; do
  if ! command -v "$tool" >/dev/null; then
    echo "  skip    slurm_check: $tool is not installed (apt-get install slurm-wlm munge runs this check)"
    echo "RESULT 0 passed, 0 failed, 1 skipped"
    exit 0
  fi
done

tmp=$(mktemp -d /tmp/ecgbench_slurmcheck_XXXXXX)
cluster=$tmp/cluster
cleanup() {
  [ -z "$cluster" ] || scripts/slurm/local_cluster.sh stop "$cluster" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
passed=0; failed=0
check() { if eval "$2"; then echo "  ok      $1"; passed=$((passed + 1)); else echo "  not ok  $1"; failed=$((failed + 1)); fi; }
finish() { echo "RESULT $passed passed, $failed failed, 0 skipped"; [ $failed -eq 0 ]; exit; }
# wait_file FILE SECONDS: 0 once FILE exists, 1 after SECONDS
wait_file() {
  local n
  for ((n = 0; n < $2 * 2; n++)); do [ -f "$1" ] && return 0; sleep 0.5; done
  echo "    (no $1 after $2 s; the queue:)"; timeout 10 squeue 2>&1 | sed 's/^/    /'
  return 1
}

scripts/slurm/local_cluster.sh start "$cluster" >"$tmp/start.out" 2>"$tmp/start.err"
check "a one-node cluster starts (munged, slurmctld, slurmd)" '[ $? -eq 0 ] || { cat "$tmp/start.err"; false; }'
[ $failed -eq 0 ] || finish
export SLURM_CONF=$cluster/slurm.conf

# the sweep: the runs table is a file here (RUNS_FILE), the sweep's list comes from scripts/train.sh
cat >"$tmp/runs" <<EOF
lstm            mitdb-aami       --epochs 1 --threads 1
efficientecg-s  mitdb-aami       --epochs 1 --threads 1
lstm            mitdb-aami-intra --epochs 1 --threads 1 --data $tmp/later
EOF
job=$tmp/job
export ECG_DATA_DIR=$PWD/datasets/sample ECG_CACHE_DIR=$tmp/cache
RUNS_FILE=$tmp/runs OUT=$tmp/weights SEEDS_OUT=$tmp/seeds SEEDS=2 SBATCH_OPTS= JOBDIR=$job \
  REPORT_OPTS="--layer-reps 20" timeout 60 scripts/slurm/submit.sh train "$bin" >"$tmp/submit.out" 2>&1
check "the sweep is submitted" '[ $? -eq 0 ] || { cat "$tmp/submit.out"; false; }'
check "6 tasks (3 runs x 2 seeds), each printed with its run folder and log" \
  '[ "$(grep -c "^  task [0-9]*: .* -> $tmp/.*(log $job/logs/task-[0-9]*.log)" "$tmp/submit.out")" -eq 6 ]'
bad=lstm-mitdb-aami-intra
# the tasks that must succeed, as the job's task list names them: "RUN SEED"
awk -F'\t' -v bad=$bad 'NR > 1 && $2 != bad { print $2, $3 }' "$job/tasks.tsv" | sort >"$tmp/want_ok"
awk -F'\t' -v bad=$bad 'NR > 1 && $2 == bad { print $1 }' "$job/tasks.tsv" >"$tmp/bad_ids"
check "4 of them should succeed and 2 fail" '[ "$(wc -l <"$tmp/want_ok")" -eq 4 ] && [ "$(wc -l <"$tmp/bad_ids")" -eq 2 ]'

# report_rows: "RUN SEED" of every results.csv row
report_rows() {
  python3 -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1])): print(r["run"], r["seed"] or 1)' "$job/report/results.csv" | sort
}
wait_file "$job/merged" 150
check "the merge job ran after the array (within 150 s)" '[ -f "$job/merged" ]'
check "the merged report holds every task that succeeded, each once" 'report_rows | diff - "$tmp/want_ok"'
check "the merge reports the failures (exit 1)" '[ "$(cat "$job/merged" 2>/dev/null)" = 1 ]'
check "the summary counts them" 'grep -q "6 task(s), 4 ok, 2 failed" "$job/summary.txt"'
for id in $(cat "$tmp/bad_ids"); do
  log=$job/logs/task-$id.log
  check "failed task $id is listed with its log, and the log holds the error" \
    'grep -qF "task $id: $bad seed" "$job/summary.txt" && grep -qF "log $log" "$job/summary.txt" && grep -q "cannot read $tmp/later" "$log"'
done
check "failed.tsv lists exactly the failed tasks" '[ "$(tail -n +2 "$job/failed.tsv" | cut -f1 | sort | paste -sd" ")" = "$(sort "$tmp/bad_ids" | paste -sd" ")" ]'

# one failed task again, alone, once its data is there
first=$(head -n 1 "$tmp/bad_ids"); second=$(tail -n 1 "$tmp/bad_ids")
ln -s "$PWD/datasets/sample" "$tmp/later"
timeout 60 scripts/slurm/resubmit.sh "$job" "$first" >"$tmp/resubmit.out" 2>&1
check "task $first is resubmitted alone" '[ $? -eq 0 ] || { cat "$tmp/resubmit.out"; false; }'
wait_file "$job/merged" 150
seed_first=$(awk -F'\t' -v id="$first" 'NR > 1 && $1 == id { print $3 }' "$job/tasks.tsv")
{ cat "$tmp/want_ok"; echo "$bad $seed_first"; } | sort >"$tmp/want_ok2"
check "after it, the report holds it too" 'report_rows | diff - "$tmp/want_ok2"'
check "and only task $second is still listed as failed" \
  'grep -q "6 task(s), 5 ok, 1 failed" "$job/summary.txt" && grep -qF "task $second: $bad" "$job/summary.txt" && ! grep -qF "task $first:" "$job/summary.txt"'

# stop: no daemon and no job of this cluster is left
pids=$(cat "$cluster"/*.pid 2>/dev/null)
scripts/slurm/local_cluster.sh stop "$cluster" >"$tmp/stop.out" 2>&1
check "the cluster stops" '[ $? -eq 0 ] && [ ! -e "$cluster" ] || { cat "$tmp/stop.out"; false; }'
left=
for p in $pids; do kill -0 "$p" 2>/dev/null && left+="$p "; done
for f in /proc/[0-9]*/environ; do
  p=${f#/proc/}; p=${p%/environ}
  [ "$p" != $$ ] && [[ " $left" != *" $p "* ]] && tr '\0' '\n' 2>/dev/null <"$f" | grep -xF "SLURM_CONF=$cluster/slurm.conf" >/dev/null &&
    [ "$(awk '{ print $4 }' /proc/"$p"/stat 2>/dev/null)" != $$ ] && left+="$p "
done
check "no daemon or job outlives it (3 daemons were running)" '[ "$(echo $pids | wc -w)" -eq 3 ] && [ -z "$left" ] || { echo "    left: $left"; false; }'
cluster=
finish
