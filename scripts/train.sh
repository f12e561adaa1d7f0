#!/usr/bin/env bash
# `make train`: regenerates the committed weights, models/weights/MODEL-TASK/{weights.safetensors,
# manifest.json,epochs.csv}, from the full data (`make data`) with the recipes below.
#   ONLY=regex    only the runs whose "MODEL-TASK" matches (e.g. ONLY=efficientecg-s-mitdb)
#   FORCE=1       retrain runs that already have a manifest (default: skip them)
#   SEEDS=N       also train seeds 2..N of every run (default 1: seed 1 only), the same recipe with
#                 --seed K, into models/seeds/MODEL-TASK/seedK/ (`ecgbench report` shows mean +- sd)
#   OUT=dir, SEEDS_OUT=dir   where seed 1 and the further seeds go (models/weights, models/seeds)
#   SEED=K        train only seed K (1..SEEDS) of each run (one Slurm array task, scripts/slurm/)
#   LIST=1        train nothing: print the runs this call would train, one "NAME SEED DIR" a line
#                 (finished ones left out unless FORCE=1); the Slurm path (make train SLURM=1)
#                 builds its job array from this list, so RUNS below is the only table
#   RUNS_FILE=f   read the MODEL TASK OPTIONS table from f instead of RUNS below (tests)
# A killed run resumes from its checkpoint on the next call. Runs go one after another, each on
# all cores (training is data-parallel inside a run).
# After each run its folder gets weights.sha256 (sha256sum's format). When a committed one is
# there and the weights are retrained (FORCE=1), the new weights are checked against it: a
# mismatch is named and the script exits 1 at the end. Float sums depend on the CPU (vector
# width, FMA) and on the thread count, so a retrain reproduces the bytes only on the same kind of
# machine with the same threads.
set -euo pipefail

ECGBENCH=${1:-build/release/ecgbench}
OUT=${OUT:-models/weights}
ONLY=${ONLY:-}
FORCE=${FORCE:-}
SEEDS=${SEEDS:-1}
SEEDS_OUT=${SEEDS_OUT:-models/seeds}
SEED=${SEED:-}
LIST=${LIST:-}
[[ "$SEEDS" =~ ^[1-9][0-9]*$ ]] || { echo "train: SEEDS must be a whole number >= 1, not '$SEEDS'" >&2; exit 2; }
[[ -z "$SEED" || "$SEED" =~ ^[1-9][0-9]*$ ]] || { echo "train: SEED must be a whole number >= 1, not '$SEED'" >&2; exit 2; }
[[ -z "$SEED" || "$SEED" -le "$SEEDS" ]] || SEEDS=$SEED

# MODEL TASK OPTIONS: one run per line. A run with a selection log (models/weights/RUN/selection.csv,
# `make select`) was chosen blind on validation data and must keep the recipe chosen there (checked
# below): efficientecg-fusion-rr (inverse class weights capped at 64x N's, the best of three on
# DS1's validation records), fusion-rr on mitdb-aami-template (on the beat and the beat minus its
# record's median beat; since round 8 chosen by five-fold cross-validation over DS1's records:
# modality dropout of the ECG tokens with square-root class weights), fusion-rhythm on
# mitdb-aami-template (fusion-rr's earlier template recipe with a token on the rhythm's
# irregularity; lost to fusion-rr on the mean validation figure, kept as a row), fusion-rr on
# mitdb-aami-2lead-template (the template recipe with the record's second lead beside MLII; round 12),
# crnn, efficientecg-s and resnet1d-18 on cinc2017, and efficientecg-s on mitdb-aami,
# mitdb-aami-template and mitdb-aami-2lead (rounds 13-15, by the same five folds: fusion-rr's
# template recipe less the ECG dropout), and lstm on mitdb-aami (round 16: its earlier recipe kept
# over round 13's winner). The other recipes predate that protocol.
# mitdb-aami is inter-patient (train/val from DS1, test = DS2); N is 89% of its beats, so an
# unweighted loss is the default there. The fusion ablation (efficientecg-fusion, -none, -agesex,
# -rr, -pwave, -ae) shares fusion-rr's blind recipe, so its rows differ by their inputs alone;
# -ae holds lstm-ae's encoder frozen, taken from the lstm-ae run of the same seed (an option
# @RUN names that run's folder for the seed being trained, so its row comes after lstm-ae's;
# a Slurm sweep runs its tasks side by side, so train lstm-ae there first: ONLY=lstm-ae).
# fusion-b0 and the LSTMs (which read 12-sample frames, see models/lstm.c) keep square-root class
# weights capped at 1.5x N's (the fusion-rr recipe before the blind choice). On cinc2017 (9000-sample records) the CNNs' epochs
# are long on 2 cores, hence their short schedules; the larger ones and crnn train on random 10 s
# windows (--crop 3000, a third of the cost per example) and are validated and tested on whole
# records. mitdb-aami-2lead (issue 23: MLII plus the record's other lead, x [252, 2]) took the
# one-lead recipe of efficientecg-fusion as it was then (the earlier one, so its one-lead row now
# differs in recipe too until the two-lead run is redone); efficientecg-s's is round 15's.
# The ablation's second-lead row is efficientecg-fusion-none on mitdb-aami-2lead, on the ablation's recipe.
# Its "all useful" row, efficientecg-fusion-all, takes every input that passed the README's declared
# rule (every one: the second lead too), so it trains on mitdb-aami-2lead with a two-lead lstm-ae's
# encoder of the same seed.
RUNS=$(cat <<'EOF'
efficientecg-s           mitdb-aami --epochs 12 --patience 4 --lr 3e-4 --class-weights sqrt
efficientecg-fusion      mitdb-aami --epochs 12 --patience 4 --class-weights inverse --class-weight-cap 64
efficientecg-fusion-none mitdb-aami --epochs 12 --patience 4 --class-weights inverse --class-weight-cap 64
efficientecg-fusion-agesex mitdb-aami --epochs 12 --patience 4 --class-weights inverse --class-weight-cap 64
efficientecg-fusion-rr   mitdb-aami --epochs 12 --patience 4 --class-weights inverse --class-weight-cap 64
efficientecg-fusion-rr   mitdb-aami-template --epochs 12 --patience 4 --lr 3e-4 --class-weights sqrt --ecg-drop 0.5
efficientecg-fusion-rr   mitdb-aami-2lead-template --epochs 12 --patience 4 --lr 3e-4 --class-weights sqrt --ecg-drop 0.5
efficientecg-fusion-rhythm mitdb-aami-template --epochs 12 --patience 4 --lr 3e-4 --class-weights inverse --class-weight-cap 64
efficientecg-s           mitdb-aami-template --epochs 12 --patience 4 --lr 3e-4 --class-weights sqrt
efficientecg-fusion-pwave mitdb-aami --epochs 12 --patience 4 --class-weights inverse --class-weight-cap 64
lstm                     mitdb-aami --epochs 12 --patience 4 --class-weights sqrt --class-weight-cap 1.5
bilstm                   mitdb-aami --epochs 12 --patience 4 --class-weights sqrt --class-weight-cap 1.5
resnet1d                 mitdb-aami --epochs 4 --patience 2 --class-weights none
resnet1d-18              mitdb-aami --epochs 4 --patience 2 --class-weights none
efficientecg-b0          mitdb-aami --epochs 4 --patience 2 --class-weights none
efficientecg-fusion-b0   mitdb-aami --epochs 4 --patience 2 --class-weights sqrt --class-weight-cap 1.5
efficientecg-s           mitdb-aami-intra --epochs 4 --patience 2 --class-weights none
efficientecg-s           mitdb-aami-2lead --epochs 12 --patience 4 --lr 3e-4 --class-weights sqrt
efficientecg-fusion      mitdb-aami-2lead --epochs 6 --patience 3 --class-weights sqrt --class-weight-cap 1.5
efficientecg-fusion-none mitdb-aami-2lead --epochs 12 --patience 4 --class-weights inverse --class-weight-cap 64
lstm-ae                  mitdb-aami --epochs 30 --patience 5
efficientecg-fusion-ae   mitdb-aami --epochs 12 --patience 4 --class-weights inverse --class-weight-cap 64 --init-from @lstm-ae-mitdb-aami
lstm-ae                  mitdb-aami-2lead --epochs 30 --patience 5
efficientecg-fusion-all  mitdb-aami-2lead --epochs 12 --patience 4 --class-weights inverse --class-weight-cap 64 --init-from @lstm-ae-mitdb-aami-2lead
efficientecg-s           cinc2017   --epochs 20 --patience 20 --class-weights sqrt --batch 32
efficientecg-b0          cinc2017   --epochs 6 --patience 3 --class-weights sqrt --batch 32 --crop 3000
resnet1d                 cinc2017   --epochs 5 --patience 2 --class-weights sqrt --batch 32 --crop 3000
resnet1d-18              cinc2017   --epochs 12 --patience 12 --class-weights sqrt --batch 32 --crop 3000
lstm                     cinc2017   --epochs 10 --patience 4 --class-weights sqrt --batch 32
bilstm                   cinc2017   --epochs 10 --patience 4 --class-weights sqrt --batch 32
crnn                     cinc2017   --epochs 20 --patience 5 --class-weights sqrt --batch 32 --crop 3000
EOF
)
if [ -n "${RUNS_FILE:-}" ]; then
  [ -r "$RUNS_FILE" ] || { echo "train: RUNS_FILE $RUNS_FILE cannot be read" >&2; exit 2; }
  RUNS=$(grep -v '^[[:space:]]*#' "$RUNS_FILE")
fi

[ -x "$ECGBENCH" ] || { echo "train: $ECGBENCH not built (run make)" >&2; exit 1; }
n=0
mismatched=()
# train_one NAME DIR SEED OPTS...: one run of one seed, resumed or skipped as the flags say.
train_one() {
  local name=$1 dir=$2 seed=$3; shift 3
  local label=$name
  [ "$seed" = 1 ] || label="$name seed $seed"
  [ -z "$SEED" ] || [ "$seed" = "$SEED" ] || return 0
  if [ -n "$LIST" ]; then
    [ -f "$dir/manifest.json" ] && [ -z "$FORCE" ] || echo "$name $seed $dir"
    return 0
  fi
  if [ -f "$dir/manifest.json" ] && [ -z "$FORCE" ]; then
    echo "train: $label: $dir/manifest.json exists, skipped (FORCE=1 retrains)"
    # a run trained before checksums were written gets one
    if [ ! -f "$dir/weights.sha256" ] && [ -f "$dir/weights.safetensors" ]; then
      (cd "$dir" && sha256sum weights.safetensors >weights.sha256)
    fi
    return 0
  fi
  local resume=()
  if [ -f "$dir/last_optim.safetensors" ] && [ -z "$FORCE" ]; then resume=(--resume); fi
  [ -n "$FORCE" ] && rm -f "$dir"/{manifest.json,epochs.csv,last.safetensors,last_optim.safetensors,best.safetensors}
  local seed_opt=() opts=() o
  [ "$seed" = 1 ] || seed_opt=(--seed "$seed")
  for o in "$@"; do # @RUN: that run's folder for this seed
    if [[ "$o" == @* ]]; then
      if [ "$seed" = 1 ]; then o="$OUT/${o#@}"; else o="$SEEDS_OUT/${o#@}/seed$seed"; fi
    fi
    opts+=("$o")
  done
  echo "train: $label (${opts[*]}${resume:+, resuming})"
  "$ECGBENCH" train "$model" --task "$task" --out "$dir" "${opts[@]}" "${seed_opt[@]}" "${resume[@]}"
  # the committed checksum (if any) before it is rewritten: do the new weights reproduce it?
  if [ -f "$dir/weights.sha256" ]; then
    if (cd "$dir" && sha256sum --quiet -c weights.sha256 >/dev/null 2>&1); then
      echo "train: $label: the retrained weights reproduce the committed weights.sha256"
    else
      echo "train: $label: the retrained weights DIFFER from the committed weights.sha256" \
           "(another CPU or thread count changes float sums; see git diff $dir)" >&2
      mismatched+=("$label")
    fi
  fi
  (cd "$dir" && sha256sum weights.safetensors >weights.sha256)
  n=$((n + 1))
}

while read -r model task opts; do
  [ -n "$model" ] || continue
  name="$model-$task"
  [[ -z "$ONLY" || "$name" =~ $ONLY ]] || continue
  # A run chosen blind (make select) must be retrained with the recipe its selection log chose.
  if [ -f "$OUT/$name/selection.csv" ]; then
    chosen=$("$ECGBENCH" select --chosen "$OUT/$name/selection.csv")
    if [ "$(echo $chosen)" != "$(echo $opts)" ]; then
      echo "train: $name: the recipe here ($opts) is not the one its selection log chose ($chosen);" \
           "update scripts/train.sh" >&2
      exit 1
    fi
  fi
  # shellcheck disable=SC2086  # opts is a list of options
  train_one "$name" "$OUT/$name" 1 $opts
  for ((s = 2; s <= SEEDS; s++)); do
    [ -n "$LIST" ] || mkdir -p "$SEEDS_OUT/$name/seed$s"
    # shellcheck disable=SC2086
    train_one "$name" "$SEEDS_OUT/$name/seed$s" "$s" $opts
  done
done <<<"$RUNS"
[ -z "$LIST" ] || exit 0
echo "train: $n run(s) done"
if [ ${#mismatched[@]} -gt 0 ]; then
  echo "train: ${#mismatched[@]} retrained run(s) do not reproduce their committed weights.sha256: ${mismatched[*]}" >&2
  exit 1
fi
