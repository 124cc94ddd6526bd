#!/usr/bin/python3
"""sparsetrain.torch against stock PyTorch, in one process, interleaved, medians.

  layers: VGG16's conv layers at a sparsity profile (default final epoch), N = 16: forward +
          backward (input, weight and bias gradients) of nn.Conv2d and of SparseConv2d, in
          NCHW and channels_last; the ratio against stock's faster format, beside the ratio
          sparsetrain-bench measured for the same layer (--bench-csv, its --net CSV).
  binding: the same layers, SparseConv2d only: each step's time against the time of the
          primitive executes inside it (SPARSETRAIN_VERBOSE=1), i.e. what the binding costs.
  model:  whole training steps (forward, cross-entropy, backward, SGD with momentum) of
          torchvision VGG16 / ResNet-50 at 224x224, N = 16, before and after convert(), and
          the sparsity the model actually produced (an extra, untimed step with hooks).

Run with Debian's python from the repository root after the build:
  PYTHONPATH=build/python /usr/bin/python3 perf/torch_bench.py layers --layers=conv3_2,conv4_2
  PYTHONPATH=build/python /usr/bin/python3 perf/torch_bench.py model --model=resnet50 --formats=nchw
See perf/README.md ("PyTorch") for what is timed.
"""

import argparse
import copy
import json
import os
import statistics
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_bench_data as data  # noqa: E402
from torch_bench_common import FORMATS, conv_step, interleaved, with_zeros  # noqa: E402
from torch_bench_model import model_mode  # noqa: E402
from torch_bench_binding import binding_mode  # noqa: E402

import sparsetrain.torch as st  # noqa: E402

def bench_layer(layer, args, gen):
    n, oh = args.mb, (layer.h + 2 * layer.pad - layer.kernel) // layer.stride + 1
    x = with_zeros((n, layer.c, layer.h, layer.h), layer.src_sparsity, gen, positive=True)
    gy = with_zeros((n, layer.k, oh, oh), layer.diff_dst_sparsity, gen, positive=False)
    torch.manual_seed(1)
    stock = nn.Conv2d(layer.c, layer.k, layer.kernel, layer.stride, layer.pad)
    sides = [("stock", stock, "")]
    for inner in args.nchw_inner:
        sides.append(("ours", st.convert(stock, options=st.ConvOptions(dispatch=args.dispatch, nchw_inner=inner)),
                      "" if inner == args.nchw_inner[0] else "/" + inner))
    variants, modules = {}, {}
    for f in args.formats:
        mf = FORMATS[f]
        xf = x.contiguous(memory_format=mf).requires_grad_(not layer.initial)
        gyf = gy.contiguous(memory_format=mf)
        for side, m, suffix in sides:
            if suffix and f != "nchw":
                continue  # the inner layout only matters for NCHW tensors
            mm = copy.deepcopy(m).to(memory_format=mf)
            modules[f"{side}_{f}{suffix}"] = mm
            variants[f"{side}_{f}{suffix}"] = conv_step(mm, xf, gyf)
    times = interleaved(variants, args.reps, args.warmup)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    ran = {}
    for k, m in modules.items():
        if k.startswith("ours"):
            s = m.sparse_stats()
            ran[k] = {d: (s[d]["impl"], s[d]["sparse_runs"], s[d]["dense_runs"])
                      for d in ("forward", "backward_data", "backward_weights")}
    return med, ran


def layers_mode(args):
    layers = [l for l in data.vgg16_layers(args.profile) if not args.layers or l.name in args.layers]
    bench = read_bench(args)
    gen = torch.Generator().manual_seed(0)
    rows = []
    for layer in layers:
        med, ran = bench_layer(layer, args, gen)
        stock_best = min((med[f"stock_{f}"], f) for f in args.formats)
        row = {"layer": layer.name, "initial": layer.initial, "src_sparsity": layer.src_sparsity,
               "diff_dst_sparsity": layer.diff_dst_sparsity, "ms": med, "stock_best": stock_best[1],
               "ran": ran}
        for f in args.formats:
            row[f"ratio_{f}"] = stock_best[0] / med[f"ours_{f}"]
        add_bench(row, bench, args.formats)
        for inner in args.nchw_inner[1:]:
            if "nchw" in args.formats:
                row[f"ratio_nchw/{inner}"] = stock_best[0] / med[f"ours_nchw/{inner}"]
        rows.append(row)
        print_layer_row(row, args.formats, first=(len(rows) == 1))
    print_totals(rows, args.formats)
    return rows


def add_bench(row, bench, formats):
    """sparsetrain-bench's ratio for the layer and sparsetrain's raw primitive time there
    (the time of ours here over it is what the binding costs)."""
    for f in formats:
        b = bench[f].get(row["layer"])
        row[f"bench_ratio_{f}"] = b["ratio"] if b else None
        row[f"bench_sparse_ms_{f}"] = b["sparse_ms"] if b else None


def read_bench(args):
    return {f: data.bench_ratios(p) if p else {} for f, p in (("nchw", args.bench_csv),
                                                              ("channels_last", args.bench_csv_nhwc))}


def extra_keys(row):
    """'ours_nchw/nhwc' and the like: NCHW tensors through another inner layout."""
    return [k for k in row["ms"] if k.startswith("ours_nchw/")]


def print_layer_row(row, formats, first):
    if first:
        extra = [k[5:] for k in extra_keys(row)]
        cols = ["layer", "zeros x/gy"] + [f"stock {f} ms" for f in formats] + [f"ours {f} ms" for f in formats] \
            + [f"ours {e} ms" for e in extra] + ["stock best"] + [f"x {f}" for f in formats] \
            + [f"x {e}" for e in extra] + [f"bench x {f}" for f in formats] + [f"x/bench {f}" for f in formats] \
            + [f"ours/bench ms {f}" for f in formats]
        print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols), flush=True)
    cells = [row["layer"] + (" (first)" if row["initial"] else ""),
             f"{row['src_sparsity']:.2f}/{row['diff_dst_sparsity']:.2f}"]
    cells += [f"{row['ms'][f'stock_{f}']:.1f}" for f in formats] + [f"{row['ms'][f'ours_{f}']:.1f}" for f in formats]
    cells += [f"{row['ms'][k]:.1f}" for k in extra_keys(row)]
    cells.append(row["stock_best"])
    cells += [f"{row[f'ratio_{f}']:.2f}x" for f in formats]
    cells += [f"{row['ratio_' + k[5:]]:.2f}x" for k in extra_keys(row)]
    for f in formats:
        b = row[f"bench_ratio_{f}"]
        cells.append(f"{b:.2f}x" if b else "-")
    for f in formats:
        b = row[f"bench_ratio_{f}"]
        cells.append(f"{row[f'ratio_{f}'] / b:.2f}" if b else "-")
    for f in formats:
        b = row.get(f"bench_sparse_ms_{f}")
        cells.append(f"{row['ms'][f'ours_{f}'] / b:.2f}" if b else "-")
    print("| " + " | ".join(cells) + " |", flush=True)


def print_totals(rows, formats):
    body = [r for r in rows if not r["initial"]]
    if not body:
        return
    stock = sum(min(r["ms"][f"stock_{f}"] for f in formats) for r in body)
    print(f"\nnon-initial layers ({len(body)}): stock PyTorch (faster format per layer) {stock:.1f} ms")
    for k in sorted({k for r in body for k in r["ms"] if k.startswith("ours_")}):
        ours = sum(r["ms"][k] for r in body)
        print(f"  sparsetrain.torch {k[5:]}: {ours:.1f} ms, {stock / ours:.2f}x")
    for f in formats:
        s = sum(r["ms"][f"stock_{f}"] for r in body)
        print(f"  stock {f} alone: {s:.1f} ms")
    for f in formats:
        if all(r.get(f"bench_sparse_ms_{f}") for r in body):
            b = sum(r[f"bench_sparse_ms_{f}"] for r in body)
            d = sum(r[f"bench_ratio_{f}"] * r[f"bench_sparse_ms_{f}"] for r in body)
            ours = sum(r["ms"][f"ours_{f}"] for r in body)
            print(f"  sparsetrain-bench {f}: oneDNN {d:.1f} ms, sparsetrain {b:.1f} ms, {d / b:.2f}x; "
                  f"ours here / its sparsetrain time: {ours / b:.3f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["layers", "model", "binding", "report"],
                   help="binding: step time against the primitives' own time, same run (needs "
                        "SPARSETRAIN_VERBOSE=1); report: the layers table and totals of earlier --json files")
    p.add_argument("--inputs", default="", help="report mode: comma-separated layers-mode JSON files")
    p.add_argument("--formats", default="nchw,channels_last")
    p.add_argument("--mb", type=int, default=16)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--reps", type=int, default=None, help="timed runs per variant (layers 5, model 3)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--dispatch", default="auto", choices=["auto", "sparse", "dense"])
    p.add_argument("--nchw-inner", default="nChw16c,nhwc",
                   help="layers mode: ConvOptions.nchw_inner values to time for NCHW tensors (first = 'ours nchw')")
    p.add_argument("--layers", default="", help="layers mode: only these VGG16 layers (e.g. conv3_2,conv4_2)")
    p.add_argument("--profile", default="final_epoch", help="profile column: epoch1, epoch10, mean_all_epochs, final_epoch")
    p.add_argument("--bench-csv", default="", help="sparsetrain-bench --net=vgg16 CSV (nChw16c)")
    p.add_argument("--bench-csv-nhwc", default="", help="sparsetrain-bench --net=vgg16 --layout=nhwc CSV")
    p.add_argument("--model", default="vgg16", choices=["vgg16", "resnet50"])
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--json", default="", help="also write the results here")
    args = p.parse_args(argv)
    args.formats = [f for f in args.formats.split(",") if f]
    for f in args.formats:
        if f not in FORMATS:
            p.error(f"--formats: {f} is not one of {list(FORMATS)}")
    args.layers = [l for l in args.layers.split(",") if l]
    args.nchw_inner = [v for v in args.nchw_inner.split(",") if v]
    args.reps = args.reps or (3 if args.mode == "model" else 5)
    torch.set_num_threads(args.threads)
    if args.mode != "report":
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, sparsetrain {st.library_version()}, "
              f"dispatch {args.dispatch}, N={args.mb}, {args.reps} timed runs after {args.warmup} warm-up, medians",
              flush=True)
    if args.mode == "report":
        rows = []
        for path in args.inputs.split(","):
            with open(path) as f:
                rows += json.load(f)["results"]
        if args.bench_csv or args.bench_csv_nhwc:
            bench = read_bench(args)
            for row in rows:
                add_bench(row, bench, args.formats)
        for i, row in enumerate(rows):
            print_layer_row(row, args.formats, first=(i == 0))
        print_totals(rows, args.formats)
        return
    out = {"layers": layers_mode, "model": model_mode, "binding": binding_mode}[args.mode](args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": out}, f, indent=1, default=str)


if __name__ == "__main__":
    main()
