#!/usr/bin/env bash
# One task of a sweep submitted by scripts/slurm/submit.sh, run by Slurm on a node:
#   scripts/slurm/task.sh JOBDIR [ID]     (ID: default $SLURM_ARRAY_TASK_ID)
# Runs the task's line of JOBDIR/tasks.tsv through the local script (scripts/train.sh or
# scripts/compress.sh with ONLY=that run and SEED=its seed; `make bench` for a node), so a task
# trains, resumes and checks exactly as `make train` does. Its exit code goes to JOBDIR/status/ID
# (written last, through a rename): no status file means the task never finished (killed,
# cancelled, out of time), which merge.sh reports as a failure too.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/slurm/common.sh
. "$here/common.sh"
jobdir=${1:-}
[ -n "$jobdir" ] || slurm_die "usage: scripts/slurm/task.sh JOBDIR [ID]"
load_job "$jobdir"
id=${2:-${SLURM_ARRAY_TASK_ID:-}}
[[ "$id" =~ ^[0-9]+$ ]] || slurm_die "task: no task id (neither an argument nor SLURM_ARRAY_TASK_ID)"
IFS=$'\t' read -r _ name seed dir log < <(awk -F'\t' -v id="$id" 'NR > 1 && $1 == id' "$JOBDIR/tasks.tsv")
[ -n "${name:-}" ] || slurm_die "task: no task $id in $JOBDIR/tasks.tsv"
rm -f "$JOBDIR/status/$id"
cd "$REPO" || slurm_die "task: cannot enter $REPO"
echo "slurm task $id (job ${SLURM_JOB_ID:-?}, array ${SLURM_ARRAY_JOB_ID:-none}) on $(hostname -s) at $(date -u +%FT%TZ):" \
     "$KIND $name seed $seed -> $dir"
# the submission's settings, not whatever environment Slurm passed on
export FORCE QUICK DATA ECG_DATA_DIR ECG_CACHE_DIR ECG_PEER RUNS_FILE
[ -n "$ECG_DATA_DIR" ] || unset ECG_DATA_DIR
[ -n "$ECG_CACHE_DIR" ] || unset ECG_CACHE_DIR
# the run's name as an exact regular expression for ONLY
only="^$(printf '%s' "$name" | sed 's/[][\.*^$+?(){}|/]/\\&/g')\$"
case "$KIND" in
  train)    OUT=$RUNS_ROOT SEEDS_OUT=$SEEDS_ROOT ONLY=$only SEED=$seed SEEDS=1 scripts/train.sh "$BIN" ;;
  compress) OUT=$RUNS_ROOT ONLY=$only scripts/compress.sh "$BIN" ;;
  # built on the node, for its CPU (-march=native), into a build folder of its own
  # (not the submitting make's flags: its SLURM=1 would submit again)
  bench)    mkdir -p "$dir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL OUT="$dir" \
              make bench SLURM= BUILD="build/slurm-$name" QUICK="$QUICK" DATA="$DATA" ;;
  *)        echo "task: unknown kind '$KIND' in $JOBDIR/job.env" >&2; false ;;
esac
rc=$?
echo "slurm task $id: exit $rc at $(date -u +%FT%TZ)"
echo "$rc" >"$JOBDIR/status/$id.tmp" && mv "$JOBDIR/status/$id.tmp" "$JOBDIR/status/$id"
exit "$rc"
