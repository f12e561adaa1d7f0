#!/usr/bin/env python3
"""Rebuilds datasets/sample/ from full copies of the data sets (a one-off tool, kept so the trim is
reproducible and reviewable; the suite itself never runs it).

usage: make_sample.py MITDB_DIR CINC_TRAINING2017_DIR OUT_DIR

MIT-BIH records 100, 119, 208 are cut to their first 5 minutes (108000 frames): the .dat keeps
the first 108000 * 3 bytes (format 212, 2 signals), the header's sample count and per-signal
checksums (16-bit two's complement sums of the kept samples) are rewritten, and the .atr keeps
the annotations before sample 108000 followed by the end-of-file word. The CinC 2017 sample
takes the first 5 records of each class in REFERENCE.csv order, unchanged.
"""
import os, shutil, sys

KEEP = 108000          # 5 min at 360 Hz
MITDB = ["100", "119", "208"]


def decode_212(buf, n_frames):
    """Two 12-bit signals per 3 bytes; returns ([sig0], [sig1])."""
    s0, s1 = [], []
    for f in range(n_frames):
        b0, b1, b2 = buf[3 * f], buf[3 * f + 1], buf[3 * f + 2]
        a = b0 | ((b1 & 0x0F) << 8)
        b = b2 | ((b1 & 0xF0) << 4)
        s0.append(a - 4096 if a & 0x800 else a)
        s1.append(b - 4096 if b & 0x800 else b)
    return s0, s1


def checksum16(values):
    c = sum(values) & 0xFFFF
    return c - 0x10000 if c & 0x8000 else c


def trim_atr(buf, keep):
    """Byte offset where the first annotation at or after `keep` (with its SKIPs) starts."""
    t, at, group = 0, 0, 0
    while at + 1 < len(buf):
        w = buf[at] | (buf[at + 1] << 8)
        code, val = w >> 10, w & 0x3FF
        if w == 0:
            return at
        if code == 59:        # SKIP: 32-bit interval follows, high 16 bits first (PDP-11 order)
            hi = buf[at + 2] | (buf[at + 3] << 8)
            lo = buf[at + 4] | (buf[at + 5] << 8)
            skip = (hi << 16) | lo
            if skip >= 1 << 31:
                skip -= 1 << 32
            t += skip
            at += 6
            continue
        if code == 63:        # AUX: val bytes, padded to even
            at += 2 + val + (val & 1)
            group = at
            continue
        if code in (60, 61, 62):  # NUM, SUB, CHN modify the annotation before them
            at += 2
            group = at
            continue
        t += val              # an annotation: its time is the running sum of intervals
        if t >= keep:
            return group
        at += 2
        group = at
    raise SystemExit("annotation file without an end-of-file word")


def main():
    mitdb, cinc, out = sys.argv[1:4]
    os.makedirs(f"{out}/mitdb", exist_ok=True)
    for rec in MITDB:
        lines = open(f"{mitdb}/{rec}.hea").read().splitlines()
        dat = open(f"{mitdb}/{rec}.dat", "rb").read()
        first = lines[0].split()
        n_full = int(first[3])
        full0, full1 = decode_212(dat, n_full)
        sigs = [l.split() for l in lines[1:3]]
        # The decoder must reproduce the published checksums before its output is trusted.
        assert [checksum16(full0), checksum16(full1)] == [int(s[6]) for s in sigs], rec
        assert [full0[0], full1[0]] == [int(s[5]) for s in sigs], rec
        first[3] = str(KEEP)
        new = [" ".join(first)]
        for s, sig in zip(sigs, (full0[:KEEP], full1[:KEEP])):
            s[6] = str(checksum16(sig))
            new.append(" ".join(s))
        new += lines[3:]
        open(f"{out}/mitdb/{rec}.hea", "w").write("\n".join(new) + "\n")
        open(f"{out}/mitdb/{rec}.dat", "wb").write(dat[: 3 * KEEP])
        atr = open(f"{mitdb}/{rec}.atr", "rb").read()
        cut = trim_atr(atr, KEEP)
        open(f"{out}/mitdb/{rec}.atr", "wb").write(atr[:cut] + b"\x00\x00")
    os.makedirs(f"{out}/cinc2017/training2017", exist_ok=True)
    picked, per = [], {}
    for line in open(f"{cinc}/REFERENCE.csv").read().splitlines():
        name, label = line.strip().split(",")
        if label in "NAO~" and len(label) == 1 and per.get(label, 0) < 5:
            per[label] = per.get(label, 0) + 1
            picked.append((name, label))
    for name, _ in picked:
        for ext in (".mat", ".hea"):
            shutil.copyfile(f"{cinc}/{name}{ext}", f"{out}/cinc2017/training2017/{name}{ext}")
    with open(f"{out}/cinc2017/training2017/REFERENCE.csv", "w") as f:
        f.writelines(f"{n},{l}\n" for n, l in picked)


if __name__ == "__main__":
    main()
