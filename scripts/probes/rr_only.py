#!/usr/bin/env python3
"""How far the five relative RR features alone go on mitdb-aami's validation records (issue 20).

A check behind scripts/select.sh's candidate list, not part of the product: a small MLP (PyTorch) on
rr_pre_norm .. rr_post_local (and their logs), trained on the train split with inverse class weights
capped at CAP, scored on the val split (never the test split). Usage:
  ecgbench data export mitdb-aami --split train --out /tmp/train.safetensors
  ecgbench data export mitdb-aami --split val --out /tmp/val.safetensors
  scripts/probes/rr_only.py /tmp/train.safetensors /tmp/val.safetensors 1.5 16 100
"""
import sys

import numpy as np
import torch

from safetensors_np import read

RR_COLUMNS = [3, 4, 5, 6, 7]  # datasets/task_mitdb.c feature order: the relative RR features
CLASSES = "NSVFQ"


def features(d):
    f = d["features"][:, RR_COLUMNS]
    return np.concatenate([f, np.log(f)], 1)


def main():
    train, val = read(sys.argv[1])[0], read(sys.argv[2])[0]
    xt, yt, xv, yv = features(train), train["y"], features(val), val["y"]
    mu, sd = xt.mean(0), xt.std(0)
    xt, xv = torch.tensor((xt - mu) / sd, dtype=torch.float32), torch.tensor((xv - mu) / sd, dtype=torch.float32)
    counts = np.bincount(yt, minlength=len(CLASSES)).astype(float)
    inverse = torch.tensor(counts.sum() / np.maximum(counts, 1), dtype=torch.float32)
    for cap in map(float, sys.argv[3:]):
        torch.manual_seed(0)
        weights = torch.clamp(inverse / inverse[0], max=cap)
        mlp = torch.nn.Sequential(torch.nn.Linear(xt.shape[1], 32), torch.nn.ReLU(), torch.nn.Linear(32, len(CLASSES)))
        opt = torch.optim.Adam(mlp.parameters(), 1e-2)
        for _ in range(300):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(mlp(xt), torch.tensor(yt), weight=weights).backward()
            opt.step()
        pred = mlp(xv).argmax(1).numpy()
        cells = []
        for c in (1, 2):  # S, V
            tp = int(((pred == c) & (yv == c)).sum())
            cells.append(f"{CLASSES[c]} Se {tp / max((yv == c).sum(), 1):.3f} PPV {tp / max((pred == c).sum(), 1):.3f}")
        print(f"cap {cap:g}: val accuracy {(pred == yv).mean():.3f}, " + ", ".join(cells))


if __name__ == "__main__":
    main()
