#!/usr/bin/env bash
# Submits tasks of a sweep again, alone, and a new merge job after them (docs/slurm.md):
#   scripts/slurm/resubmit.sh JOBDIR ID...      (the ids: JOBDIR/failed.tsv, or JOBDIR/tasks.tsv)
# The tasks run with the submission's settings (JOBDIR/job.env); a training task resumes from its
# checkpoint unless the sweep was submitted with FORCE=1. SBATCH and SBATCH_OPTS as for submit.sh
# (default: the submission's options).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/slurm/common.sh
. "$here/common.sh"
[ $# -ge 2 ] || slurm_die "usage: scripts/slurm/resubmit.sh JOBDIR ID..."
jobdir=$(realpath "$1"); shift
load_job "$jobdir"
SBATCH_BIN=$(find_sbatch)
read -r -a sopts <<<"${SBATCH_OPTS-$SBATCH_OPTS_SAVED}"
for id in "$@"; do
  [[ "$id" =~ ^[0-9]+$ ]] && awk -F'\t' -v id="$id" 'NR > 1 && $1 == id { f = 1 } END { exit !f }' "$JOBDIR/tasks.tsv" ||
    slurm_die "no task '$id' in $JOBDIR/tasks.tsv"
done
rm -f "$JOBDIR/merged"
for id in "$@"; do rm -f "$JOBDIR/status/$id"; done
if [ "$KIND" = bench ]; then
  ids=()
  for id in "$@"; do
    IFS=$'\t' read -r _ name _ _ log < <(awk -F'\t' -v id="$id" 'NR > 1 && $1 == id' "$JOBDIR/tasks.tsv")
    ids+=("$(submit -J "ecgbench-bench-$name" -D "$REPO" -w "$name" -o "$log" "${sopts[@]}" --wrap="$(wrap "$here/task.sh" "$JOBDIR" "$id")")")
  done
  dep=$(IFS=:; echo "${ids[*]}")
  echo "slurm: bench tasks $* again: jobs ${ids[*]}"
else
  # the array indices keep their logs (task-ID.log, appended to)
  dep=$(submit --array="$(IFS=,; echo "$*")" -J "ecgbench-$KIND" -D "$REPO" -o "$JOBDIR/logs/task-%a.log" --open-mode=append \
          "${sopts[@]}" --wrap="$(wrap "$here/task.sh" "$JOBDIR")")
  echo "slurm: $KIND tasks $* again: array job $dep"
fi
mid=$(submit --dependency="afterany:$dep" -J "ecgbench-$KIND-merge" -D "$REPO" -o "$JOBDIR/logs/merge.log" --open-mode=append \
        "${sopts[@]}" --wrap="$(wrap "$here/merge.sh" "$JOBDIR")")
echo "RESUBMITTED=\"$* -> $dep, merge $mid\"" >>"$JOBDIR/job.env"
echo "slurm: merge job $mid -> $JOBDIR/summary.txt"
