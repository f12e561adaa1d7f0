#!/usr/bin/env bash
# `make train`'s script (scripts/train.sh) on the bundled sample with a runs table (RUNS_FILE) of
# an lstm-ae and an efficientecg-fusion-ae that names it as @lstm-ae-mitdb-aami, two seeds: each
# fused seed takes its frozen encoder from the autoencoder run of the same seed (seed 1 under OUT,
# seed 2 under SEEDS_OUT), as its config.json records; a second call trains nothing.
# Usage: tests/train_script.sh [PATH/TO/release/ecgbench]   (default: $ECGBENCH_RELEASE)
set -uo pipefail
bin=${1:-${ECGBENCH_RELEASE:-}}
[ -n "$bin" ] && [ -x "$bin" ] || { echo "usage: tests/train_script.sh PATH/TO/ecgbench" >&2; exit 2; }
bin=$(realpath "$bin")
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/ecgbench_train_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ECG_DATA_DIR=datasets/sample ECG_CACHE_DIR=$tmp/cache
cat >"$tmp/runs" <<'RUNS'
lstm-ae                mitdb-aami --epochs 1 --threads 1
efficientecg-fusion-ae mitdb-aami --epochs 1 --threads 1 --init-from @lstm-ae-mitdb-aami
RUNS
pass=0 fail=0
check() { if eval "$2"; then echo "  ok      $1"; pass=$((pass + 1)); else echo "  not ok  $1"; fail=$((fail + 1)); fi; }
source_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["init_from"]["run"])' "$1/config.json"; }
train() { RUNS_FILE=$tmp/runs OUT=$tmp/weights SEEDS_OUT=$tmp/seeds SEEDS=2 scripts/train.sh "$bin"; }

train >"$tmp/first.log" 2>&1
check "the first call trains 4 runs" '[ $? -eq 0 ] && grep -q "4 run(s) done" "$tmp/first.log" || { tail -n 20 "$tmp/first.log"; false; }'
check "seed 1 takes the seed-1 autoencoder" \
  '[ "$(source_of "$tmp/weights/efficientecg-fusion-ae-mitdb-aami")" = "$tmp/weights/lstm-ae-mitdb-aami" ]'
check "seed 2 takes the seed-2 autoencoder" \
  '[ "$(source_of "$tmp/seeds/efficientecg-fusion-ae-mitdb-aami/seed2")" = "$tmp/seeds/lstm-ae-mitdb-aami/seed2" ]'
train >"$tmp/second.log" 2>&1
check "a second call trains nothing" '[ $? -eq 0 ] && grep -q "0 run(s) done" "$tmp/second.log"'
echo "RESULT $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
