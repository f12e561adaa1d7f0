#!/usr/bin/env python3
"""Does the rhythm's irregularity around a beat help find S beats in new patients? (issue 20)

A check behind scripts/select.sh's efficientecg-fusion-rhythm candidate, not part of the product:
a small MLP (scikit-learn, python3-sklearn) on the five relative RR features, with and without
rr_irregularity (datasets/rr.c), in a 5-fold cross-validation grouped by record over DS1 (never
DS2), class weights as the square root of the inverse frequency (by repeating examples). Usage:
  ecgbench data export mitdb-aami --split ds1 --out /tmp/ds1.safetensors
  scripts/probes/rr_irregularity.py /tmp/ds1.safetensors
"""
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from safetensors_np import read


def records(f, names):
    """A record id per beat: rr_pre_s / rr_pre_norm is the record's mean RR, constant within a
    record (beats come record by record)."""
    mean_rr = f[:, names.index("rr_pre_s")] / f[:, names.index("rr_pre_norm")]
    return np.cumsum(np.r_[0, np.abs(np.diff(mean_rr)) > 1e-4])


def cross_validate(x, y, groups):
    pred = np.zeros(len(y), int)
    for train, test in GroupKFold(5).split(x, y, groups):
        scale = StandardScaler().fit(x[train])
        count = np.bincount(y[train], minlength=5)
        repeat = np.round(np.sqrt(count.max() / np.maximum(count, 1)))[y[train]].astype(int)
        rows = np.repeat(train, repeat)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net = MLPClassifier((32, 16), max_iter=60, random_state=0).fit(scale.transform(x[rows]), y[rows])
        pred[test] = net.predict(scale.transform(x[test]))
    return pred


def main():
    d, meta = read(sys.argv[1])
    names = meta["features"].split(",")
    f, y = d["features"].astype(np.float64), d["y"]
    groups = records(f, names)
    rr = ["rr_pre_norm", "rr_post_norm", "rr_local_norm", "rr_pre_local", "rr_post_local"]
    print(f"DS1: {len(y)} beats, {len(np.unique(groups))} records")
    for label, cols in (("RR", rr), ("RR + irregularity", rr + ["rr_irregularity"])):
        p = cross_validate(f[:, [names.index(c) for c in cols]], y, groups)
        s_se = (p[y == 1] == 1).mean()
        s_ppv = (y[p == 1] == 1).mean()
        print(f"{label:18} S Se {s_se:.3f} PPV {s_ppv:.3f}  N->S {((p == 1) & (y == 0)).sum()}  "
              f"accuracy {(p == y).mean():.3f}")


if __name__ == "__main__":
    main()
