#!/usr/bin/env bash
# `make compress`'s script (scripts/compress.sh) on the bundled sample with a one-variant table
# (VARIANTS_FILE, int8 of a one-epoch efficientecg-s): the variant records which weights of its
# source it was made from; a second call makes nothing; once the source is retrained the variant
# is stale, listed for a Slurm array (LIST=1) and redone from the new weights. A variant with two
# candidate recipes keeps the one with the better validation macro-F1, scoring only its test split,
# and the report says what chose it.
# Usage: tests/compress_script.sh [PATH/TO/release/ecgbench]   (default: $ECGBENCH_RELEASE)
set -uo pipefail
bin=${1:-${ECGBENCH_RELEASE:-}}
[ -n "$bin" ] && [ -x "$bin" ] || { echo "usage: tests/compress_script.sh PATH/TO/ecgbench" >&2; exit 2; }
bin=$(realpath "$bin")
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/ecgbench_compress_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ECG_DATA_DIR=datasets/sample ECG_CACHE_DIR=$tmp/cache
echo "s-int8 $tmp/w/run --int8 --calib 16 --threads 1" >"$tmp/variants"
pass=0 fail=0
check() { if eval "$2"; then echo "  ok      $1"; pass=$((pass + 1)); else echo "  not ok  $1"; fail=$((fail + 1)); fi; }
train() { "$bin" train efficientecg-s --task mitdb-aami --epochs 1 --threads 1 --out "$tmp/w/run" --quiet "$@"; }
compress() { VARIANTS_FILE=$tmp/variants OUT=$tmp/c CAND=$tmp/cand scripts/compress.sh "$bin"; }
made_from() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source_weights_sha256"])' "$tmp/c/s-int8/manifest.json"; }
source_sha() { sha256sum "$tmp/w/run/weights.safetensors" | cut -d' ' -f1; }

train --seed 1 >/dev/null 2>&1
compress >"$tmp/first.log" 2>&1
check "the first call makes the variant" '[ $? -eq 0 ] && grep -q "1 variant(s) done" "$tmp/first.log" || { tail -n 20 "$tmp/first.log"; false; }'
check "its manifest names the source's weights" '[ "$(made_from)" = "$(source_sha)" ]'
compress >"$tmp/second.log" 2>&1
check "a second call makes nothing" 'grep -q "0 variant(s) done" "$tmp/second.log"'
check "nor lists anything for a Slurm array" '[ -z "$(LIST=1 compress)" ]'
train --seed 2 --force >/dev/null 2>&1
check "a retrained source makes it stale" '[ "$(LIST=1 compress)" = "s-int8 1 $tmp/c/s-int8" ]'
compress >"$tmp/third.log" 2>&1
check "which the next call says and redoes" \
  'grep -q "made from other weights" "$tmp/third.log" && grep -q "1 variant(s) done" "$tmp/third.log"'
check "from the new weights" '[ "$(made_from)" = "$(source_sha)" ]'
check "and eval reproduces it" '"$bin" eval "$tmp/c/s-int8" >/dev/null'

# a variant on two lines is a choice: both made without the test split, the better validation
# macro-F1 kept with the log, only its test split scored
printf '%s\n' "s-p50 $tmp/w/run --prune 0.5 --finetune-epochs 1 --threads 1" \
  "s-p50 $tmp/w/run --prune 0.5 --finetune-epochs 1 --lr 1e-3 --threads 1" >"$tmp/variants"
compress >"$tmp/choice.log" 2>&1
check "two candidates of one variant are made and one chosen" \
  '[ $? -eq 0 ] && grep -q "1 variant(s) done" "$tmp/choice.log" || { tail -n 20 "$tmp/choice.log"; false; }'
check "no candidate met the test split" 'python3 -c "
import json, sys
assert not any(\"test\" in json.load(open(f))[\"metrics\"] for f in sys.argv[1:])" "$tmp"/cand/s-p50/{A,B}/manifest.json'
check "the chosen one has the best validation macro-F1, and its test metrics" 'python3 - "$tmp" <<'"'"'PY'"'"'
import csv, json, sys
t = sys.argv[1]
f1 = {k: json.load(open(f"{t}/cand/s-p50/{k}/manifest.json"))["metrics"]["val"]["macro_f1"] for k in "AB"}
rows = list(csv.DictReader(open(f"{t}/c/s-p50/selection.csv")))
best = "B" if f1["B"] > f1["A"] else "A"
assert [r["candidate"] for r in rows if r["chosen"] == "1"] == [best], (rows, f1)
assert [r["epochs_run"] for r in rows] == ["1", "1"], rows  # the fine-tuning, not the training of the source
man = json.load(open(f"{t}/c/s-p50/manifest.json"))
assert man["metrics"]["val"]["macro_f1"] == f1[best] and "test" in man["metrics"], man["metrics"].keys()
assert man["selection"]["log"] == "selection.csv" and man["selection"]["candidates"] == 2
PY'
check "and eval re-checks it" '"$bin" eval "$tmp/c/s-p50" >/dev/null'
"$bin" report --runs "$tmp/w" --runs "$tmp/c" --seeds none --layer-reps 20 --out "$tmp/rep" >"$tmp/rep.log" 2>&1
check "the report says what chose its recipe, and that the other variant had one recipe" \
  '[ $? -eq 0 ] && grep -q "| pruned50[^|]*|.*| val split (2 candidates) |$" "$tmp/rep/tables.md" &&
   grep -q "| int8[^|]*|.*| - |$" "$tmp/rep/tables.md" || { tail -5 "$tmp/rep.log"; false; }'
sed -i 's/--lr 1e-3/--lr 2e-3/' "$tmp/variants"
compress >"$tmp/again.log" 2>&1
check "a candidate whose options changed is made again, the other kept, the choice made again" \
  'grep -q "candidate A: made" "$tmp/again.log" && grep -q "candidate B (" "$tmp/again.log" &&
   grep -q -- "--lr 2e-3" "$tmp/cand/s-p50/B/manifest.json" && grep -q "1 variant(s) done" "$tmp/again.log"'
echo "RESULT $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
