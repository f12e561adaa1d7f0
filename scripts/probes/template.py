#!/usr/bin/env python3
"""Does setting a beat against its record's median beat help a classifier reach new patients? (issue 20)

A check behind mitdb-aami-template and its make select candidate, not part of the product. DS1 only:
record-grouped 5-fold CV over DS1's 22 records (fold = record index mod 5, in DS1's order), three
inputs, each the beat (every 6th sample of MLII) and the five relative RR features plus:
  beat+rr        nothing more
  beat+diff+rr   the beat minus its record's median beat (mitdb-aami-template's channel 1)
  beat+tmpl+rr   the median beat itself
Classifier: `lr` (logistic regression, balanced class weights) or `mlp` (one hidden layer of 64,
unweighted, random_state 0). Needs python3-numpy and python3-sklearn. Usage:
  ecgbench data export mitdb-aami-template --split ds1 --out /tmp/ds1.safetensors
  scripts/probes/template.py /tmp/ds1.safetensors mlp
"""
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from safetensors_np import read

RR_COLUMNS = slice(3, 8)  # datasets/task_mitdb.c feature order: the relative RR features
R_PEAK = 90               # the annotated beat's sample in the window


def main():
    d = read(sys.argv[1])[0]
    mode = sys.argv[2] if len(sys.argv) > 2 else "mlp"
    x, y, f = d["x"], d["y"], d["features"]
    beat, diff = x[:, ::6, 0], x[:, ::6, 1]
    # records are contiguous; beat - diff (the median beat) at the R peak changes only between them
    median_at_r = x[:, R_PEAK, 0] - x[:, R_PEAK, 1]
    record = np.cumsum(np.r_[0, np.abs(np.diff(median_at_r)) > 1e-4])
    fold = record % 5
    print(f"{record.max() + 1} records, {len(y)} beats, per class {np.bincount(y, minlength=5)}")
    inputs = {"beat+rr": np.c_[beat, f[:, RR_COLUMNS]],
              "beat+diff+rr": np.c_[beat, diff, f[:, RR_COLUMNS]],
              "beat+tmpl+rr": np.c_[beat, beat - diff, f[:, RR_COLUMNS]]}
    for name, X in inputs.items():
        pred = np.zeros_like(y)
        for k in range(5):
            train, test = fold != k, fold == k
            mu, sd = X[train].mean(0), X[train].std(0) + 1e-6
            if mode == "lr":
                m = LogisticRegression(max_iter=300, class_weight="balanced", C=0.1)
            else:
                m = MLPClassifier(hidden_layer_sizes=(64,), max_iter=60, random_state=0)
            m.fit((X[train] - mu) / sd, y[train])
            pred[test] = m.predict((X[test] - mu) / sd)
        c = np.zeros((5, 5), int)
        np.add.at(c, (y, pred), 1)
        se = np.diag(c) / np.maximum(c.sum(1), 1)
        ppv = np.diag(c) / np.maximum(c.sum(0), 1)
        per = " ".join(f"{k} {se[i]:.3f}/{ppv[i]:.3f}" for i, k in enumerate("NSVF"))
        print(f"{name:14s} acc {np.trace(c) / c.sum():.3f}  Se/PPV {per}  N->S {c[0, 1]} N->V {c[0, 2]} N->F {c[0, 3]}")


if __name__ == "__main__":
    main()
