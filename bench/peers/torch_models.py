"""torch.nn ports of every ecgbench registry model, and safetensors I/O without extra packages.

The ports' state_dict names and shapes are exactly the tensors of ecgbench's weights files
(models/: efficientecg.c, fusion.c, resnet1d.c, lstm.c, crnn.c, lstm_ae.c), so `load_weights(model,
path)` takes an ecgbench weights.safetensors unchanged. Inputs are in ecgbench's layout: x [N, T, C]
(time-major, channels last; transposed to PyTorch's [N, C, T] inside) and, for the fusion models,
features [N, F] whose columns are found by name, as ecgbench finds them.

    model = build("efficientecg-s", length=252, channels=1, classes=5, feature_names=names)
    load_weights(model, "models/weights/efficientecg-s-mitdb-aami/weights.safetensors")
    logits = model.eval()(x, features)

A classifier gives logits [N, K]; an autoencoder (lstm-ae) its reconstruction [N, T, C]. Each
model's `output` names what it gives as `ecgbench predict` names the tensor.

Needs torch and numpy only.
"""
import json
import math
import struct

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

MODELS = [
    "efficientecg-b0", "efficientecg-s", "efficientecg-fusion", "efficientecg-fusion-b0",
    "efficientecg-fusion-none", "efficientecg-fusion-agesex", "efficientecg-fusion-rr", "efficientecg-fusion-rhythm",
    "efficientecg-fusion-pwave", "efficientecg-fusion-ae", "efficientecg-fusion-all", "resnet1d", "resnet1d-18", "lstm", "bilstm", "crnn",
    "bicrnn", "lstm-ae",
]

# ---------------------------------------------------------------------------- safetensors

_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
           "I8": "i1", "U8": "u1", "BOOL": "?"}


def read_safetensors(path):
    """(tensors: name -> torch.Tensor, metadata: dict) of a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, e in header.items():
        if e["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name} has dtype {e['dtype']}, not supported here")
        begin, end = e["data_offsets"]
        a = np.frombuffer(data[begin:end], dtype=_DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(a.astype(a.dtype.newbyteorder("="), copy=True))
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """Writes name -> tensor (float32, float64, int64, int32, ...) little-endian, 8-byte aligned."""
    codes = {np.dtype(v): k for k, v in _DTYPES.items()}
    # Wider dtypes first, so every tensor is aligned to its element size.
    items = sorted(tensors.items(), key=lambda kv: -kv[1].element_size())
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in items:
        a = t.detach().cpu().contiguous().numpy()
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        code = codes[a.dtype]
        raw = a.tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def load_weights(model, path):
    """Loads an ecgbench weights file strictly: every tensor of the model's state_dict must be there
    with its exact shape, and the file may hold nothing else. Only BatchNorm's num_batches_tracked
    (a PyTorch-only counter, unused in eval) may be missing."""
    tensors, _ = read_safetensors(path)
    own = model.state_dict()
    problems = []
    for name, t in own.items():
        if name not in tensors:
            if not name.endswith("num_batches_tracked"):
                problems.append(f"missing {name} {list(t.shape)}")
        elif tuple(tensors[name].shape) != tuple(t.shape):
            problems.append(f"{name}: file {list(tensors[name].shape)}, model {list(t.shape)}")
    problems += [f"unexpected {name}" for name in tensors if name not in own]
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in tensors.items()}, strict=False)
    return model

# ---------------------------------------------------------------------------- building blocks


def conv1d(cin, cout, kernel, stride=1, groups=1):
    """Conv1d without bias and ecgbench's "same" padding: padding='same' at stride 1 (for an even
    kernel the extra sample goes on the right, as ecgbench's ecg_same_pad), (k-1)/2 on both sides
    for an odd kernel at a larger stride (ceil(T / stride) outputs)."""
    if stride == 1:
        return nn.Conv1d(cin, cout, kernel, stride, padding="same", groups=groups, bias=False)
    if kernel % 2 == 0:
        raise ValueError("even kernels at stride > 1 have no 'same' padding")
    return nn.Conv1d(cin, cout, kernel, stride, padding=(kernel - 1) // 2, groups=groups, bias=False)


class ConvBN(nn.Module):
    """prefix.conv (no bias) -> prefix.bn -> optional activation."""

    def __init__(self, cin, cout, kernel, stride=1, groups=1, eps=1e-5, momentum=0.1, act=None):
        super().__init__()
        self.conv = conv1d(cin, cout, kernel, stride, groups)
        self.bn = nn.BatchNorm1d(cout, eps=eps, momentum=momentum)
        self.act = act() if act else nn.Identity()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))

# ---------------------------------------------------------------------------- EfficientECG

# kernel, stride, expand, channels, repeats (EfficientNet-B0 in 1D: 3x3 -> 9 taps, 5x5 -> 25).
B0_STAGES = [(9, 1, 1, 16, 1), (9, 2, 6, 24, 2), (25, 2, 6, 40, 2), (9, 2, 6, 80, 3),
             (25, 1, 6, 112, 3), (25, 2, 6, 192, 4), (9, 1, 6, 320, 1)]
EFFNET_EPS, EFFNET_MOMENTUM = 1e-3, 0.01
SCALES = {"b0": (1.0, 1.0, 1280), "s": (0.5, 0.5, 640)}   # width, depth, head channels


def round_channels(c, width):
    scaled = c * width
    r = max(int(scaled + 4) // 8 * 8, 8)
    return r + 8 if r < 0.9 * scaled else r


def round_repeats(r, depth):
    return int(math.ceil(r * depth))


class SqueezeExcite(nn.Module):
    """GAP -> fc1 -> SiLU -> fc2 -> sigmoid -> scale (Linear layers on the pooled vector)."""

    def __init__(self, c, squeeze):
        super().__init__()
        self.fc1 = nn.Linear(c, squeeze)
        self.fc2 = nn.Linear(squeeze, c)

    def forward(self, x):                       # [N, C, T]
        s = torch.sigmoid(self.fc2(F.silu(self.fc1(x.mean(2)))))
        return x * s.unsqueeze(2)


class DropPath(nn.Module):
    """Stochastic depth: drops a sample's whole residual branch in training; identity in eval."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p <= 0:
            return x
        keep = (torch.rand(x.shape[0], 1, 1, device=x.device) >= self.p).to(x.dtype)
        return x * keep / (1 - self.p)


class MBConv(nn.Module):
    def __init__(self, cin, cout, kernel, stride, expand, drop_path):
        super().__init__()
        e = cin * expand
        self.expand = ConvBN(cin, e, 1, 1, 1, EFFNET_EPS, EFFNET_MOMENTUM, nn.SiLU) if expand > 1 else None
        self.dw = ConvBN(e, e, kernel, stride, e, EFFNET_EPS, EFFNET_MOMENTUM, nn.SiLU)
        self.se = SqueezeExcite(e, max(1, cin // 4))
        self.project = ConvBN(e, cout, 1, 1, 1, EFFNET_EPS, EFFNET_MOMENTUM)
        self.residual = stride == 1 and cin == cout
        self.drop_path = DropPath(drop_path) if self.residual and drop_path > 0 else nn.Identity()

    def forward(self, x):
        h = self.expand(x) if self.expand is not None else x
        h = self.project(self.se(self.dw(h)))
        return x + self.drop_path(h) if self.residual else h


class EfficientECGBackbone(nn.Module):
    """stem, blocks.{i}, head: ECG tokens [N, head, T'] of x [N, C, T]."""

    def __init__(self, channels, scale, drop_path=0.2):
        super().__init__()
        width, depth, head = SCALES[scale]
        c = round_channels(32, width)
        self.stem = ConvBN(channels, c, 9, 2, 1, EFFNET_EPS, EFFNET_MOMENTUM, nn.SiLU)
        total = sum(round_repeats(st[4], depth) for st in B0_STAGES)
        blocks = []
        for kernel, stride, expand, channels_out, repeats in B0_STAGES:
            out = round_channels(channels_out, width)
            for r in range(round_repeats(repeats, depth)):
                # Stochastic depth grows linearly with the block index, as in EfficientNet.
                p = drop_path * len(blocks) / total
                blocks.append(MBConv(c, out, kernel, stride if r == 0 else 1, expand, p))
                c = out
        self.blocks = nn.ModuleList(blocks)
        self.head = ConvBN(c, head, 1, 1, 1, EFFNET_EPS, EFFNET_MOMENTUM, nn.SiLU)
        self.head_channels = head

    def tokens(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        return self.head(x)


class EfficientECG(EfficientECGBackbone):
    def __init__(self, channels, classes, scale, dropout=0.2):
        super().__init__(channels, scale)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.head_channels, classes)

    def forward(self, x, features=None):
        return self.classifier(self.dropout(self.tokens(x.transpose(1, 2)).mean(2)))

# ---------------------------------------------------------------------------- EfficientECG-Fusion

D_MODEL, HEADS = 128, 4
# RR intervals relative to the patient's rhythm (models/fusion.c), side by side in the task's features.
RR_FEATURES = ["rr_pre_norm", "rr_post_norm", "rr_local_norm", "rr_pre_local", "rr_post_local"]
N_RR = len(RR_FEATURES)
# The P wave before the beat (datasets/fiducials.c); zeros beside p_present 0 when there is none.
P_FEATURES = ["p_present", "p_amp_mv", "p_width_s", "p_pr_s"]
N_P = len(P_FEATURES)
# How irregular the rhythm around the beat is (datasets/rr.c, ecg_rr_irregularity).
RHYTHM_FEATURES = ["rr_irregularity"]


class Fusion(nn.Module):
    """fusion.*: ECG tokens -> ecg_proj (keys, values); class token + feature tokens (queries);
    self-attention over the queries, residual + norm0; cross-attention, residual + norm1; mlp,
    residual + norm2."""

    def __init__(self, head_channels, agesex, rr, pwave, ae, rhythm=0):
        super().__init__()
        self.ecg_proj = nn.Linear(head_channels, D_MODEL)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D_MODEL))
        if agesex:
            self.age_proj = nn.Linear(2, D_MODEL)    # age / 100, age unknown
            self.sex_proj = nn.Linear(2, D_MODEL)    # male, sex unknown: {female, male, unknown}
        if rr:
            self.rr_proj = nn.Linear(N_RR, D_MODEL)  # RR_FEATURES
        if rhythm:
            self.rhythm_proj = nn.Linear(1, D_MODEL)  # RHYTHM_FEATURES
        if pwave:
            self.p_proj = nn.Linear(N_P, D_MODEL)    # P_FEATURES
        if ae:
            self.ae_proj = nn.Linear(LSTMEncoder.CODE, D_MODEL)  # the frozen lstm-ae encoder's code
        self.self_attn = nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True)
        self.norm0 = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.attn = nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True)
        self.norm1 = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.mlp = nn.Sequential(nn.Linear(D_MODEL, 2 * D_MODEL), nn.SiLU(), nn.Linear(2 * D_MODEL, D_MODEL))
        self.norm2 = nn.LayerNorm(D_MODEL, eps=1e-5)


class EfficientECGFusion(EfficientECGBackbone):
    def __init__(self, channels, classes, scale, feature_names, agesex, rr, pwave, ae, rhythm=0, dropout=0.2):
        super().__init__(channels, scale)
        self.fusion = Fusion(self.head_channels, agesex, rr, pwave, ae, rhythm)
        if ae:
            self.ae = LSTMEncoder(channels)     # ae.*: lstm-ae's encoder (frozen when ecgbench trains)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * D_MODEL, classes)
        names = list(feature_names or [])

        def column(wanted):
            col = names.index(wanted[0]) if wanted[0] in names else -1
            if col < 0 or names[col:col + len(wanted)] != wanted:
                raise ValueError(f"the fusion model needs the features {wanted} side by side")
            return col

        # (projection, first column, width) per feature token, in ecgbench's query order.
        self.feature_tokens = []
        if agesex:
            self.feature_tokens += [("age_proj", column(["age", "age_unknown"]), 2),
                                    ("sex_proj", column(["sex_male", "sex_unknown"]), 2)]
        if rr:
            self.feature_tokens.append(("rr_proj", column(RR_FEATURES), N_RR))
        if rhythm:
            self.feature_tokens.append(("rhythm_proj", column(RHYTHM_FEATURES), 1))
        if pwave:
            self.feature_tokens.append(("p_proj", column(P_FEATURES), N_P))

    def forward(self, x, features=None):
        f = self.fusion
        kv = f.ecg_proj(self.tokens(x.transpose(1, 2)).transpose(1, 2))       # [N, T', 128]
        queries = [f.cls_token.expand(x.shape[0], -1, -1)]
        for proj, col, width in self.feature_tokens:
            queries.append(getattr(f, proj)(features[:, col:col + width]).unsqueeze(1))
        if hasattr(self, "ae"):
            queries.append(f.ae_proj(self.ae.encode(x)).unsqueeze(1))
        q = torch.cat(queries, 1)                                             # [N, 1 + tokens, 128]
        s, _ = f.self_attn(q, q, q, need_weights=False)
        q = f.norm0(q + s)
        a, _ = f.attn(q, kv, kv, need_weights=False)
        h = f.norm1(q + a)
        h = f.norm2(h + f.mlp(h))
        z = torch.cat([kv.mean(1), h[:, 0]], 1)                               # [N, 256]
        return self.classifier(self.dropout(z))

# ---------------------------------------------------------------------------- baselines


class BNShortcut(nn.Module):
    """A shortcut that is BatchNorm alone (resnet1d's last block, as in Wang et al.'s code)."""

    def __init__(self, c):
        super().__init__()
        self.bn = nn.BatchNorm1d(c)

    def forward(self, x):
        return self.bn(x)


class WangBlock(nn.Module):
    def __init__(self, cin, width):
        super().__init__()
        self.conv1 = ConvBN(cin, width, 8, act=nn.ReLU)
        self.conv2 = ConvBN(width, width, 5, act=nn.ReLU)
        self.conv3 = ConvBN(width, width, 3)
        self.shortcut = ConvBN(cin, width, 1) if cin != width else BNShortcut(width)

    def forward(self, x):
        return F.relu(self.conv3(self.conv2(self.conv1(x))) + self.shortcut(x))


class ResNet1D(nn.Module):
    """Wang et al. 2017: three blocks of 64, 128, 128 channels, kernels 8-5-3, GAP, fc."""

    def __init__(self, channels, classes, dropout=0.0):
        super().__init__()
        self.blocks = nn.ModuleList([WangBlock(channels, 64), WangBlock(64, 128), WangBlock(128, 128)])
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(128, classes)

    def forward(self, x, features=None):
        x = x.transpose(1, 2)
        for b in self.blocks:
            x = b(x)
        return self.fc(self.dropout(x.mean(2)))


class BasicBlock(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        self.conv1 = ConvBN(cin, width, 7, stride, act=nn.ReLU)
        self.conv2 = ConvBN(width, width, 7)
        self.shortcut = ConvBN(cin, width, 1, stride) if stride != 1 or cin != width else None

    def forward(self, x):
        sc = self.shortcut(x) if self.shortcut is not None else x
        return F.relu(self.conv2(self.conv1(x)) + sc)


class Stem18(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = conv1d(channels, 64, 15, 2)
        self.bn = nn.BatchNorm1d(64)
        self.pool = nn.MaxPool1d(3, 2, padding=1)

    def forward(self, x):
        return self.pool(F.relu(self.bn(self.conv(x))))


class ResNet1D18(nn.Module):
    """Basic-block ResNet-18 in 1D: stem (k15, s2) + max pool, layers of 64/128/256/512 (k7), fc."""

    def __init__(self, channels, classes, dropout=0.0):
        super().__init__()
        self.stem = Stem18(channels)
        layers, cin = [], 64
        for s in range(4):
            width = 64 << s
            layers.append(nn.Sequential(BasicBlock(cin, width, 2 if s > 0 else 1), BasicBlock(width, width, 1)))
            cin = width
        self.layers = nn.ModuleList(layers)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(512, classes)

    def forward(self, x, features=None):
        x = self.stem(x.transpose(1, 2))
        for layer in self.layers:
            x = layer(x)
        return self.fc(self.dropout(x.mean(2)))


class LSTMClassifier(nn.Module):
    """The signal in frames of FRAME samples ([N, T, C] -> [N, T / FRAME, FRAME * C], no parameters),
    nn.LSTM(FRAME * C, 128, 2 layers, batch_first); the top layer's h_n (forward, then backward) -> fc."""

    FRAME = 12

    def __init__(self, channels, classes, bidirectional, dropout=0.0):
        super().__init__()
        self.lstm = nn.LSTM(self.FRAME * channels, 128, num_layers=2, batch_first=True, bidirectional=bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(128 * (2 if bidirectional else 1), classes)

    def forward(self, x, features=None):
        n, t, c = x.shape
        _, (h_n, _) = self.lstm(x.reshape(n, t // self.FRAME, self.FRAME * c))
        h = torch.cat([h_n[-2], h_n[-1]], 1) if self.lstm.bidirectional else h_n[-1]
        return self.fc(self.dropout(h))


class ConvBNPool(ConvBN):
    """prefix.conv (k7, "same", no bias) -> prefix.bn -> ReLU -> max pool (k = stride, padding k // 2:
    floor(T / k) + 1 outputs, so any length >= 1 works and no sample is dropped)."""

    def __init__(self, cin, cout, pool):
        super().__init__(cin, cout, 7, act=nn.ReLU)
        self.pool = nn.MaxPool1d(pool, pool, padding=pool // 2)

    def forward(self, x):
        return self.pool(super().forward(x))


class CRNNClassifier(nn.Module):
    """models/crnn.c: blocks.{0..3} (ConvBNPool; 32/64/128/128 channels, pools 4/4/2/2: 64x fewer
    steps), then LSTMClassifier's nn.LSTM(128, 128, 2 layers, batch_first) and last state -> fc."""

    CHANNELS, POOLS = (32, 64, 128, 128), (4, 4, 2, 2)

    def __init__(self, channels, classes, bidirectional, dropout=0.0):
        super().__init__()
        blocks, cin = [], channels
        for width, pool in zip(self.CHANNELS, self.POOLS):
            blocks.append(ConvBNPool(cin, width, pool))
            cin = width
        self.blocks = nn.ModuleList(blocks)
        self.lstm = nn.LSTM(cin, 128, num_layers=2, batch_first=True, bidirectional=bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(128 * (2 if bidirectional else 1), classes)

    def forward(self, x, features=None):
        x = x.transpose(1, 2)
        for b in self.blocks:
            x = b(x)
        _, (h_n, _) = self.lstm(x.transpose(1, 2))
        h = torch.cat([h_n[-2], h_n[-1]], 1) if self.lstm.bidirectional else h_n[-1]
        return self.fc(self.dropout(h))


class LSTMEncoder(nn.Module):
    """lstm-ae's encoder (ecg_lstm_ae_encoder): the window in LSTMClassifier's frames, encoder
    nn.LSTM(FRAME * C, 64) and its last state h_n -> code nn.Linear(64, 16)."""

    FRAME, HIDDEN, CODE = LSTMClassifier.FRAME, 64, 16

    def __init__(self, channels):
        super().__init__()
        self.encoder = nn.LSTM(self.FRAME * channels, self.HIDDEN, batch_first=True)
        self.code = nn.Linear(self.HIDDEN, self.CODE)

    def encode(self, x):                        # [N, T, C] -> [N, 16]
        n, t, c = x.shape
        _, (h_n, _) = self.encoder(x.reshape(n, t // self.FRAME, self.FRAME * c))
        return self.code(h_n[-1])


class LSTMAutoencoder(LSTMEncoder):
    """models/lstm_ae.c: the encoder's code added onto decoder_pos [1, T / FRAME, 16] (a learned
    vector per step), decoder nn.LSTM(16, 64) over every step, head nn.Linear(64, FRAME * C) per
    step, reshaped to the input's [N, T, C]."""

    def __init__(self, length, channels):
        super().__init__(channels)
        self.decoder_pos = nn.Parameter(torch.zeros(1, length // self.FRAME, self.CODE))
        self.decoder = nn.LSTM(self.CODE, self.HIDDEN, batch_first=True)
        self.head = nn.Linear(self.HIDDEN, self.FRAME * channels)

    def forward(self, x, features=None):
        y, _ = self.decoder(self.decoder_pos + self.encode(x)[:, None, :])
        return self.head(y).reshape(x.shape)

# ---------------------------------------------------------------------------- registry


def build(name, length, channels, classes, feature_names=()):
    """The port of ecgbench model `name` for examples [length, channels] and `classes` classes (which
    an autoencoder ignores), with the task's feature columns (used by the fusion models), as
    ecgbench's ecg_model_cfg."""
    if length < 1 or channels < 1 or classes < 2:
        raise ValueError(f"{name}: input [{length}, {channels}] with {classes} classes is not a classification problem")
    # scale, age/sex, RR, P-wave, autoencoder, rhythm tokens (models/registry.c)
    fusion = {"efficientecg-fusion": ("s", 1, 1, 0, 0), "efficientecg-fusion-b0": ("b0", 1, 1, 0, 0),
              "efficientecg-fusion-none": ("s", 0, 0, 0, 0), "efficientecg-fusion-agesex": ("s", 1, 0, 0, 0),
              "efficientecg-fusion-rr": ("s", 0, 1, 0, 0), "efficientecg-fusion-pwave": ("s", 0, 0, 1, 0),
              "efficientecg-fusion-ae": ("s", 0, 0, 0, 1), "efficientecg-fusion-all": ("s", 1, 1, 1, 1),
              "efficientecg-fusion-rhythm": ("s", 0, 1, 0, 0, 1)}
    if name == "efficientecg-b0":
        m = EfficientECG(channels, classes, "b0")
    elif name == "efficientecg-s":
        m = EfficientECG(channels, classes, "s")
    elif name in fusion:
        m = EfficientECGFusion(channels, classes, *fusion[name][:1], feature_names, *fusion[name][1:])
    elif name == "resnet1d":
        m = ResNet1D(channels, classes)
    elif name == "resnet1d-18":
        m = ResNet1D18(channels, classes)
    elif name in ("lstm", "bilstm", "lstm-ae"):
        if length % LSTMClassifier.FRAME:
            raise ValueError(f"{name}: input length {length} is not a multiple of the {LSTMClassifier.FRAME}-sample frame")
        m = LSTMAutoencoder(length, channels) if name == "lstm-ae" else LSTMClassifier(channels, classes, name == "bilstm")
    elif name in ("crnn", "bicrnn"):
        m = CRNNClassifier(channels, classes, name == "bicrnn")
    else:
        raise ValueError(f"unknown model '{name}'; known: {' '.join(MODELS)}")
    m.ecg_input = (length, channels)
    m.takes_features = bool(getattr(m, "feature_tokens", None))
    m.output = "reconstruction" if isinstance(m, LSTMAutoencoder) else "logits"
    return m
