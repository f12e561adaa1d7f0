#!/usr/bin/env python3
"""Writes docs/models.md: each registry model's PyTorch module tree (the torch.nn port of
bench/peers/torch_models.py, sized for mitdb-aami), every module that holds tensors with its repr
and tensor shapes. Runs of identical blocks are folded into one entry ("blocks.4-5"). Parameter
counts are checked against `ecgbench models` (exit 1 on a difference); the names and shapes are
checked by check_logits.py, whose weights ecgbench loads strictly.

    module_trees.py [--ecgbench build/release/ecgbench] [--out docs/models.md]
"""
import argparse
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MITDB_FEATURES = ["rr_pre_s", "rr_post_s", "rr_local_s", "rr_pre_norm", "rr_post_norm", "rr_local_norm",
                  "rr_pre_local", "rr_post_local", "age", "age_unknown", "sex_male", "sex_unknown",
                  "p_present", "p_amp_mv", "p_width_s", "p_pr_s", "rr_irregularity"]


def short(module):
    """A compact one-line description of a leaf module and its tensors."""
    nn = tm.nn
    if isinstance(module, nn.Conv1d):
        pad = module.padding if isinstance(module.padding, str) else module.padding[0]
        g = f", groups {module.groups}" if module.groups > 1 else ""
        return (f"Conv1d({module.in_channels}->{module.out_channels}, k{module.kernel_size[0]}, "
                f"s{module.stride[0]}, pad {pad}{g}, no bias) {list(module.weight.shape)}")
    if isinstance(module, nn.BatchNorm1d):
        return f"BatchNorm1d({module.num_features}, eps {module.eps:g}) 4 x [{module.num_features}]"
    if isinstance(module, nn.Linear):
        return f"Linear weight {list(module.weight.shape)}, bias {list(module.bias.shape)}"
    if isinstance(module, nn.LayerNorm):
        return f"LayerNorm({module.normalized_shape[0]}, eps {module.eps:g}) weight, bias [{module.normalized_shape[0]}]"
    if isinstance(module, nn.MultiheadAttention):
        return (f"MultiheadAttention({module.embed_dim}, {module.num_heads} heads, batch_first) in_proj_weight "
                f"{list(module.in_proj_weight.shape)}, in_proj_bias {list(module.in_proj_bias.shape)}")
    own = [f"{n} {list(t.shape)}" for n, t in module.named_parameters(recurse=False)]
    if isinstance(module, nn.LSTM):
        return (f"LSTM({module.input_size}, {module.hidden_size}, layers {module.num_layers}, batch_first"
                f"{', bidirectional' if module.bidirectional else ''}): " + ", ".join(own))
    return f"{type(module).__name__}: " + ", ".join(own)


def lines_of(model, skip=()):
    """(name, text) for each module holding tensors; a ConvBN (conv + bn) is one line. Parameters of
    the model itself (lstm-ae's decoder_pos) come first, as in its state_dict."""
    out = [(name, f"Parameter {list(t.shape)}") for name, t in model.named_parameters(recurse=False)]
    inside = []
    for name, m in model.named_modules():
        if not name or any(name.startswith(p + ".") for p in inside) or name.split(".")[0] in skip:
            continue
        if isinstance(m, tm.ConvBN):
            inside.append(name)
            text = f"{short(m.conv)} + bn {short(m.bn).split(')')[0]})"
            if isinstance(m, tm.ConvBNPool):    # crnn: ReLU and a max pool, no tensors
                p = m.pool
                text += f" + ReLU + MaxPool1d(k{p.kernel_size}, s{p.stride}, pad {p.padding})"
            out.append((name, text))
        elif any(True for _ in m.parameters(recurse=False)):
            out.append((name, short(m)))
    return out


def fold(lines):
    """Folds runs of consecutive blocks (blocks.i / layers.s.b) whose entries are identical."""
    groups = []    # [(first index, last index, prefix, [(suffix, text)])] or (None, name, text)
    for name, text in lines:
        m = re.match(r"^(blocks)\.(\d+)\.(.*)$", name)
        if not m:
            groups.append((None, name, text))
            continue
        idx, rest = int(m.group(2)), m.group(3)
        if groups and groups[-1][0] == "block" and groups[-1][2] == idx:
            groups[-1][3].append((rest, text))
        else:
            groups.append(["block", idx, idx, [(rest, text)]])
    merged = []
    for g in groups:
        if g[0] == "block" and merged and merged[-1][0] == "block" and merged[-1][3] == g[3] \
                and merged[-1][2] + 1 == g[1]:
            merged[-1][2] = g[2]
        else:
            merged.append(list(g) if g[0] == "block" else g)
    out = []
    for g in merged:
        if g[0] is None:
            out.append(f"{g[1]:26} {g[2]}")
            continue
        label = f"blocks.{g[1]}" if g[1] == g[2] else f"blocks.{g[1]}-{g[2]}"
        for rest, text in g[3]:
            out.append(f"{label + '.' + rest:26} {text}")
    return out


def ecgbench_params(binary):
    counts = {}
    for line in subprocess.run([binary, "models"], capture_output=True, text=True, check=True).stdout.splitlines()[1:]:
        parts = line.split()
        counts[parts[0]] = int(parts[1])
    return counts


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ecgbench", default=os.path.join(ROOT, "build", "release", "ecgbench"))
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "models.md"))
    args = p.parse_args()
    counts = ecgbench_params(args.ecgbench)
    doc = ["# Module trees",
           "",
           "Generated by `bench/peers/module_trees.py` from the torch.nn ports in `bench/peers/torch_models.py`",
           "(sized for mitdb-aami: input [252, 1], 5 classes, 12 features). Every tensor of a model's",
           "`state_dict` is listed under its module, with PyTorch's shapes (Conv1d [out, in/groups, k], Linear",
           "[out, in]); BatchNorm's `num_batches_tracked` is left out (ecgbench writes it, as 0, and ignores",
           "it on load). These names and shapes are exactly the tensors of ecgbench's weights files:",
           "`make peer-check` has ecgbench load the ports' weights strictly and compares the logits (an",
           "autoencoder's reconstruction [N, T, C]).",
           "Runs of identical blocks are folded (`blocks.4-5`). The ports take ecgbench's layout, x [N, T, C]",
           "(and features [N, F] for the fusion models), and transpose to [N, C, T] inside.",
           ""]
    bad = 0
    for name in tm.MODELS:
        model = tm.build(name, 252, 1, 5, MITDB_FEATURES)
        n = sum(t.numel() for t in model.parameters())
        if counts.get(name) != n:
            print(f"module_trees: {name}: {n} parameters in the port, {counts.get(name)} in ecgbench", file=sys.stderr)
            bad = 1
        doc += [f"## {name}", "", f"{n:,} parameters (`ecgbench models`: {counts.get(name, 0):,}).", "", "```"]
        if name.startswith("efficientecg-fusion"):
            # The backbone is efficientecg-s's (-b0's for fusion-b0) without its classifier.
            base = "efficientecg-b0" if name.endswith("-b0") else "efficientecg-s"
            doc += [f"{'stem, blocks, head':26} as {base}"]
            doc += fold(lines_of(model, skip=("stem", "blocks", "head")))
        else:
            doc += fold(lines_of(model))
        doc += ["```", ""]
    with open(args.out, "w") as f:
        f.write("\n".join(doc))
    print(f"wrote {args.out}")
    return bad


if __name__ == "__main__":
    sys.exit(main())
