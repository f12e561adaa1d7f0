#!/usr/bin/env bash
# `make compress`: regenerates the compressed variants the report uses, under models/compressed/
# (manifest.json and the weights file it names are committed; the dense f32 copy is not), from
# the committed trained runs and the full data (`make data`).
#   ONLY=regex   only the variants whose name matches     FORCE=1   redo finished ones
#   LIST=1       compress nothing: print the variants this call would make, one "NAME 1 DIR" a
#                line (the Slurm path, make compress SLURM=1, builds its job array from it)
set -euo pipefail

ECGBENCH=${1:-build/release/ecgbench}
OUT=${OUT:-models/compressed}
ONLY=${ONLY:-}
FORCE=${FORCE:-}
LIST=${LIST:-}

# NAME SOURCE OPTIONS: int8, fp16 (size only) and 50% channel pruning of efficientecg-s / mitdb-aami, then the
# sparsity sweep (one-shot global magnitude pruning, 2 fine-tuning epochs at lr 1e-4, stem and
# classifier kept dense).
VARIANTS=$(cat <<'EOF2'
efficientecg-s-mitdb-aami-int8 models/weights/efficientecg-s-mitdb-aami --int8
efficientecg-s-mitdb-aami-fp16 models/weights/efficientecg-s-mitdb-aami --fp16
efficientecg-s-mitdb-aami-channels50 models/weights/efficientecg-s-mitdb-aami --channels 0.5 --finetune-epochs 2
efficientecg-s-mitdb-aami-prune50 models/weights/efficientecg-s-mitdb-aami --prune 0.50 --dense-first --dense-last --finetune-epochs 2
efficientecg-s-mitdb-aami-prune70 models/weights/efficientecg-s-mitdb-aami --prune 0.70 --dense-first --dense-last --finetune-epochs 2
efficientecg-s-mitdb-aami-prune80 models/weights/efficientecg-s-mitdb-aami --prune 0.80 --dense-first --dense-last --finetune-epochs 2
efficientecg-s-mitdb-aami-prune90 models/weights/efficientecg-s-mitdb-aami --prune 0.90 --dense-first --dense-last --finetune-epochs 2
efficientecg-s-mitdb-aami-prune95 models/weights/efficientecg-s-mitdb-aami --prune 0.95 --dense-first --dense-last --finetune-epochs 2
EOF2
)

[ -x "$ECGBENCH" ] || { echo "compress: $ECGBENCH not built (run make)" >&2; exit 1; }
n=0
while read -r name src opts; do
  [ -n "$name" ] || continue
  [[ -z "$ONLY" || "$name" =~ $ONLY ]] || continue
  dir="$OUT/$name"
  # (not checking the source: a Slurm job that has not run yet may train it)
  if [ -n "$LIST" ]; then
    [ -f "$dir/manifest.json" ] && [ -z "$FORCE" ] || echo "$name 1 $dir"
    continue
  fi
  if [ -f "$dir/manifest.json" ] && [ -z "$FORCE" ]; then
    echo "compress: $name: $dir/manifest.json exists, skipped (FORCE=1 redoes it)"
    continue
  fi
  [ -f "$src/manifest.json" ] || { echo "compress: $name needs the trained run $src (make train)" >&2; exit 1; }
  echo "compress: $name ($src $opts)"
  # shellcheck disable=SC2086  # opts is a list of options
  "$ECGBENCH" compress "$src" --out "$dir" $opts ${FORCE:+--force}
  n=$((n + 1))
done <<<"$VARIANTS"
[ -z "$LIST" ] || exit 0
echo "compress: $n variant(s) done"
