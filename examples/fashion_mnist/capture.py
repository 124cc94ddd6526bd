"""Captured conv tensors: the format `sparsetrain-bench --replay=DIR` reads (perf/CAPTURE.md).

A capture folder holds `manifest.txt` and one raw file per tensor. The manifest is text, one
record per line, `#` starts a comment:

    sparsetrain-capture 1
    source <free text: model, mode, seed, ...>
    layer <name>
    problem <benchdnn problem string, with mb>
    step <global training step>
    bias <0|1>
    input_grad <0|1>    (0: the layer's input needs no gradient, e.g. the image; bwd_d is not replayed)
    tensor <role> <encoding> <dims, e.g. 16x64x28x28> <nonzeros> <file>
    ...

`layer` opens a record; `tensor` lines follow it (roles: src, diff_dst, weights; weights may
be absent: the replay then uses random weights). Values are float32 in plain order (NCHW for
activations and gradients, OIHW for weights), little-endian. Encodings:
    f32         the values, 4 bytes each
    bitmap_f32  ceil(n / 8) bytes of bitmap (bit i % 8 of byte i / 8 set: element i is
                non-zero), then the non-zero values in order, 4 bytes each. Zeros (+0 and -0)
                are stored as bits only and read back as +0.
`nonzeros` is the number of non-zero elements (a check for both encodings).
"""
import os
import re

import numpy as np

FORMAT_VERSION = 1
MAGIC = "sparsetrain-capture"


def encode(values, encoding):
    flat = np.ascontiguousarray(values, dtype="<f4").reshape(-1)
    if encoding == "f32":
        return flat.tobytes()
    if encoding == "bitmap_f32":
        nz = flat != 0
        return np.packbits(nz, bitorder="little").tobytes() + flat[nz].tobytes()
    raise ValueError(f"encoding {encoding!r}: expected f32 or bitmap_f32")


def decode(raw, encoding, dims):
    n = int(np.prod(dims))
    if encoding == "f32":
        if len(raw) != 4 * n:
            raise ValueError(f"f32 tensor of {dims}: {len(raw)} bytes, expected {4 * n}")
        return np.frombuffer(raw, dtype="<f4").reshape(dims).astype(np.float32)
    if encoding == "bitmap_f32":
        nbytes = (n + 7) // 8
        nz = np.unpackbits(np.frombuffer(raw[:nbytes], dtype=np.uint8), bitorder="little", count=n).astype(bool)
        vals = np.frombuffer(raw[nbytes:], dtype="<f4")
        if len(raw) < nbytes or vals.size != nz.sum():
            raise ValueError(f"bitmap_f32 tensor of {dims}: {vals.size} values for {int(nz.sum())} bits set")
        out = np.zeros(n, dtype=np.float32)
        out[nz] = vals
        return out.reshape(dims)
    raise ValueError(f"encoding {encoding!r}: expected f32 or bitmap_f32")


def choose_encoding(values):
    """The smaller of the two: the bitmap pays off above 1/32 zeros."""
    zeros = float((values == 0).mean()) if values.size else 0.0
    return "bitmap_f32" if zeros > 1.0 / 32 else "f32"


def problem_string(module, src_shape, name):
    """The conv as a benchdnn problem string (every field written out)."""
    n, c, h, w = src_shape
    kh, kw = module.kernel_size
    sh, sw = module.stride
    ph, pw = module.padding
    dh, dw = module.dilation
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    g = f"g{module.groups}" if module.groups != 1 else ""
    dil = f"dh{dh - 1}dw{dw - 1}" if (dh, dw) != (1, 1) else ""
    return (f"{g}mb{n}ic{c}ih{h}iw{w}oc{module.out_channels}oh{oh}ow{ow}kh{kh}kw{kw}sh{sh}sw{sw}"
            f"ph{ph}pw{pw}{dil}n\"{name}\"")


class CaptureWriter:
    """Writes the layers of chosen steps into one folder; `close()` writes the manifest. With
    `append`, a capture already in the folder is added to (a run resumed from a checkpoint)."""

    def __init__(self, folder, source, mb=None, weights=True, layers=None, append=False):
        self.folder, self.mb, self.weights, self.only = folder, mb, weights, layers
        os.makedirs(folder, exist_ok=True)
        self.lines = [f"{MAGIC} {FORMAT_VERSION}", f"source {source}"]
        self.bytes = 0
        manifest = os.path.join(folder, "manifest.txt")
        if append and os.path.isfile(manifest):  # a resumed run adds to the capture of its earlier pieces
            with open(manifest) as f:
                old = f.read().splitlines()
            if old and old[0] == self.lines[0]:
                self.lines = old

    def add_layer(self, name, module, step, tensors, label=None):
        """tensors: {'src', 'diff_dst', 'weights'} torch tensors of one conv at one step (and
        'input_grad': whether its input needed a gradient)."""
        if self.only and name not in self.only:
            return
        src = tensors["src"].float().numpy()
        dd = tensors["diff_dst"].float().numpy()
        if self.mb:
            src, dd = src[:self.mb], dd[:self.mb]
        arrays = {"src": src, "diff_dst": dd}
        if self.weights:
            arrays["weights"] = tensors["weights"].float().numpy()
        self.add_record(name, problem_string(module, src.shape, label or name), step, module.bias is not None,
                        tensors.get("input_grad", True), arrays)

    def add_record(self, name, problem, step, bias, input_grad, arrays):
        """One layer from numpy arrays (plain order) and its benchdnn problem string."""
        stem = f"s{step}_{name.replace('.', '_')}"
        self.lines += [f"layer {name}", f"problem {problem}", f"step {step}", f"bias {int(bias)}",
                       f"input_grad {int(input_grad)}"]
        for role, values in arrays.items():
            enc = choose_encoding(values)
            fname = f"{stem}.{role}.bin"
            raw = encode(values, enc)
            with open(os.path.join(self.folder, fname), "wb") as f:
                f.write(raw)
            self.bytes += len(raw)
            dims = "x".join(str(d) for d in values.shape)
            self.lines.append(f"tensor {role} {enc} {dims} {int(np.count_nonzero(values))} {fname}")

    def close(self):
        with open(os.path.join(self.folder, "manifest.txt"), "w") as f:
            f.write("\n".join(self.lines) + "\n")


def read_capture(folder):
    """The manifest's layers as dicts with decoded numpy tensors (for tests and analysis)."""
    with open(os.path.join(folder, "manifest.txt")) as f:
        lines = [ln.split("#", 1)[0].strip() for ln in f]
    lines = [ln for ln in lines if ln]
    head = lines[0].split()
    if len(head) != 2 or head[0] != MAGIC or int(head[1]) != FORMAT_VERSION:
        raise ValueError(f"{folder}/manifest.txt: not a {MAGIC} {FORMAT_VERSION} manifest")
    layers, cur = [], None
    for ln in lines[1:]:
        key, _, rest = ln.partition(" ")
        if key == "layer":
            cur = {"name": rest, "tensors": {}}
            layers.append(cur)
        elif key in ("problem", "step", "bias", "input_grad") and cur is not None:
            cur[key] = rest
        elif key == "tensor" and cur is not None:
            role, enc, dims, nonzeros, fname = rest.split()
            shape = tuple(int(d) for d in dims.split("x"))
            with open(os.path.join(folder, fname), "rb") as f:
                values = decode(f.read(), enc, shape)
            if np.count_nonzero(values) != int(nonzeros):
                raise ValueError(f"{fname}: {np.count_nonzero(values)} non-zeros, manifest says {nonzeros}")
            cur["tensors"][role] = values
    return layers


def subset(src_folder, dst_folder, mb=None, layers=None, weights=True, note=""):
    """A smaller copy of a capture: the first `mb` images, only `layers`, optionally without
    weights. Returns the bytes written."""
    with open(os.path.join(src_folder, "manifest.txt")) as f:
        source = next((ln[len("source "):].strip() for ln in f if ln.startswith("source ")), "")
    w = CaptureWriter(dst_folder, source + (f"; {note}" if note else ""), mb=mb, weights=weights)
    for l in read_capture(src_folder):
        if layers and l["name"] not in layers:
            continue
        t = dict(l["tensors"])
        if mb:
            t["src"], t["diff_dst"] = t["src"][:mb], t["diff_dst"][:mb]
        if not weights:
            t.pop("weights", None)
        problem = re.sub(r"^mb\d+", f"mb{t['src'].shape[0]}", l["problem"])
        w.add_record(l["name"], problem, int(l["step"]), l["bias"] == "1", l.get("input_grad", "1") == "1", t)
    w.close()
    return w.bytes
