#!/usr/bin/env bash
# The PyTorch peer check as one test of `make test` (tests/run.sh): bench/peers/check_logits.py, the
# torch.nn port of every registry model against `ecgbench predict` on the same random weights and
# bundled-sample examples. Skipped (and counted so) when no python3 here imports torch, or with
# ECG_PEER=off. Usage: tests/peer_check.sh [PATH/TO/ecgbench]   (default: $ECGBENCH)
set -u
bin=${1:-${ECGBENCH:-}}
[ -n "$bin" ] || { echo "usage: tests/peer_check.sh PATH/TO/ecgbench (or ECGBENCH=...)" >&2; exit 2; }
cd "$(dirname "$0")/.."
if [ "${ECG_PEER:-}" = off ] || [ "${ECG_PEER:-}" = 0 ]; then
  echo "  skipped peer_check: ECG_PEER=off"
  echo "RESULT 0 passed, 0 failed, 1 skipped"
  exit 0
fi
py=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import torch' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
  echo "  skipped peer_check: no python3 here imports torch (apt-get install python3-torch python3-numpy)"
  echo "RESULT 0 passed, 0 failed, 1 skipped"
  exit 0
fi
if "$py" bench/peers/check_logits.py --ecgbench "$bin" 2>&1 | sed 's/^/  /'; [ "${PIPESTATUS[0]}" -eq 0 ]; then
  echo "  ok      peer_check (PyTorch ports vs ecgbench predict)"
  echo "RESULT 1 passed, 0 failed, 0 skipped"
else
  echo "  not ok  peer_check (PyTorch ports vs ecgbench predict)"
  echo "RESULT 0 passed, 1 failed, 0 skipped"
  exit 1
fi
