#!/usr/bin/env bash
# The ONNX Runtime peer's latency, one step for scripts/bench.sh: every run given is exported
# (ecgbench export-onnx), its task's test examples written once (ecgbench data export), and
# bench/peers/time_ort.js times ONNX Runtime's run call on them at the batch sizes and thread
# counts given (as ecgbench latency's) -> OUT (time_torch.py's columns, peer "onnxruntime").
# ONNX Runtime comes from bench/peers/ort_install.sh (npm, into BUILD/onnxruntime beside the binary).
#   bench/peers/ort_peer.sh ECGBENCH OUT.csv DATA_DIR [time_ort.js options: --batch 1,32 --threads 1,0
#                           --min-time S --max-time S --repetitions N] -- RUN_DIR...
# Exit 3 (with one line saying why) when node or the package is not available: the caller skips.
set -u
bin=$(realpath "${1:?usage: ort_peer.sh ECGBENCH OUT.csv DATA_DIR [options] -- RUN_DIR...}")
out=${2:?OUT.csv}; data=${3:?DATA_DIR}; shift 3
opts=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || { echo "ort_peer: no runs given" >&2; exit 2; }
cd "$(dirname "$0")/../.."
command -v node >/dev/null 2>&1 || { echo "ort_peer: node is not installed"; exit 3; }
ort_dir=${ECG_ORT_DIR:-$(dirname "$(dirname "$bin")")/onnxruntime}
bench/peers/ort_install.sh "$ort_dir" || { echo "ort_peer: onnxruntime-node is not available in $ort_dir"; exit 3; }
tmp=$(mktemp -d /tmp/ecgbench_ort_peer_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ECG_CACHE_DIR=${ECG_CACHE_DIR:-$tmp/cache}
args=()
for d in "$@"; do
  name=$(basename "$d")
  read -r task seed < <(node -e 'const m=require(require("path").resolve(process.argv[1],"manifest.json")); console.log(m.task, m.seed ?? 1)' "$d")
  input=$tmp/input-$task-$seed.safetensors
  [ -f "$input" ] || "$bin" data export "$task" --split test --limit 64 --data "$data" --seed "$seed" --out "$input" >/dev/null || exit 1
  "$bin" export-onnx "$d" --out "$tmp/$name.onnx" >/dev/null || exit 1
  args+=("$d=$tmp/$name.onnx=$input")
done
NODE_PATH=$ort_dir/node_modules node bench/peers/time_ort.js --out "$out" "${opts[@]}" "${args[@]}"
