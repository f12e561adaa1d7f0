#!/usr/bin/env bash
# Submits a sweep to Slurm (`make train SLURM=1`, `make compress SLURM=1`, `make bench SLURM=1`;
# docs/slurm.md):
#   scripts/slurm/submit.sh train|compress|bench PATH/TO/ecgbench
# train, compress: one array task per run (model x task x seed, or per compressed variant), from
# the list scripts/train.sh / scripts/compress.sh print with LIST=1 (their own tables, their ONLY,
# FORCE, SEEDS, SEED, OUT, SEEDS_OUT, RUNS_FILE); every task writes its own run folder through the
# same script, so a task resumes and checks exactly as a local `make train` does.
# bench: one job per node (BENCH_NODES="a b", default every node sinfo lists), each running
# `make bench` there into its own folder (results.csv, run.json), built for that node.
# Then one job, started when they have all ended (--dependency=afterany), merges: scripts/slurm/merge.sh.
# Everything goes to JOBDIR (default reports/slurm/KIND-DATE-TIME): tasks.tsv (id, run, seed, run
# folder, log), logs/, status/, report/ (or bench/NODE/ and compare.md), summary.txt, failed.tsv.
#   SBATCH=cmd          the sbatch to use (default: sbatch on the PATH)
#   SBATCH_OPTS="..."   options for every job (default --exclusive: a run gets a whole node, as
#                       locally, where it trains on all cores); e.g. "--partition=cpu --time=4:00:00"
#   REPORT_OPTS="..."   extra options of the merge's ecgbench report (e.g. --layer-reps 20)
#   JOBDIR=dir          where the job's files go
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/slurm/common.sh
. "$here/common.sh"

kind=${1:-}; bin=${2:-}
case "$kind" in train|compress|bench) ;; *) slurm_die "usage: scripts/slurm/submit.sh train|compress|bench PATH/TO/ecgbench" ;; esac
[ -n "$bin" ] && [ -x "$bin" ] || slurm_die "$kind: '${bin}' is not an executable ecgbench (run make)"
bin=$(realpath "$bin")
repo=$(cd "$here/../.." && pwd)
cd "$repo"
SBATCH_BIN=$(find_sbatch)
read -r -a sopts <<<"${SBATCH_OPTS---exclusive}"

jobdir=${JOBDIR:-reports/slurm/$kind-$(date +%Y%m%d-%H%M%S)}
if [ -d "$jobdir" ] && [ -n "$(ls -A "$jobdir")" ]; then slurm_die "$jobdir exists and is not empty (JOBDIR=another)"; fi
mkdir -p "$jobdir/logs" "$jobdir/status"
jobdir=$(realpath "$jobdir")
abs() { [ -z "$1" ] || realpath -m "$1"; }

# the tasks: "NAME SEED DIR" lines
case "$kind" in
  train)
    list=$(LIST=1 scripts/train.sh "$bin") || slurm_die "train: scripts/train.sh LIST=1 failed (above)"
    runs_root=$(abs "${OUT:-models/weights}"); seeds_root=$(abs "${SEEDS_OUT:-models/seeds}") ;;
  compress)
    list=$(LIST=1 scripts/compress.sh "$bin") || slurm_die "compress: scripts/compress.sh LIST=1 failed (above)"
    runs_root=$(abs "${OUT:-models/compressed}"); seeds_root=none ;;
  bench)
    nodes=${BENCH_NODES:-$(sinfo -h -N -o %N 2>/dev/null | sort -u | tr '\n' ' ')}
    [ -n "${nodes// /}" ] || slurm_die "bench: no nodes (sinfo listed none; BENCH_NODES=\"a b\" names them)"
    list=$(for n in $nodes; do echo "$n - $jobdir/bench/$n"; done)
    runs_root=; seeds_root= ;;
esac
if [ -z "$list" ]; then
  rm -rf "$jobdir"
  echo "slurm: $kind: nothing to submit (every selected run is finished; FORCE=1 redoes them)"
  exit 0
fi

# the job's record: what the tasks, merge.sh and resubmit.sh read (the environment of a
# resubmission may differ from this one's)
{
  for v in kind bin repo jobdir runs_root seeds_root; do printf '%s=%q\n' "${v^^}" "${!v}"; done
  printf 'SBATCH_OPTS_SAVED=%q\n' "${sopts[*]}"
  for v in FORCE REPORT_OPTS QUICK DATA ECG_DATA_DIR ECG_CACHE_DIR ECG_PEER; do printf '%s=%q\n' "$v" "${!v:-}"; done
  printf 'RUNS_FILE=%q\n' "$(abs "${RUNS_FILE:-}")"
} >"$jobdir/job.env"
printf 'id\tname\tseed\tdir\tlog\n' >"$jobdir/tasks.tsv"
n=0
while read -r name seed dir; do
  [ -n "$name" ] || continue
  if [ "$kind" = bench ]; then log=$jobdir/logs/bench-$name.log; else log=$jobdir/logs/task-$n.log; fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$name" "$seed" "$(abs "$dir")" "$log" >>"$jobdir/tasks.tsv"
  n=$((n + 1))
done <<<"$list"

if [ "$kind" = bench ]; then
  ids=()
  while IFS=$'\t' read -r id name _ _ log; do
    [ "$id" = id ] && continue
    ids+=("$(submit -J "ecgbench-bench-$name" -D "$repo" -w "$name" -o "$log" "${sopts[@]}" --wrap="$(wrap "$here/task.sh" "$jobdir" "$id")")")
  done <"$jobdir/tasks.tsv"
  dep=$(IFS=:; echo "${ids[*]}")
  echo "BENCH_JOBS=${ids[*]}" >>"$jobdir/job.env"
  echo "slurm: bench on $n node(s): jobs ${ids[*]}"
else
  aid=$(submit --array="0-$((n - 1))" -J "ecgbench-$kind" -D "$repo" -o "$jobdir/logs/task-%a.log" "${sopts[@]}" \
          --wrap="$(wrap "$here/task.sh" "$jobdir")")
  dep=$aid
  echo "ARRAY_JOB=$aid" >>"$jobdir/job.env"
  echo "slurm: $kind: array job $aid, $n task(s)"
fi
mid=$(submit --dependency="afterany:$dep" -J "ecgbench-$kind-merge" -D "$repo" -o "$jobdir/logs/merge.log" \
        "${sopts[@]}" --wrap="$(wrap "$here/merge.sh" "$jobdir")")
echo "MERGE_JOB=$mid" >>"$jobdir/job.env"
while IFS=$'\t' read -r id name seed dir log; do
  [ "$id" = id ] && continue
  if [ "$kind" = bench ]; then echo "  node $name -> $dir  (log $log)"
  else echo "  task $id: $name seed $seed -> $dir  (log $log)"; fi
done <"$jobdir/tasks.tsv"
echo "slurm: merge job $mid runs when they have ended -> $jobdir/summary.txt (log $jobdir/logs/merge.log)"
echo "slurm: a failed task again: scripts/slurm/resubmit.sh $jobdir TASKID"
echo "JOBDIR=$jobdir"
