#!/usr/bin/env bash
# `make train`: regenerates the committed weights, models/weights/MODEL-TASK/{weights.safetensors,
# manifest.json,epochs.csv}, from the full data (`make data`) with the recipes below.
#   ONLY=regex    only the runs whose "MODEL-TASK" matches (e.g. ONLY=efficientecg-s-mitdb)
#   FORCE=1       retrain runs that already have a manifest (default: skip them)
# A killed run resumes from its checkpoint on the next call. Runs go one after another, each on
# all cores (training is data-parallel inside a run).
set -euo pipefail

ECGBENCH=${1:-build/release/ecgbench}
OUT=${OUT:-models/weights}
ONLY=${ONLY:-}
FORCE=${FORCE:-}

# MODEL TASK OPTIONS: one run per line. Recipes are chosen on the validation split only.
# mitdb-aami is inter-patient (train/val from DS1, test = DS2); N is 89% of its beats, so an
# unweighted loss is the default there, and the fusion models (which can tell S from N by the RR
# token) get square-root class weights that make them look for S, capped at 1.5x N's: uncapped,
# F (415 training beats) weighs 10x N and fusion-rr called 2438 DS2 normal beats F. The LSTMs
# (which read 12-sample frames, see baselines/lstm.c) get the same weights. On cinc2017
# (9000-sample records) the CNNs' epochs are long on 2 cores, hence their short schedules; the
# larger ones train on random 10 s windows (--crop 3000, a third of the cost per example) and are
# validated and tested on whole records.
RUNS=$(cat <<'EOF'
efficientecg-s           mitdb-aami --epochs 6 --patience 3 --class-weights none
efficientecg-fusion      mitdb-aami --epochs 6 --patience 3 --class-weights sqrt --class-weight-cap 1.5
efficientecg-fusion-none mitdb-aami --epochs 6 --patience 3 --class-weights sqrt --class-weight-cap 1.5
efficientecg-fusion-agesex mitdb-aami --epochs 6 --patience 3 --class-weights sqrt --class-weight-cap 1.5
efficientecg-fusion-rr   mitdb-aami --epochs 6 --patience 3 --class-weights sqrt --class-weight-cap 1.5
lstm                     mitdb-aami --epochs 12 --patience 4 --class-weights sqrt --class-weight-cap 1.5
bilstm                   mitdb-aami --epochs 12 --patience 4 --class-weights sqrt --class-weight-cap 1.5
resnet1d                 mitdb-aami --epochs 4 --patience 2 --class-weights none
resnet1d-18              mitdb-aami --epochs 4 --patience 2 --class-weights none
efficientecg-b0          mitdb-aami --epochs 4 --patience 2 --class-weights none
efficientecg-fusion-b0   mitdb-aami --epochs 4 --patience 2 --class-weights sqrt --class-weight-cap 1.5
efficientecg-s           mitdb-aami-intra --epochs 4 --patience 2 --class-weights none
efficientecg-s           cinc2017   --epochs 10 --patience 4 --class-weights sqrt --batch 32
efficientecg-b0          cinc2017   --epochs 6 --patience 3 --class-weights sqrt --batch 32 --crop 3000
resnet1d                 cinc2017   --epochs 5 --patience 2 --class-weights sqrt --batch 32 --crop 3000
resnet1d-18              cinc2017   --epochs 5 --patience 2 --class-weights sqrt --batch 32 --crop 3000
lstm                     cinc2017   --epochs 10 --patience 4 --class-weights sqrt --batch 32
bilstm                   cinc2017   --epochs 10 --patience 4 --class-weights sqrt --batch 32
EOF
)

[ -x "$ECGBENCH" ] || { echo "train: $ECGBENCH not built (run make)" >&2; exit 1; }
n=0
while read -r model task opts; do
  [ -n "$model" ] || continue
  name="$model-$task"
  [[ -z "$ONLY" || "$name" =~ $ONLY ]] || continue
  dir="$OUT/$name"
  if [ -f "$dir/manifest.json" ] && [ -z "$FORCE" ]; then
    echo "train: $name: $dir/manifest.json exists, skipped (FORCE=1 retrains)"
    continue
  fi
  resume=()
  if [ -f "$dir/last.safetensors" ] && [ -z "$FORCE" ]; then resume=(--resume); fi
  [ -n "$FORCE" ] && rm -f "$dir"/{manifest.json,epochs.csv,last.safetensors,last_optim.safetensors,best.safetensors}
  echo "train: $name ($opts${resume:+, resuming})"
  # shellcheck disable=SC2086  # opts is a list of options
  "$ECGBENCH" train "$model" --task "$task" --out "$dir" $opts "${resume[@]}"
  n=$((n + 1))
done <<<"$RUNS"
echo "train: $n run(s) done"
