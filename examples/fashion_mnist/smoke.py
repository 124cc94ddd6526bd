"""The end-to-end smoke test (ctest `fashion_mnist_smoke`): a few hundred images, a few dozen
steps, each way, checked as a whole.

VGG-style, batch 16, 256 training images, 2 epochs (32 steps), channels_last:
  ref   stock nn.Conv2d, 2 threads
  floor stock nn.Conv2d, 1 thread (another summation order: the noise floor)
  ours  sparsetrain.torch, 2 threads, channels_last, dispatch forced to sparse (so the sparse kernels
        must run), capturing two layers' tensors at one step
ResNet-style (BatchNorm), batch 8, 8 steps: stock and sparsetrain.
Checks: the first step's loss of ours equals the reference's (same weights, same batch: only
the summation order differs); the loss trajectory stays within 2x the measured floor; the
sparse kernels ran in every direction of the non-initial VGG layers; every record is complete
and plausible (zero fractions in [0, 1], ReLU inputs with zeros, conv time within step time);
the loss went down; the capture reads back, and `sparsetrain-bench --replay` (when its path is
given) checks those tensors against oneDNN; the comparison files are written; `formats` times
its variants from the reference's checkpoint.
"""
import math
import os
import subprocess

from . import binding, capture, compare, data, formats, plots, train
from .cpu import sparse_expected

SKIP = 77
# channels_last: the sparse kernels run on the tensors' own nhwc storage (NCHW would be reordered
# to nChw16c and back by the binding).
OURS_FORMAT = "channels_last"


class Failures:
    def __init__(self):
        self.items = []

    def check(self, ok, what):
        print(("ok      " if ok else "FAILED  ") + what, flush=True)
        if not ok:
            self.items.append(what)


def _run(cfg, ds):
    return train.Trainer(cfg, ds).run().as_json()


def _records_ok(f, run, tag):
    first = run["layers"][0]
    for e in run["epochs"]:
        f.check(e["timed_steps"] > 0 and 0 < e["conv_ms"] < e["step_ms"],
                f"{tag} epoch {e['epoch']}: conv time {e['conv_ms']:.1f} ms within step time {e['step_ms']:.1f} ms")
        for name, st in e["layers"].items():
            src, dd = st["src_sparsity"], st["diff_dst_sparsity"]
            good = src is not None and dd is not None and 0 <= src <= 1 and 0 <= dd <= 1
            if name != first:
                good = good and src > 0.2  # the input of a non-initial conv comes out of a ReLU
            f.check(good and st["fwd_ms"] > 0 and st["bwd_ms"] > 0,
                    f"{tag} epoch {e['epoch']} {name}: zeros src {src}, diff_dst {dd}, "
                    f"{st['fwd_ms']:.2f} + {st['bwd_ms']:.2f} ms")


def _paths_ok(f, run, tag, need_bwd_d):
    first = run["layers"][0]
    sparse = sparse_expected()
    for name, st in run["epochs"][-1]["layers"].items():
        p = st.get("paths")
        if name == first or p is None:
            continue
        dirs = ["forward", "backward_weights"] + (["backward_data"] if need_bwd_d else [])
        runs = ", ".join("%s %s/%s" % (d, p[d]["sparse_runs"], p[d]["runs"]) for d in dirs)
        if sparse:
            f.check(all(p[d]["sparse_runs"] > 0 for d in dirs), f"{tag} {name}: sparse kernel ran ({runs})")
        else:
            f.check(all(p[d]["sparse_runs"] == 0 and p[d]["runs"] > 0 for d in dirs),
                    f"{tag} {name}: no AVX-512 (or capped): oneDNN dense ran ({runs})")


def _capture_ok(f, folder, bench):
    layers = capture.read_capture(folder)
    f.check(len(layers) == 2 and all(set(l["tensors"]) == {"src", "diff_dst", "weights"} for l in layers),
            f"capture {folder}: {len(layers)} layers read back with src, diff_dst, weights")
    if not bench:
        print("note    no sparsetrain-bench path given: replay not run")
        return
    r = subprocess.run([bench, f"--replay={folder}", "--reps=1", "--warmup=0", "--no-progress", "--no-out"],
                       capture_output=True, text=True)
    print(r.stdout[-3000:])
    f.check(r.returncode == 0 and "MISMATCH" not in r.stdout,
            f"sparsetrain-bench --replay={folder}: exit {r.returncode}{' ' + r.stderr.strip() if r.stderr else ''}")


def run_smoke(out, bench=None):
    missing = data.missing_files()
    if missing:
        print("SKIPPED: Fashion-MNIST missing (" + ", ".join(missing) + "): apt-get install dataset-fashion-mnist")
        return SKIP
    try:
        binding.load()
    except binding.BindingMissing as e:
        print(f"SKIPPED: {e}")
        return SKIP
    f = Failures()
    ds = data.FashionMNIST(train_limit=256, test_limit=256)
    base = dict(model="vgg", batch=16, epochs=2, train_images=256, test_images=256, stats_every=4, warmup_steps=1,
                quiet=True)
    cap = os.path.join(out, "capture")
    ref = _run(train.RunConfig(**base, threads=2, out=os.path.join(out, "vgg_ref")), ds)
    floor = _run(train.RunConfig(**base, threads=1, out=os.path.join(out, "vgg_floor")), ds)
    ours = _run(train.RunConfig(**base, threads=2, mode="sparsetrain", dispatch="sparse", memory_format=OURS_FORMAT,
                                capture_dir=cap,
                                capture_steps=(20,), capture_mb=4,
                                capture_layers=("features.0", "features.7"), out=os.path.join(out, "vgg_ours")), ds)
    l0r, l0o = ref["steps"][0]["loss"], ours["steps"][0]["loss"]
    f.check(abs(l0r - l0o) <= 1e-5 * abs(l0r), f"first-step loss: stock {l0r:.8f}, sparsetrain {l0o:.8f}")
    cmp = compare.compare(ref, ours, floor, window=len(ref["steps"]))
    p = cmp["parity"]
    print(compare.format_report(cmp))
    f.check(bool(p.get("loss_ok")), f"loss parity over {p['window_steps']} steps: mean |ours - ref| "
            f"{p['deviation_mean']:.3g} <= 2 x floor {p.get('floor_mean') or 0:.3g}")
    for tag, run in (("ref", ref), ("floor", floor), ("ours", ours)):
        _records_ok(f, run, tag)
        losses = [e["train_loss"] for e in run["epochs"]]
        f.check(all(math.isfinite(x) for x in losses) and losses[-1] < losses[0], f"{tag}: loss per epoch {losses}")
    _paths_ok(f, ours, "vgg ours", need_bwd_d=True)
    compare.write(cmp, os.path.join(out, "compare"))
    made, note = plots.plot_all(cmp, ref, ours, floor, os.path.join(out, "compare"), len(ref["steps"]))
    f.check(bool(made) or bool(note), f"plots: {', '.join(made) or note}")
    _capture_ok(f, cap, bench)
    fm = formats.run_formats(train.RunConfig(**base, threads=2),
                             [("stock", "channels_last"), ("sparsetrain", "channels_last"),
                              ("sparsetrain", "channels_last", "noprobes")], steps=2, rounds=2,
                             checkpoint=os.path.join(out, "vgg_ref", "checkpoint.pt"), log=lambda m: None)
    print(formats.format_table(fm))
    v = fm["variants"]
    f.check(fm["fastest_stock"] == "stock channels_last" and all(r["steps"] == 4 and r["step_ms"] > 0 for r in v)
            and v[1]["conv_ms"] > 0 and v[2]["conv_ms"] == 0 and v[1]["vs_fastest_stock"]["conv_ms"] > 0,
            "formats: interleaved variants timed from the reference's checkpoint")

    rb = dict(model="resnet", batch=8, epochs=1, max_steps=8, train_images=256, test_images=256, stats_every=4,
              warmup_steps=1, quiet=True, threads=2)
    rref = _run(train.RunConfig(**rb, out=os.path.join(out, "resnet_ref")), ds)
    rours = _run(train.RunConfig(**rb, mode="sparsetrain", dispatch="sparse", memory_format=OURS_FORMAT,
                                 out=os.path.join(out, "resnet_ours")), ds)
    l0r, l0o = rref["steps"][0]["loss"], rours["steps"][0]["loss"]
    f.check(abs(l0r - l0o) <= 1e-5 * abs(l0r), f"resnet first-step loss: stock {l0r:.8f}, sparsetrain {l0o:.8f}")
    _records_ok(f, rours, "resnet ours")
    _paths_ok(f, rours, "resnet ours", need_bwd_d=False)
    if f.items:
        print(f"{len(f.items)} check(s) FAILED")
        return 1
    print("all checks passed")
    return 0
