#!/usr/bin/env bash
# Strong scaling of one training run over MPI ranks on this machine, as Markdown on stdout:
# the same run (model, data, global batch, epochs) at 1 rank and at 2 ranks of 1 shard each;
# examples/s over the training steps (validation excluded), speed-up, efficiency, and the shares
# of a step spent waiting for the slowest rank, in the gradient allreduce and in gathering the
# logits (each rank times them inside the step; rank 0's figures, from the run's manifest). Then
# the ring-allreduce projection at 8 and 32 ranks from the measured 1-rank step time and the
# gradient size (docs/scaling.md gives the model). Timings need a quiet machine: the load average
# before and after is printed with the table.
#   scripts/mpi_scaling.sh [build/release/ecgbench-mpi]
# Environment (defaults): MODEL (efficientecg-s), TASK (mitdb-aami), DATA (datasets/sample),
# EPOCHS (8), BATCH (64), RANKS ("1 2"), NETS: the networks of the projection, "name:GB/s:latency
# in us" separated by commas ("10 GbE:1.25:25,100 Gb/s InfiniBand:12.5:2"), OUT (a temporary
# folder, removed; set it to keep the runs).
set -euo pipefail
cd "$(dirname "$0")/.."
mpi=${1:-${ECGBENCH_MPI:-build/release/ecgbench-mpi}}
command -v mpirun >/dev/null 2>&1 || { echo "mpi_scaling: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 1; }
[ -x "$mpi" ] || { echo "mpi_scaling: no $mpi (make builds it where mpicc is found)" >&2; exit 1; }
MODEL=${MODEL:-efficientecg-s} TASK=${TASK:-mitdb-aami} DATA=${DATA:-datasets/sample}
EPOCHS=${EPOCHS:-8} BATCH=${BATCH:-64} RANKS=${RANKS:-1 2}
NETS=${NETS:-10 GbE:1.25:25,100 Gb/s InfiniBand:12.5:2}
keep=${OUT:-}
out=${OUT:-$(mktemp -d /tmp/ecgbench_scaling_XXXXXX)}
[ -n "$keep" ] || trap 'rm -rf "$out"' EXIT
mkdir -p "$out"
load() { cut -d' ' -f1-3 /proc/loadavg; }
load0=$(load)
for p in $RANKS; do
  echo "mpi_scaling: $p rank(s) x 1 shard: $MODEL on $TASK ($DATA), batch $BATCH, $EPOCHS epochs" >&2
  mpirun --allow-run-as-root --oversubscribe -np "$p" "$mpi" train "$MODEL" --task "$TASK" --data "$DATA" \
    --epochs "$EPOCHS" --patience 100000 --batch "$BATCH" --threads 1 --no-test --quiet --out "$out/r$p" \
    >"$out/r$p.log" 2>&1 || { tail -n 20 "$out/r$p.log" >&2; exit 1; }
done
load1=$(load)
python3 - "$out" "$BATCH" "$NETS" "$load0" "$load1" "$(nproc)" "$MODEL" "$TASK" "$DATA" "$EPOCHS" $RANKS <<'EOF'
import json, sys
out, batch, nets, load0, load1, cores, model, task, data, epochs = sys.argv[1:11]
ranks = [int(p) for p in sys.argv[11:]]
batch = int(batch)
runs = {p: json.load(open(f"{out}/r{p}/manifest.json")) for p in ranks}
base = runs[ranks[0]]
ex1 = base["train_examples_per_second"]  # the first count's (1 rank: the reference)
print(f"{model} on {task} ({data}), global batch {batch}, {epochs} epochs, 1 shard per rank, "
      f"{cores} cores; load average {load0} before, {load1} after.\n")
print("| ranks | examples/s | speed-up | efficiency | wait share | allreduce share | logit gather share |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for p in ranks:
    m = runs[p]; mp = m["mpi"]; ex = m["train_examples_per_second"]; st = mp["step_seconds"]
    share = lambda k: f"{100 * mp[k] / st:.1f}%" if st > 0 else "n/a"
    print(f"| {p} | {ex:.0f} | {ex / ex1:.2f} | {100 * ex * ranks[0] / (ex1 * p):.0f}% | {share('wait_seconds')} | "
          f"{share('allreduce_seconds')} | {share('logit_gather_seconds')} |")
grad = base["mpi"]["gradient_bytes"]
t1 = batch / ex1 * ranks[0]  # one step at one rank
print(f"\nGradient per step: {grad} bytes ({grad / 2**20:.2f} MiB, fp32); one step at 1 rank: {1000 * t1:.1f} ms.")
for p in ranks[1:]:
    mp = runs[p]["mpi"]; steps = mp["step_seconds"] * runs[p]["train_examples_per_second"] / batch
    if steps > 0:
        print(f"Measured at {p} ranks (shared memory): allreduce {1000 * mp['allreduce_seconds'] / steps:.2f} ms "
              f"per step, waiting for the slowest rank {1000 * mp['wait_seconds'] / steps:.2f} ms.")
print("\nProjection (ring allreduce: 2(p-1)/p x bytes / bandwidth + 2(p-1) x latency; compute t1/p, "
      "assumed to scale perfectly, so an upper bound):\n")
print("| network | ranks | compute/step (ms) | allreduce/step (ms) | step (ms) | examples/s | efficiency |")
print("|---|---:|---:|---:|---:|---:|---:|")
for net in nets.split(","):
    name, gbs, lat_us = net.split(":")
    bw, lat = float(gbs) * 1e9, float(lat_us) * 1e-6
    for p in (8, 32):
        ar = 2 * (p - 1) / p * grad / bw + 2 * (p - 1) * lat
        comp = t1 / p
        step = comp + ar
        print(f"| {name} ({gbs} GB/s, {lat_us} us) | {p} | {1000 * comp:.2f} | {1000 * ar:.2f} | {1000 * step:.2f} | "
              f"{batch / step:.0f} | {100 * comp / step:.0f}% |")
EOF
