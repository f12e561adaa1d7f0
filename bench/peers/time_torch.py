#!/usr/bin/env python3
"""The PyTorch peer's latency: the torch.nn ports of bench/peers/torch_models.py timed on this
machine, eager and TorchScript (traced, frozen), for each committed run, at the batch sizes and
thread counts ecgbench's own latency uses. Inputs are real examples of the run's task (from
`ecgbench data export`), the weights are the run's own file (dense f32). An autoencoder (lstm-ae)
is timed as a classifier is (its output, the reconstruction, is not read); `ecgbench report` leaves
its rows out, as it leaves the run out.

Statistics follow Google Benchmark's, so the rows sit beside ecgbench's: each repetition runs the
model as many times as fit in --min-time and records the mean time per call; median, mean, p90,
p99 and stddev are over the repetitions.

  time_torch.py RUN_DIR... [--batch 1,32] [--threads 1,0] [--min-time S] [--max-time S] [--out latency_torch.csv]
"""
import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
import warnings

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_logits as cl  # noqa: E402
import torch_models as tm  # noqa: E402

COLUMNS = ["run", "model", "task", "peer", "batch", "threads", "median_us", "p90_us", "p99_us", "mean_us",
           "stddev_us", "iterations", "repetitions", "torch_version"]


def percentile(v, q):
    """Linear interpolation between closest ranks (numpy's default), as the ecgbench shim."""
    s = sorted(v)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def time_calls(fn, repetitions, min_time, max_time, warmup_calls):
    t0 = time.perf_counter()
    for i in range(3):  # warm-up: the allocator (one call), TorchScript's profiling runs (two)
        fn()
        if i + 1 >= warmup_calls and time.perf_counter() - t0 > min_time:
            break
    iters, t0 = 0, time.perf_counter()  # calls per repetition, from a calibration run
    while time.perf_counter() - t0 < min_time:
        fn()
        iters += 1
    # A slow configuration (a 30 s record at batch 32) gets fewer repetitions, never below 3, so
    # that it takes about max_time instead of minutes; the row says how many it had.
    rep_time = time.perf_counter() - t0  # one repetition
    repetitions = max(3, min(repetitions, int(max_time / rep_time)))
    per_call = [rep_time / iters * 1e6]  # the calibration run is the first repetition
    for _ in range(repetitions - 1):
        t = time.perf_counter()
        for _ in range(iters):
            fn()
        per_call.append((time.perf_counter() - t) / iters * 1e6)
    return {"median_us": statistics.median(per_call), "p90_us": percentile(per_call, 0.9),
            "p99_us": percentile(per_call, 0.99), "mean_us": statistics.fmean(per_call),
            "stddev_us": statistics.stdev(per_call) if len(per_call) > 1 else 0.0,
            "iterations": iters, "repetitions": repetitions}


def dense_weights(run_dir, man):
    """The run's weights as PyTorch reads them: a compressed run's dense copy when it has one."""
    dense = os.path.join(run_dir, "weights.safetensors")
    return dense if os.path.exists(dense) else os.path.join(run_dir, man["weights"])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", metavar="RUN_DIR")
    p.add_argument("--ecgbench", default=os.path.join(cl.ROOT, "build", "release", "ecgbench"))
    p.add_argument("--data", help="data folder for the example inputs (default: the bundled sample)")
    p.add_argument("--batch", default="1,32")
    p.add_argument("--threads", default="1,0", help="0: all cores")
    p.add_argument("--peers", default="eager,torchscript")
    p.add_argument("--repetitions", type=int, default=10)
    p.add_argument("--min-time", type=float, default=0.2, help="seconds per repetition (default 0.2)")
    p.add_argument("--max-time", type=float, default=3.0,
                   help="seconds of repetitions per configuration; fewer repetitions (>= 3) where they take longer")
    p.add_argument("--out", default="latency_torch.csv")
    args = p.parse_args()
    batches = [int(b) for b in args.batch.split(",") if b]
    threads = [int(t) or os.cpu_count() for t in args.threads.split(",") if t]
    peers = [m for m in args.peers.split(",") if m]
    if any(b < 1 for b in batches) or any(m not in ("eager", "torchscript") for m in peers) or args.repetitions < 1:
        p.error("--batch takes positive sizes, --peers eager and/or torchscript, --repetitions >= 1")
    warnings.filterwarnings("ignore", message="Using padding='same'")
    rows = []
    with tempfile.TemporaryDirectory(prefix="ecgbench_torch_time_") as tmp:
        env = dict(os.environ)
        data = args.data or os.path.join(cl.ROOT, "datasets", "sample")
        if not args.data:
            env.setdefault("ECG_CACHE_DIR", os.path.join(tmp, "cache"))
        try:
            for d in args.runs:
                with open(os.path.join(d, "manifest.json")) as f:
                    man = json.load(f)
                name, task = man["model"], man["task"]
                x, features, classes, names = cl.export(args, task, "test", max(batches), os.path.join(tmp, "x.st"),
                                                        env, data, man.get("seed"))
                if x.shape[0] < max(batches):  # a small sample split: repeat its examples
                    reps = -(-max(batches) // x.shape[0])
                    x = x.repeat(reps, 1, 1)[:max(batches)]
                    features = features.repeat(reps, 1)[:max(batches)] if features is not None else None
                model = tm.load_weights(tm.build(name, x.shape[1], x.shape[2], len(classes), names),
                                        dense_weights(d, man)).eval()
                for b in batches:
                    xb = x[:b].contiguous()
                    fb = features[:b].contiguous() if model.takes_features else None
                    inputs = (xb, fb) if fb is not None else (xb,)
                    for peer in peers:
                        with torch.no_grad():
                            m = model if peer == "eager" else torch.jit.freeze(torch.jit.trace(model, inputs))
                            for t in threads:
                                torch.set_num_threads(t)
                                stats = time_calls(lambda: m(*inputs), args.repetitions, args.min_time, args.max_time,
                                                   1 if peer == "eager" else 2)
                                rows.append({"run": os.path.basename(os.path.normpath(d)), "model": name, "task": task,
                                             "peer": f"pytorch-{peer}", "batch": b, "threads": t,
                                             "torch_version": torch.__version__, **stats})
                                r = rows[-1]
                                print(f"{r['run']:40} {r['peer']:20} b{b:<3} t{t:<2} median {r['median_us']:10.1f} us "
                                      f"p90 {r['p90_us']:10.1f}", flush=True)
        except (RuntimeError, ValueError, KeyError, OSError) as e:
            print(f"time_torch: {e}", file=sys.stderr)
            return 1
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    print(f"wrote {args.out} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
