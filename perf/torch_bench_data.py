"""Inputs of perf/torch_bench.py, read exactly as sparsetrain-bench reads them
(perf/bench/sparsity_map.cpp, layer_file.cpp): VGG16's conv layers (perf/data/shapes), the
ReLU sparsity profiles and the per-occurrence mapping (perf/data/mapping), and
sparsetrain-bench's per-task CSV (for its ratio per layer)."""

import csv
import os
import re
from typing import Dict, List, NamedTuple

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


class Layer(NamedTuple):
    name: str          # occurrence name, e.g. conv3_3
    c: int
    h: int
    k: int             # output channels
    kernel: int
    stride: int
    pad: int
    initial: bool      # the network's first layer
    src_sparsity: float
    diff_dst_sparsity: float
    src_source: str
    diff_dst_source: str


def _content_lines(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                yield line


def read_shapes(path) -> Dict[str, dict]:
    """benchdnn lines 'ic64ih224oc64oh224kh3ph1n"vgg_16:conv1_2*2"' -> {'conv1_2': dims}."""
    out = {}
    for i, line in enumerate(_content_lines(path)):
        m = re.fullmatch(r'(.*?)n"([^"]*)"', line)
        if not m:
            raise ValueError(f"{path}: line without a name: {line}")
        dims = {k: int(v) for k, v in re.findall(r"([a-z]+)(\d+)", m.group(1))}
        name = m.group(2).split(":")[-1].split("*")[0]
        out[name] = dict(ic=dims["ic"], ih=dims["ih"], oc=dims["oc"], kh=dims.get("kh", 1), sh=dims.get("sh", 1),
                         ph=dims.get("ph", 0), initial=(i == 0))
    return out


def read_profile(path, network: str, column: str) -> Dict[str, float]:
    """{row name or relu_index: sparsity} of one network and one column (e.g. final_epoch)."""
    rows = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["network"] == network:
                v = float(r[column])
                rows[r["relu_index"]] = v
                if r["layer_name"]:
                    rows[r["layer_name"]] = v
    if not rows:
        raise ValueError(f"{path}: no rows for network {network}")
    return rows


def apply_rule(rule: str, profile: Dict[str, float]) -> float:
    """dense = 0; row:R = the row; pool:R = max(0.75, row R); not_needed = 0 (not run)."""
    if rule in ("dense", "not_needed"):
        return 0.0
    kind, _, ref = rule.partition(":")
    if kind not in ("row", "pool") or ref not in profile:
        raise ValueError(f"sparsity rule {rule!r}: unknown rule or profile row")
    return max(0.75, profile[ref]) if kind == "pool" else profile[ref]


def vgg16_layers(profile_column: str = "final_epoch") -> List[Layer]:
    """Every VGG16 conv occurrence with the sparsity of its input (FWD / BWD-weights) and of
    its output gradient (BWD-data) in the given profile column."""
    shapes = read_shapes(os.path.join(DATA, "shapes", "vgg_16"))
    profile = read_profile(os.path.join(DATA, "relu-sparsity-profiles.csv"), "vgg16", profile_column)
    layers = []
    with open(os.path.join(DATA, "mapping", "vgg16.csv")) as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    for r in csv.DictReader(lines):
        s = shapes[r["shape"]]
        layers.append(Layer(r["layer"], s["ic"], s["ih"], s["oc"], s["kh"], s["sh"], s["ph"], s["initial"],
                            apply_rule(r["src_sparsity"], profile), apply_rule(r["diff_dst_sparsity"], profile),
                            r["src_sparsity"], r["diff_dst_sparsity"]))
    return layers


def bench_ratios(csv_path: str) -> Dict[str, dict]:
    """sparsetrain-bench --net CSV -> {layer: {'dense_ms', 'sparse_ms', 'ratio', dirs}}: the
    layer's oneDNN time over sparsetrain's, summed over the directions it ran."""
    out = {}
    with open(csv_path) as f:
        for r in csv.DictReader(f):
            for layer in r["layers"].split(";"):
                e = out.setdefault(layer, {"dense_ms": 0.0, "sparse_ms": 0.0, "dirs": {}})
                e["dense_ms"] += float(r["dense_ms"])
                e["sparse_ms"] += float(r["sparse_ms"])
                e["dirs"][r["dir"]] = (float(r["dense_ms"]), float(r["sparse_ms"]), r["sparse_impl"])
    for e in out.values():
        e["ratio"] = e["dense_ms"] / e["sparse_ms"] if e["sparse_ms"] else float("nan")
    return out
