#!/usr/bin/env bash
# The PyTorch peer check as one test of `make test` (tests/run.sh): bench/peers/check_logits.py, the
# torch.nn port of every registry model against `ecgbench predict` on the same random weights and
# bundled-sample examples of mitdb-aami and of mitdb-aami-2lead. Skipped (and counted so) when no
# python3 here imports torch, or with ECG_PEER=off. Usage: tests/peer_check.sh [PATH/TO/ecgbench]   (default: $ECGBENCH)
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
# Both input widths: mitdb-aami (one lead) and mitdb-aami-2lead (x [252, 2]), so a port that
# ignored the channel count, or a C > 1 layout error on either side, shows.
peer_ok=1
for task in mitdb-aami mitdb-aami-2lead; do
  "$py" bench/peers/check_logits.py --ecgbench "$bin" --task "$task" 2>&1 | sed 's/^/  /'
  [ "${PIPESTATUS[0]}" -eq 0 ] || peer_ok=0
done
if [ "$peer_ok" = 1 ]; then
  echo "  ok      peer_check (PyTorch ports vs ecgbench predict)"
  echo "RESULT 1 passed, 0 failed, 0 skipped"
else
  echo "  not ok  peer_check (PyTorch ports vs ecgbench predict)"
  echo "RESULT 0 passed, 1 failed, 0 skipped"
  exit 1
fi
