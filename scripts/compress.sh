#!/usr/bin/env bash
# `make compress`: regenerates the compressed variants the report uses, under models/compressed/
# (manifest.json and the weights file it names are committed; the dense f32 copy is not), from
# the committed trained runs and the full data (`make data`).
#   ONLY=regex   only the variants whose name matches     FORCE=1   redo finished ones
#   A variant made from other weights than its source run holds now (retrained since), or with
#   other options than the table's, is redone.
#   VARIANTS_FILE=f  read the NAME SOURCE OPTIONS table from f instead of VARIANTS below (tests)
#   LIST=1       compress nothing: print the variants this call would make, one "NAME 1 DIR" a
#                line (the Slurm path, make compress SLURM=1, builds its job array from it)
#   CAND=dir     where the candidates of a variant with several go (models/compressed-selection)
# A NAME on several lines is a choice between recipes: each line (candidate A, B, ... in order) is
# made with `compress --no-test` into CAND/NAME/A ..., `ecgbench select` keeps the best validation
# macro-F1 (the source's validation split, which also picks the fine-tuning epoch; the first on a
# tie) and writes NAME/selection.csv, and only the chosen one's test split is scored (`ecgbench
# eval --record`). The candidates' manifests are committed as the choice's evidence, their weights
# not; a candidate made from other weights than the source holds now, or with other options, is
# made again.
set -euo pipefail

ECGBENCH=${1:-build/release/ecgbench}
OUT=${OUT:-models/compressed}
ONLY=${ONLY:-}
FORCE=${FORCE:-}
LIST=${LIST:-}
CAND=${CAND:-models/compressed-selection}

# NAME SOURCE OPTIONS: int8, fp16 (size only) and 50% channel pruning of efficientecg-s / mitdb-aami, then the
# sparsity sweep (global magnitude pruning, stem and classifier kept dense; one shot and 2
# fine-tuning epochs at lr 1e-4). At 90% and 95% that recipe gave a net that calls every beat N
# (round 13's source; validation macro-F1 0.241, the all-N score): one threshold across layers
# removes the head conv and most project convs whole (their weights are small, the batchnorm
# after them scales them up), so nothing reaches the classifier. There the candidates are
# (declared 2026-12-07, chosen on validation): A that recipe; B the same sparsity in every layer
# (--scope layer); C per layer, on the cubic schedule over 4 of 6 epochs at the source's peak rate
# 3e-4. (A first list had global-scope candidates with 6 epochs at 3e-4 instead of B and C; their
# first, at 90%, stayed at the all-N score on validation through 4 epochs and was stopped.)
VARIANTS=$(cat <<'EOF2'
efficientecg-s-mitdb-aami-int8 models/weights/efficientecg-s-mitdb-aami --int8
efficientecg-s-mitdb-aami-fp16 models/weights/efficientecg-s-mitdb-aami --fp16
efficientecg-s-mitdb-aami-channels50 models/weights/efficientecg-s-mitdb-aami --channels 0.5 --finetune-epochs 2
efficientecg-s-mitdb-aami-prune50 models/weights/efficientecg-s-mitdb-aami --prune 0.50 --dense-first --dense-last --finetune-epochs 2
efficientecg-s-mitdb-aami-prune70 models/weights/efficientecg-s-mitdb-aami --prune 0.70 --dense-first --dense-last --finetune-epochs 2
efficientecg-s-mitdb-aami-prune80 models/weights/efficientecg-s-mitdb-aami --prune 0.80 --dense-first --dense-last --finetune-epochs 2
efficientecg-s-mitdb-aami-prune90 models/weights/efficientecg-s-mitdb-aami --prune 0.90 --dense-first --dense-last --finetune-epochs 2
efficientecg-s-mitdb-aami-prune90 models/weights/efficientecg-s-mitdb-aami --prune 0.90 --dense-first --dense-last --finetune-epochs 2 --scope layer
efficientecg-s-mitdb-aami-prune90 models/weights/efficientecg-s-mitdb-aami --prune 0.90 --dense-first --dense-last --finetune-epochs 6 --lr 3e-4 --scope layer --gradual
efficientecg-s-mitdb-aami-prune95 models/weights/efficientecg-s-mitdb-aami --prune 0.95 --dense-first --dense-last --finetune-epochs 2
efficientecg-s-mitdb-aami-prune95 models/weights/efficientecg-s-mitdb-aami --prune 0.95 --dense-first --dense-last --finetune-epochs 2 --scope layer
efficientecg-s-mitdb-aami-prune95 models/weights/efficientecg-s-mitdb-aami --prune 0.95 --dense-first --dense-last --finetune-epochs 6 --lr 3e-4 --scope layer --gradual
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

# same_options DIR OPTS: DIR's manifest was made with OPTS (its command's words, in any order, are
# OPTS's plus the source, --out DIR, --no-test and --force)
same_options() {
  local cmd
  cmd=$(grep -o -m1 '"command":[[:space:]]*"compress [^"]*"' "$1/manifest.json" | sed 's/^"command":[[:space:]]*"compress //; s/"$//') ||
    return 1
  # shellcheck disable=SC2086  # both are lists of words
  [ "$(printf '%s\n' $cmd | grep -vxF -e "$1" -e "$src" -e --out -e --no-test -e --force | sort)" = \
    "$(printf '%s\n' $2 | sort)" ]
}

# made DIR OPTS: DIR holds a variant made with OPTS from the source's weights as they are (a source
# not trained yet, which a Slurm job may still train, does not make it stale)
made() { [ -f "$1/manifest.json" ] && ! stale "$1" "$src" && same_options "$1" "$2"; }

# candidate NAME K: the folder of NAME's K-th candidate (A, B, ...)
candidate() { printf '%s/%s/%b' "$CAND" "$1" "\\x$(printf %x $((65 + $2)))"; }

# choose NAME DIR OPTS...: each OPTS made with --no-test into CAND/NAME/A, B, ...; the best on
# validation (ecgbench select) copied into DIR with the log, its test split scored once
choose() {
  local name=$1 to=$2 k=0 c dirs=() out winner
  shift 2
  for o in "$@"; do
    c=$(candidate "$name" $k) k=$((k + 1)) dirs+=("$c")
    if [ -z "$FORCE" ] && made "$c" "$o"; then
      echo "compress: $name candidate ${c##*/}: made"
      continue
    fi
    echo "compress: $name candidate ${c##*/} ($src $o)"
    rm -rf "$c"
    # shellcheck disable=SC2086  # o is a list of options
    "$ECGBENCH" compress "$src" --out "$c" $o --no-test
  done
  rm -rf "$to.tmp" && mkdir -p "$to.tmp"
  out=$("$ECGBENCH" select --out "$to.tmp/selection.csv" "${dirs[@]}")
  echo "${out//"$to.tmp/"/"$to/"}" # the log's place once $to.tmp becomes $to
  winner=$(tail -n 1 <<<"$out")
  cp "$winner"/*.safetensors "$winner/manifest.json" "$to.tmp/"
  "$ECGBENCH" eval "$to.tmp" --record
  rm -rf "$to" && mv "$to.tmp" "$to"
}

# the table's names in order, each with its source and its candidates' options
names=()
declare -A source_of options_of
while read -r name src opts; do
  [ -n "$name" ] || continue
  [[ -z "$ONLY" || "$name" =~ $ONLY ]] || continue
  [ -n "${source_of[$name]:-}" ] || names+=("$name")
  [ "${source_of[$name]:-$src}" = "$src" ] ||
    { echo "compress: $name: its candidates name two sources ($src, ${source_of[$name]})" >&2; exit 2; }
  source_of[$name]=$src
  options_of[$name]+="$opts"$'\n'
done <<<"$VARIANTS"

n=0
for name in "${names[@]}"; do
  src=${source_of[$name]}
  mapfile -t opts <<<"${options_of[$name]%$'\n'}"
  dir="$OUT/$name"
  # uptodate: made with the table's options (a choice: its candidates are) from the source's weights
  uptodate=''
  if [ -z "$FORCE" ] && [ -f "$dir/manifest.json" ] && ! stale "$dir" "$src"; then
    uptodate=1
    if [ ${#opts[@]} -eq 1 ]; then
      same_options "$dir" "${opts[0]}" || uptodate=''
    else
      for k in "${!opts[@]}"; do made "$(candidate "$name" "$k")" "${opts[k]}" || uptodate=''; done
    fi
  fi
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
    [ -n "$FORCE" ] || echo "compress: $name: $dir was made from other weights than $src holds now, or" \
      "with other options; redoing it"
  fi
  [ -f "$src/manifest.json" ] || { echo "compress: $name needs the trained run $src (make train)" >&2; exit 1; }
  if [ ${#opts[@]} -gt 1 ]; then
    choose "$name" "$dir" "${opts[@]}"
  else
    echo "compress: $name ($src ${opts[0]})"
    # shellcheck disable=SC2086  # opts is a list of options
    "$ECGBENCH" compress "$src" --out "$dir" ${opts[0]} $redo
  fi
  n=$((n + 1))
done
[ -z "$LIST" ] || exit 0
echo "compress: $n variant(s) done"
