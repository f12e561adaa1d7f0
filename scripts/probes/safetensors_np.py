"""The one safetensors reader of the probes (numpy only; Debian has no python3-safetensors).

read(path) -> (arrays, metadata): every tensor as a read-only numpy array over the file's bytes,
and the header's __metadata__ (an empty dict when there is none). Only the dtypes ecgbench writes.
"""
import json
import struct

import numpy as np

DTYPES = {"F32": np.float32, "I64": np.int64}


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    metadata = header.pop("__metadata__", {})
    arrays = {}
    for name, t in header.items():
        start, end = t["data_offsets"]
        arrays[name] = np.frombuffer(blob[8 + n + start:8 + n + end], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
    return arrays, metadata
