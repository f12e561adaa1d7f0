# Sourced by the scripts in scripts/slurm/: the sbatch to use and small helpers (docs/slurm.md).

slurm_die() { echo "slurm: $*" >&2; exit 1; }

# find_sbatch: $SBATCH when named (a path or a command), else sbatch on the PATH
find_sbatch() {
  local s=${SBATCH:-sbatch}
  command -v "$s" >/dev/null || slurm_die "no sbatch: '$s' is not on the PATH (install Slurm's client, or SBATCH=/path/to/sbatch)"
  command -v "$s"
}

# submit ARGS...: sbatch --parsable ARGS, prints the job id (the part before any ";cluster")
submit() {
  local out
  out=$("$SBATCH_BIN" --parsable "$@") || slurm_die "sbatch $* failed"
  out=${out%%;*}
  [[ "$out" =~ ^[0-9]+$ ]] || slurm_die "sbatch printed '$out', not a job id"
  echo "$out"
}

# wrap CMD ARGS...: the command line for sbatch --wrap (sbatch runs a copy of a batch script from
# its spool folder, where the script would not find its neighbours; --wrap runs the real file)
wrap() { printf 'exec'; printf ' %q' "$@"; }

# load_job JOBDIR: the variables submit.sh saved (KIND, BIN, REPO, RUNS_ROOT, SEEDS_ROOT, ...)
load_job() {
  [ -f "$1/job.env" ] && [ -f "$1/tasks.tsv" ] || slurm_die "$1 is not a job folder of scripts/slurm/submit.sh (no job.env, tasks.tsv)"
  # shellcheck disable=SC1091
  . "$1/job.env"
}
