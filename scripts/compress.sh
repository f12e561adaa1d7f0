#!/usr/bin/env bash
# `make compress`: regenerates the compressed variants the report uses, under models/compressed/
# (manifest.json and the weights file it names are committed; the dense f32 copy is not), from
# the committed trained runs and the full data (`make data`).
#   ONLY=regex   only the variants whose name matches     FORCE=1   redo finished ones
#   A variant made from other weights than its source run holds now (retrained since) is redone.
#   VARIANTS_FILE=f  read the NAME SOURCE OPTIONS table from f instead of VARIANTS below (tests)
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

if [ -n "${VARIANTS_FILE:-}" ]; then
  [ -r "$VARIANTS_FILE" ] || { echo "compress: VARIANTS_FILE $VARIANTS_FILE cannot be read" >&2; exit 2; }
  VARIANTS=$(grep -v '^[[:space:]]*#' "$VARIANTS_FILE")
fi

[ -x "$ECGBENCH" ] || { echo "compress: $ECGBENCH not built (run make)" >&2; exit 1; }

# stale DIR SRC: DIR was made from other weights than SRC holds now (SRC retrained since, or DIR
# older than the manifests that say which weights they came from)
stale() {
  local want
  [ -f "$2/weights.safetensors" ] || return 1
  want=$(grep -o '"source_weights_sha256":[[:space:]]*"[0-9a-f]*"' "$1/manifest.json" | grep -o '[0-9a-f]\{64\}') ||
    return 0
  [ "$want" != "$(sha256sum "$2/weights.safetensors" | cut -d' ' -f1)" ]
}

n=0
while read -r name src opts; do
  [ -n "$name" ] || continue
  [[ -z "$ONLY" || "$name" =~ $ONLY ]] || continue
  dir="$OUT/$name"
  # uptodate: made, from the source's weights as they are (a source not trained yet, which a Slurm job
  # may still train, does not make it stale)
  uptodate=''
  [ -f "$dir/manifest.json" ] && [ -z "$FORCE" ] && ! stale "$dir" "$src" && uptodate=1
  if [ -n "$LIST" ]; then
    [ -n "$uptodate" ] || echo "$name 1 $dir"
    continue
  fi
  if [ -n "$uptodate" ]; then
    echo "compress: $name: $dir/manifest.json exists, skipped (FORCE=1 redoes it)"
    continue
  fi
  redo=''
  if [ -f "$dir/manifest.json" ]; then # FORCE=1, or stale
    redo=--force
    [ -n "$FORCE" ] || echo "compress: $name: $dir was made from other weights than $src holds now; redoing it"
  fi
  [ -f "$src/manifest.json" ] || { echo "compress: $name needs the trained run $src (make train)" >&2; exit 1; }
  echo "compress: $name ($src $opts)"
  # shellcheck disable=SC2086  # opts is a list of options
  "$ECGBENCH" compress "$src" --out "$dir" $opts $redo
  n=$((n + 1))
done <<<"$VARIANTS"
[ -z "$LIST" ] || exit 0
echo "compress: $n variant(s) done"
