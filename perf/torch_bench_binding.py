"""torch_bench binding mode: what the PyTorch binding costs on top of the primitives, in one
run. Each SparseConv2d step (forward + backward) is timed as a whole while the library's
SPARSETRAIN_VERBOSE=1 lines (captured from file descriptor 1) give the time of every
primitive execute inside it; the difference is the binding: activation and weight reorders,
argument binding, autograd and Python."""

import contextlib
import os
import statistics
import sys
import tempfile
import time

import torch

import sparsetrain.torch as st
import torch_bench_data as data
from torch_bench_common import FORMATS, with_zeros


@contextlib.contextmanager
def captured_fd1(lines):
    """Everything written to file descriptor 1 inside the block is appended to ``lines``."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            tmp.seek(0)
            lines.extend(tmp.read().decode(errors="replace").splitlines())


def exec_ms(lines):
    """Sum of the execute times of sparsetrain's verbose exec lines (the last field, ms)."""
    return sum(float(l.rsplit(",", 1)[1]) for l in lines if l.startswith("sparsetrain_verbose,exec,"))


def one_layer(layer, fmt, inner, args, gen):
    n, oh = args.mb, (layer.h + 2 * layer.pad - layer.kernel) // layer.stride + 1
    mf = FORMATS[fmt]
    x = with_zeros((n, layer.c, layer.h, layer.h), layer.src_sparsity, gen, True).contiguous(memory_format=mf)
    x.requires_grad_(not layer.initial)
    gy = with_zeros((n, layer.k, oh, oh), layer.diff_dst_sparsity, gen, False).contiguous(memory_format=mf)
    torch.manual_seed(1)
    conv = st.SparseConv2d(layer.c, layer.k, layer.kernel, layer.stride, layer.pad,
                           options=st.ConvOptions(dispatch=args.dispatch, nchw_inner=inner)).to(memory_format=mf)
    walls, execs = [], []
    for r in range(args.warmup + args.reps):
        conv.weight.grad = conv.bias.grad = x.grad = None
        lines = []
        with captured_fd1(lines):
            t0 = time.perf_counter()
            conv(x).backward(gy)
            wall = (time.perf_counter() - t0) * 1e3
        if r >= args.warmup:
            walls.append(wall)
            execs.append(exec_ms(lines))
    return statistics.median(walls), statistics.median(execs)


def binding_mode(args):
    if os.environ.get("SPARSETRAIN_VERBOSE") != "1":
        raise SystemExit("binding mode: run with SPARSETRAIN_VERBOSE=1 in the environment (the library reads it "
                         "once, at its first primitive)")
    layers = [l for l in data.vgg16_layers(args.profile) if not args.layers or l.name in args.layers]
    gen = torch.Generator().manual_seed(0)
    variants = [(f, args.nchw_inner[0]) for f in args.formats] + \
        [("nchw", i) for i in args.nchw_inner[1:] if "nchw" in args.formats]
    print("| layer | " + " | ".join(f"{f if f != 'nchw' else 'nchw/' + i}: step / primitives ms, binding"
                                     for f, i in variants) + " |")
    print("|---|" + "---|" * len(variants))
    totals = {v: [0.0, 0.0] for v in variants}
    results = []
    for layer in layers:
        cells, row = [], {"layer": layer.name}
        for f, i in variants:
            wall, ex = one_layer(layer, f, i, args, gen)
            cells.append(f"{wall:.1f} / {ex:.1f}, {100 * (wall - ex) / wall:.1f} %")
            row[f"{f}/{i}"] = {"step_ms": wall, "primitives_ms": ex}
            if not layer.initial:
                totals[(f, i)][0] += wall
                totals[(f, i)][1] += ex
        results.append(row)
        print(f"| {layer.name}{' (first)' if layer.initial else ''} | " + " | ".join(cells) + " |", flush=True)
    for (f, i), (w, e) in totals.items():
        if w:
            print(f"non-initial layers, {f} (inside: {i if f == 'nchw' else 'nhwc'}): step {w:.1f} ms, primitives "
                  f"{e:.1f} ms, binding {w - e:.1f} ms = {100 * (w - e) / w:.1f} %")
    return results
