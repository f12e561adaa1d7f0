#!/usr/bin/env bash
# `make compress`'s script (scripts/compress.sh) on the bundled sample with a one-variant table
# (VARIANTS_FILE, int8 of a one-epoch efficientecg-s): the variant records which weights of its
# source it was made from; a second call makes nothing; once the source is retrained the variant
# is stale, listed for a Slurm array (LIST=1) and redone from the new weights.
# Usage: tests/compress_script.sh [PATH/TO/release/ecgbench]   (default: $ECGBENCH_RELEASE)
set -uo pipefail
bin=${1:-${ECGBENCH_RELEASE:-}}
[ -n "$bin" ] && [ -x "$bin" ] || { echo "usage: tests/compress_script.sh PATH/TO/ecgbench" >&2; exit 2; }
bin=$(realpath "$bin")
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/ecgbench_compress_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ECG_DATA_DIR=datasets/sample ECG_CACHE_DIR=$tmp/cache
echo "s-int8 $tmp/run --int8 --calib 16 --threads 1" >"$tmp/variants"
pass=0 fail=0
check() { if eval "$2"; then echo "  ok      $1"; pass=$((pass + 1)); else echo "  not ok  $1"; fail=$((fail + 1)); fi; }
train() { "$bin" train efficientecg-s --task mitdb-aami --epochs 1 --threads 1 --out "$tmp/run" --quiet "$@"; }
compress() { VARIANTS_FILE=$tmp/variants OUT=$tmp/c scripts/compress.sh "$bin"; }
made_from() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source_weights_sha256"])' "$tmp/c/s-int8/manifest.json"; }
source_sha() { sha256sum "$tmp/run/weights.safetensors" | cut -d' ' -f1; }

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
echo "RESULT $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
