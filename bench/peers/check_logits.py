#!/usr/bin/env python3
"""The PyTorch peer check: ecgbench's logits (XNNPACK path, `ecgbench predict`) against the
torch.nn ports of bench/peers/torch_models.py, on the same weights and examples; for an
autoencoder (lstm-ae) its reconstruction [N, T, C] instead of logits, with the same tolerance.

  check_logits.py                      every registry model, all parameters AND buffers randomised
                                       (BN running stats too, so a layout error shows), saved by
                                       PyTorch as safetensors, loaded by ecgbench unchanged; examples
                                       of mitdb-aami's test split from the bundled sample data
  check_logits.py --weights DIR ...    committed weights (DIR/weights.safetensors + manifest.json
                                       naming "model" and "task"), loaded by the port unchanged,
                                       compared on --n examples of the task's test split

Prints the max abs output difference per model; exits 1 if any is above --tol (1e-4).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {p.returncode}):\n{p.stderr.strip()}")
    return p.stdout


def export(args, task, split, n, out, env, data=None, seed=None):
    cmd = [args.ecgbench, "data", "export", task, "--split", split, "--limit", str(n), "--out", out]
    if data:
        cmd += ["--data", data]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    run(cmd, env)
    tensors, meta = tm.read_safetensors(out)
    x = tensors["x"]
    classes = [c for c in meta.get("classes", "").split(",") if c]
    features = [f for f in meta.get("features", "").split(",") if f]
    return x, tensors.get("features"), classes, features


def randomise(model, gen, x, features):
    """Every parameter and buffer gets random values. BatchNorm's running statistics are first
    measured on x (so activations stay O(1) through any depth, and a wrong eps shows), then
    perturbed, so that a wrong running_mean / running_var layout shows too."""
    with torch.no_grad():
        for name, t in model.state_dict().items():
            leaf = name.rsplit(".", 1)[-1]
            if leaf == "num_batches_tracked":
                t.fill_(int(torch.randint(0, 1000, (1,), generator=gen)))
            elif leaf in ("running_mean", "running_var"):
                continue                                    # measured below
            elif t.dim() == 1 and leaf == "weight":         # BatchNorm / LayerNorm scale
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif t.dim() == 1:                              # every bias
                t.copy_((torch.rand(t.shape, generator=gen) - 0.5) * 0.2)
            elif leaf in ("cls_token", "decoder_pos"):      # learned tokens: N(0, 1), the scale of what they join
                t.copy_(torch.randn(t.shape, generator=gen))
            else:                                           # weights: U(-b, b), b = sqrt(3 / fan_in)
                bound = (3.0 / t[0].numel()) ** 0.5
                t.copy_((torch.rand(t.shape, generator=gen) * 2 - 1) * bound)
        bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
        if bns:
            saved = [m.momentum for m in bns]
            for m in bns:
                m.reset_running_stats()
                m.momentum = None                           # cumulative average over the pass
            model.train()
            model(x, features if model.takes_features else None)
            for m, momentum in zip(bns, saved):
                m.momentum = momentum
                # Small perturbations: in eval mode their scale errors compound over the depth.
                m.running_mean += (torch.rand(m.running_mean.shape, generator=gen) - 0.5) * 0.1 * m.running_var.sqrt()
                m.running_var *= torch.rand(m.running_var.shape, generator=gen) * 0.2 + 0.9
                m.num_batches_tracked.fill_(int(torch.randint(0, 1000, (1,), generator=gen)))
        model.eval()


def torch_output(model, x, features):
    model.eval()
    with torch.no_grad():
        return model(x, features if model.takes_features else None)


def compare(args, name, task, weights, x, features, input_path, tmp, env, model):
    out = os.path.join(tmp, "output.safetensors")
    run([args.ecgbench, "predict", name, "--task", task, "--weights", weights, "--input", input_path,
         "--out", out, "--threads", "1"], env)
    got = tm.read_safetensors(out)[0].get(model.output)
    if got is None:
        raise RuntimeError(f"{name}: ecgbench predict wrote no '{model.output}'")
    want = torch_output(model, x, features)
    if got.shape != want.shape:
        raise RuntimeError(f"{name}: ecgbench {model.output} {list(got.shape)}, torch {list(want.shape)}")
    return float((got - want).abs().max()), float(want.abs().max())


def report(rows, tol):
    bad, w = 0, max([28] + [len(r[0]) for r in rows])
    print(f"{'model':{w}} {'max |diff|':>12} {'max |output|':>12}")
    for name, diff, scale in rows:
        ok = diff <= tol
        bad += not ok
        print(f"{name:{w}} {diff:12.3e} {scale:12.3f}  {'ok' if ok else 'FAIL'}")
    print(f"{len(rows) - bad} of {len(rows)} models within {tol:g}")
    return 1 if bad else 0


def random_weights_mode(args, tmp, env):
    input_path = os.path.join(tmp, "input.safetensors")
    x, features, classes, names = export(args, args.task, args.split, args.n, input_path, env, args.data)
    print(f"{args.task}/{args.split}: {x.shape[0]} examples {list(x.shape[1:])}, {len(classes)} classes, "
          f"{len(names)} features; ecgbench {args.ecgbench}")
    rows = []
    for i, name in enumerate(args.models):
        gen = torch.Generator().manual_seed(args.seed + i)
        torch.manual_seed(args.seed + i)
        model = tm.build(name, x.shape[1], x.shape[2], len(classes), names)
        randomise(model, gen, x, features)
        weights = os.path.join(tmp, f"{name}.safetensors")
        tm.write_safetensors(weights, model.state_dict(), {"model": name, "task": args.task})
        # The torch side reads the file back too: both sides run on exactly the file's numbers.
        peer = tm.load_weights(tm.build(name, x.shape[1], x.shape[2], len(classes), names), weights)
        rows.append((name, *compare(args, name, args.task, weights, x, features, input_path, tmp, env, peer)))
    return report(rows, args.tol)


def weights_mode(args, tmp, env):
    rows = []
    for d in args.weights:
        with open(os.path.join(d, "manifest.json")) as f:
            man = json.load(f)
        name, task = man["model"], man["task"]
        data = args.data
        if not data:  # the manifest's data folder when it holds the task's data, else the bundled sample
            data = man.get("config", {}).get("data_dir") or os.environ.get("ECG_DATA_DIR") or "data"
            sub = os.path.join(data, task.split("-")[0])  # mitdb-aami* read mitdb/, cinc2017 cinc2017/
            if not os.path.isdir(sub):
                print(f"check_logits: no {sub}/: {os.path.basename(os.path.normpath(d))} is checked on the bundled "
                      f"datasets/sample (make data fetches the full sets)")
                data = os.path.join(ROOT, "datasets", "sample")
        input_path = os.path.join(tmp, "input.safetensors")
        x, features, classes, names = export(args, task, "test", args.n, input_path, env, data, man.get("seed"))
        weights = os.path.join(d, man.get("weights", "weights.safetensors"))
        model = tm.load_weights(tm.build(name, x.shape[1], x.shape[2], len(classes), names), weights)
        rows.append((f"{name} ({os.path.basename(os.path.normpath(d))})",
                     *compare(args, name, task, weights, x, features, input_path, tmp, env, model)))
    return report(rows, args.tol)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ecgbench", default=os.path.join(ROOT, "build", "release", "ecgbench"))
    p.add_argument("--task", default="mitdb-aami")
    p.add_argument("--split", default="test")
    p.add_argument("--data", help="data folder (default: datasets/sample for random weights; for --weights the "
                                  "manifest's, else $ECG_DATA_DIR or data/, when it holds the task's data, else "
                                  "datasets/sample)")
    p.add_argument("--n", type=int, default=4, help="examples to compare (default 4)")
    p.add_argument("--models", default=",".join(tm.MODELS), help="comma-separated (default: all)")
    p.add_argument("--weights", nargs="+", metavar="DIR", help="committed weights folders to check instead")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tol", type=float, default=1e-4)
    args = p.parse_args()
    args.models = [m for m in args.models.split(",") if m]
    for m in args.models:
        if m not in tm.MODELS:
            p.error(f"unknown model '{m}'; known: {' '.join(tm.MODELS)}")
    if not os.access(args.ecgbench, os.X_OK):
        p.error(f"{args.ecgbench} is not an executable (make builds it)")
    torch.set_num_threads(1)
    # PyTorch notes that padding='same' with an even kernel (resnet1d's 8) pads a copy: expected.
    warnings.filterwarnings("ignore", message="Using padding='same'")
    with tempfile.TemporaryDirectory(prefix="ecgbench_peer_") as tmp:
        env = dict(os.environ)
        try:
            if args.weights:
                return weights_mode(args, tmp, env)
            if not args.data:
                args.data = os.path.join(ROOT, "datasets", "sample")
                env.setdefault("ECG_CACHE_DIR", os.path.join(tmp, "cache"))  # leave data/cache alone
            return random_weights_mode(args, tmp, env)
        except (RuntimeError, ValueError, KeyError, OSError) as e:
            print(f"check_logits: {e}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
