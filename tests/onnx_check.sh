#!/usr/bin/env bash
# ONNX export of every committed run (models/weights/*, models/compressed/*) checked by real tools,
# as one program of `make test` (tests/run.sh), one test per run:
#   1. `ecgbench export-onnx DIR` writes it;
#   2. python3-onnx's checker accepts it (onnx.checker.check_model, full_check: with shape inference);
#   3. ONNX Runtime (npm onnxruntime-node, installed into BUILD/onnxruntime by bench/peers/ort_install.sh)
#      runs it on the bundled sample's test examples (up to 200 beats, or the 30 s records there are)
#      and bench/peers/ort_check.js compares its logits (an autoencoder's reconstruction) with
#      `ecgbench predict` on the same file: every |diff| <= 1e-4 (1 + |value|) for f32 runs
#      (pruned, channel-pruned and fp16 included), the same class on >= 99.9% of the examples for int8;
#   4. the every-op graph of test_onnx_export (every op kind, beside $ECGBENCH's build) against the
#      reference executor's logits in ONNX Runtime, within the same bound.
# Step 3 is skipped with one line when node or the package is missing (or ECG_ORT=off); ECG_ONNX=off
# skips everything. Usage: tests/onnx_check.sh [PATH/TO/ecgbench] (default: $ECGBENCH_RELEASE, else
# $ECGBENCH); ONNX Runtime goes into the binary's build folder (BUILD/onnxruntime) or $ECG_ORT_DIR.
# ECG_ONNX_RUNS='DIR...' checks those run folders instead of the committed ones (a run not committed yet).
set -u
bin=${1:-${ECGBENCH_RELEASE:-${ECGBENCH:-}}}
[ -n "$bin" ] || { echo "usage: tests/onnx_check.sh PATH/TO/ecgbench (or ECGBENCH=...)" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
cd "$(dirname "$0")/.."
source scripts/run_kind.sh
if [ "${ECG_ONNX:-}" = off ] || [ "${ECG_ONNX:-}" = 0 ]; then
  echo "  skipped onnx_check: ECG_ONNX=off"
  echo "RESULT 0 passed, 0 failed, 1 skipped"
  exit 0
fi
py=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import onnx' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
  echo "  skipped onnx_check: no python3 here imports onnx (apt-get install python3-onnx; scripts/deps.sh has it)"
  echo "RESULT 0 passed, 0 failed, 1 skipped"
  exit 0
fi
tmp=$(mktemp -d /tmp/ecgbench_onnx_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ECG_CACHE_DIR=$tmp/cache   # leave data/cache alone

ort=1 why=
ort_dir=${ECG_ORT_DIR:-$(dirname "$(dirname "$bin")")/onnxruntime}
if [ "${ECG_ORT:-}" = off ] || [ "${ECG_ORT:-}" = 0 ]; then ort=0 why="ECG_ORT=off"
elif ! command -v node >/dev/null 2>&1; then ort=0 why="node is not installed"
elif ! bench/peers/ort_install.sh "$ort_dir" 2>"$tmp/ort_install.log"; then ort=0 why="onnxruntime-node could not be installed into $ort_dir ($(tail -n 1 "$tmp/ort_install.log"))"
fi

start=$(date +%s)
passed=0 failed=0
[ "$ort" = 1 ] && printf '  %-44s %-9s %12s %8s %6s %8s\n' run variant "max |diff|" agree n "ORT ms"
for d in ${ECG_ONNX_RUNS:-models/weights/* models/compressed/*}; do
  [ -f "$d/manifest.json" ] || continue
  # a seed ensemble is several models, no one graph to export (export-onnx refuses it; its members are checked)
  ! is_ensemble "$d" || continue
  name=$(basename "$d")
  read -r model task weights variant < <("$py" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["model"], m["task"], m["weights"], m.get("variant", "f32"))' "$d/manifest.json")
  onnx=$tmp/$name.onnx
  if ! "$bin" export-onnx "$d" --out "$onnx" >"$tmp/log" 2>&1; then
    echo "  not ok  $name: export-onnx failed: $(tail -n 1 "$tmp/log")"; failed=$((failed + 1)); continue
  fi
  if ! "$py" -c 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)' "$onnx" >"$tmp/log" 2>&1; then
    echo "  not ok  $name: onnx.checker: $(tail -n 1 "$tmp/log")"; failed=$((failed + 1)); continue
  fi
  if [ "$ort" = 0 ]; then passed=$((passed + 1)); continue; fi
  input=$tmp/input-$task.safetensors
  if [ ! -f "$input" ] && ! "$bin" data export "$task" --split test --limit 200 --data datasets/sample --out "$input" >"$tmp/log" 2>&1; then
    echo "  not ok  $name: data export $task: $(tail -n 1 "$tmp/log")"; failed=$((failed + 1)); continue
  fi
  if ! "$bin" predict "$model" --task "$task" --weights "$d/$weights" --manifest "$d/manifest.json" --input "$input" \
       --out "$tmp/predicted.safetensors" >"$tmp/log" 2>&1; then
    echo "  not ok  $name: predict: $(tail -n 1 "$tmp/log")"; failed=$((failed + 1)); continue
  fi
  if [ "$variant" = int8 ]; then check=(--agree 0.999); else check=(--tol 1e-4); fi
  NODE_PATH=$ort_dir/node_modules node bench/peers/ort_check.js --onnx "$onnx" --input "$input" \
    --predicted "$tmp/predicted.safetensors" "${check[@]}" >"$tmp/log" 2>&1
  rc=$?
  read -r _ diff _ agree _ n _ ms < <(grep '^max_abs_diff' "$tmp/log" || echo "- - - - - - - -")
  if [ "$rc" -eq 0 ]; then
    printf '  ok      %-36s %-9s %12s %8s %6s %8s\n' "$name" "$variant" "$diff" "$agree" "$n" "$ms"; passed=$((passed + 1))
  else
    printf '  not ok  %-36s %-9s %12s %8s %6s %8s  (%s %s)\n' "$name" "$variant" "$diff" "$agree" "$n" "$ms" "${check[@]}"
    grep -v '^max_abs_diff' "$tmp/log" | tail -n 3 | sed 's/^/          /'
    failed=$((failed + 1))
  fi
done
# Every op kind, the ones no committed run uses included: test_onnx_export's every-op graph (beside
# the sanitized ecgbench, $ECGBENCH) with its reference executor's logits, against ONNX Runtime.
unit=${ECGBENCH:+$(dirname "$ECGBENCH")/tests/test_onnx_export}
if [ "$ort" = 1 ] && [ -n "$unit" ] && [ -x "$unit" ]; then
  if ECG_ONNX_DUMP=$tmp/every_op "$unit" >"$tmp/log" 2>&1 &&
     NODE_PATH=$ort_dir/node_modules node bench/peers/ort_check.js --onnx "$tmp/every_op.onnx" \
       --input "$tmp/every_op_input.safetensors" --predicted "$tmp/every_op_logits.safetensors" --tol 1e-4 >"$tmp/log" 2>&1; then
    printf '  ok      %-36s %-9s %12s\n' "every-op graph (reference)" f32 "$(awk '/^max_abs_diff/ {print $2}' "$tmp/log")"
    passed=$((passed + 1))
  else
    echo "  not ok  every-op graph (reference executor vs ONNX Runtime): $(tail -n 1 "$tmp/log")"; failed=$((failed + 1))
  fi
elif [ "$ort" = 1 ]; then
  echo "  (every-op graph not compared: no test_onnx_export beside \$ECGBENCH)"
fi
skipped=0
if [ "$ort" = 0 ]; then echo "  skipped ONNX Runtime comparison: $why (exported files were still checked by onnx.checker)"; skipped=1; fi
echo "  onnx_check: $((passed + failed)) checks in $(( $(date +%s) - start )) s"
echo "RESULT $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
