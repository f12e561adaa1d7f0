#!/usr/bin/env bash
# Data-parallel training over MPI (ecgbench-mpi) on the bundled sample, two short runs of
# efficientecg-s each way: 2 ranks x 1 shard must write the same bytes (weights, checkpoint,
# optimizer moments, best epoch) as 1 process x 2 shards (--threads 2); the check can fail (1 shard,
# or another seed, gives other bytes); a 2-rank run resumed after its first epoch ends where an
# uninterrupted one does; the manifest records the ranks; and bad input ends every rank with a
# clear message, never a hang: more ranks than batch rows, ranks given other options, other
# data, or data one rank cannot read. Skips (counted as skipped) without mpirun or ecgbench-mpi
# (Open MPI not installed: make builds ecgbench-mpi only where mpicc is found), unless
# ECG_REQUIRE_MPI=1.
# Usage: tests/mpi_check.sh [ecgbench-mpi [ecgbench]]   (default: $ECGBENCH_MPI, $ECGBENCH_RELEASE)
set -uo pipefail
mpi=${1:-${ECGBENCH_MPI:-}}
bin=${2:-${ECGBENCH_RELEASE:-}}
# ECG_REQUIRE_MPI=1 (CI): a missing mpirun or ecgbench-mpi is a failure, not a skip
skip() {
  if [ "${ECG_REQUIRE_MPI:-0}" = 1 ]; then echo "  not ok  $1 (ECG_REQUIRE_MPI=1)"; echo "RESULT 0 passed, 1 failed, 0 skipped"; exit 1; fi
  echo "  skip    $1"; echo "RESULT 0 passed, 0 failed, 1 skipped"; exit 0
}
command -v mpirun >/dev/null 2>&1 || skip "MPI training: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)"
[ -n "$mpi" ] && [ -x "$mpi" ] || skip "MPI training: no ecgbench-mpi binary (make builds it where mpicc is found: libopenmpi-dev)"
[ -n "$bin" ] && [ -x "$bin" ] || { echo "usage: tests/mpi_check.sh PATH/TO/ecgbench-mpi PATH/TO/ecgbench" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || skip "MPI training: one core (1 process x 2 shards needs 2: --threads is capped at the cores)"
mpi=$(realpath "$mpi"); bin=$(realpath "$bin")
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/ecgbench_mpi_XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ECG_CACHE_DIR=$tmp/cache
# Open MPI's shared-memory transport copies with CMA, which containers often forbid (ptrace)
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
# every run is bounded: a rank left waiting for another would otherwise hang the suite
MPIRUN=(timeout 300 mpirun --allow-run-as-root --oversubscribe)
ARGS=(efficientecg-s --task mitdb-aami --data datasets/sample --batch 32 --no-test --quiet)
passed=0; failed=0
check() { if eval "$2"; then echo "  ok      $1"; passed=$((passed + 1)); else echo "  not ok  $1"; failed=$((failed + 1)); fi; }
same() { for f in weights.safetensors last.safetensors last_optim.safetensors best.safetensors; do cmp -s "$1/$f" "$2/$f" || return 1; done; }
# the per-epoch figures but the timings (seconds, examples/s)
curve() { cut -d, -f1-6 "$1/epochs.csv"; }
json() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"m": m}))' "$1" "$2"; }
show() { tail -n 15 "$1" | sed 's/^/      /'; }

"$bin" train "${ARGS[@]}" --epochs 2 --threads 2 --out "$tmp/one2" >"$tmp/one2.log" 2>&1 || { show "$tmp/one2.log"; }
"${MPIRUN[@]}" -np 2 "$mpi" train "${ARGS[@]}" --epochs 2 --threads 1 --out "$tmp/mpi2" >"$tmp/mpi2.log" 2>&1
check "mpirun -np 2 ecgbench-mpi train runs" '[ $? -eq 0 ] || { show "$tmp/mpi2.log"; false; }'
check "2 ranks x 1 shard write the bytes of 1 process x 2 shards (weights, checkpoint, moments, best)" \
  'same "$tmp/one2" "$tmp/mpi2"'
check "... and the same per-epoch losses and validation scores" 'diff <(curve "$tmp/one2") <(curve "$tmp/mpi2") >/dev/null'
check "the manifest records 2 ranks of 1 shard and the time spent summing gradients" \
  '[ "$(json "$tmp/mpi2/manifest.json" "(m[\"mpi\"][\"ranks\"], m[\"mpi\"][\"shards_per_rank\"], m[\"mpi\"][\"allreduce_seconds\"] > 0)")" = "(2, 1, True)" ]'
check "a one-process run has no mpi record" '[ "$(json "$tmp/one2/manifest.json" "\"mpi\" in m")" = False ]'
check "only rank 0 spoke (one summary line)" '[ "$(grep -c "^wrote " "$tmp/mpi2.log")" -eq 1 ]'

# the comparison can fail: other shard counts or another seed give other bytes
"$bin" train "${ARGS[@]}" --epochs 2 --threads 1 --out "$tmp/one1" >/dev/null 2>&1
check "(the check can fail) 1 process x 1 shard writes other bytes" '! same "$tmp/one1" "$tmp/mpi2"'
"${MPIRUN[@]}" -np 2 "$mpi" train "${ARGS[@]}" --epochs 2 --threads 1 --seed 2 --out "$tmp/mpi2s" >/dev/null 2>&1
check "(the check can fail) 2 ranks with --seed 2 write other bytes" '[ -s "$tmp/mpi2s/weights.safetensors" ] && ! same "$tmp/one2" "$tmp/mpi2s"'

# an autoencoder (lstm-ae): its loss needs every row's input as the target, which each rank prepares
AE=(lstm-ae --task mitdb-aami --data datasets/sample --batch 32 --epochs 2 --no-test --quiet)
"$bin" train "${AE[@]}" --threads 2 --out "$tmp/ae1" >/dev/null 2>&1
"${MPIRUN[@]}" -np 2 "$mpi" train "${AE[@]}" --threads 1 --out "$tmp/ae2" >/dev/null 2>&1
check "lstm-ae: 2 ranks x 1 shard write the bytes of 1 process x 2 shards, with the same val_mse curve" \
  '[ -s "$tmp/ae2/weights.safetensors" ] && same "$tmp/ae1" "$tmp/ae2" && diff <(cut -d, -f1-3,9 "$tmp/ae1/epochs.csv") <(cut -d, -f1-3,9 "$tmp/ae2/epochs.csv") >/dev/null'

# resume: the first epoch, then the rest, over 2 ranks
"${MPIRUN[@]}" -np 2 "$mpi" train "${ARGS[@]}" --epochs 2 --threads 1 --epoch-limit 1 --out "$tmp/res" >/dev/null 2>&1
check "--epoch-limit 1 over 2 ranks stops after one epoch (rank 0 wrote its checkpoint)" \
  '[ "$(curve "$tmp/res" | wc -l)" -eq 2 ] && [ -s "$tmp/res/last_optim.safetensors" ]'
"${MPIRUN[@]}" -np 2 "$mpi" train "${ARGS[@]}" --epochs 2 --threads 1 --resume --out "$tmp/res" >"$tmp/res.log" 2>&1
check "a 2-rank run resumed after epoch 1 ends with the bytes of an uninterrupted one" \
  'same "$tmp/mpi2" "$tmp/res" || { show "$tmp/res.log"; false; }'
check "... continuing its epochs.csv" 'diff <(curve "$tmp/mpi2") <(curve "$tmp/res") >/dev/null'

# bad input: a clear message and a non-zero exit (timeout's 124 is a hang)
fails_with() { # LOG PATTERN, the run's exit code in $rc
  [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "$2" "$1" || { echo "      exit $rc"; show "$1"; false; }
}
"${MPIRUN[@]}" -np 3 "$mpi" train "${ARGS[@]}" --epochs 1 --batch 2 --threads 1 --out "$tmp/bad1" >"$tmp/bad1.log" 2>&1; rc=$?
check "3 ranks for a batch of 2: refused" 'fails_with "$tmp/bad1.log" "a batch of 2 cannot be split over 3 ranks"'
"${MPIRUN[@]}" -np 1 "$mpi" train "${ARGS[@]}" --epochs 1 --threads 1 --out "$tmp/bad2" : \
  -np 1 "$mpi" train "${ARGS[@]}" --epochs 1 --threads 1 --lr 2e-3 --out "$tmp/bad2" >"$tmp/bad2.log" 2>&1; rc=$?
check "ranks given other options: refused" 'fails_with "$tmp/bad2.log" "rank 1 of 2 has different training options"'
cp -r datasets/sample "$tmp/sample2" # record 119 once more as DS1 record 101: a larger training set
(cd "$tmp/sample2/mitdb" && cp 119.dat 101.dat && cp 119.atr 101.atr && sed -e '1s/^119 /101 /' -e 's/^119\.dat/101.dat/' 119.hea >101.hea)
"${MPIRUN[@]}" -np 1 "$mpi" train "${ARGS[@]}" --epochs 1 --threads 1 --out "$tmp/bad3" : \
  -np 1 "$mpi" train "${ARGS[@]/datasets\/sample/$tmp/sample2}" --epochs 1 --threads 1 --out "$tmp/bad3" >"$tmp/bad3.log" 2>&1; rc=$?
check "ranks reading other data: refused" 'fails_with "$tmp/bad3.log" "rank 1 of 2 has different training set"'
"${MPIRUN[@]}" -np 1 "$mpi" train "${ARGS[@]}" --epochs 1 --threads 1 --out "$tmp/bad4" : \
  -np 1 "$mpi" train "${ARGS[@]/datasets\/sample/$tmp/nothing}" --epochs 1 --threads 1 --out "$tmp/bad4" >"$tmp/bad4.log" 2>&1; rc=$?
check "a rank that cannot read its data ends the run" 'fails_with "$tmp/bad4.log" "rank 1 of 2"'
check "... and no rank wrote a run" '[ ! -e "$tmp/bad2/manifest.json" ] && [ ! -e "$tmp/bad3/manifest.json" ] && [ ! -e "$tmp/bad4/manifest.json" ]'
echo "RESULT $passed passed, $failed failed, 0 skipped"
[ $failed -eq 0 ]
