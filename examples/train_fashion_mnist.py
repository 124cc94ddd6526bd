#!/usr/bin/python3
"""Train on Fashion-MNIST with stock nn.Conv2d or sparsetrain.torch; compare the runs.

    train   one run (a model, stock or sparsetrain, a thread count, a memory format)
    compare parity (loss against the noise floor, test accuracy) and speedups of finished runs
    smoke   a small end-to-end check of everything above (the ctest test)
    formats stock in both memory formats and sparsetrain, interleaved in one process
    full    the full run (per model: stock, sparsetrain, noise floor, compare), resumable in pieces

Every subcommand has --help. Outputs: README.md ("Training on Fashion-MNIST"). Exit status of
smoke: 0 passed, 1 failed, 77 skipped (no dataset, PyTorch or sparsetrain.torch).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SKIP = 77


def add_run_options(p, model=True):
    if model:
        p.add_argument("--model", choices=["vgg", "resnet"], default="vgg")
        p.add_argument("--format", dest="memory_format", choices=["nchw", "channels_last"], default="channels_last",
                       help="memory format of activations (default channels_last)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lr", type=float, default=0.0, help="SGD learning rate (default: vgg 0.01, resnet 0.05)")
    p.add_argument("--train-images", type=int, default=0, help="use the first N training images (default all)")
    p.add_argument("--test-images", type=int, default=0, help="use the first N test images (default all)")
    p.add_argument("--dispatch", choices=["auto", "sparse", "dense"], default="auto",
                   help="sparsetrain's per-call choice (default auto)")
    p.add_argument("--relu-mask", choices=["on", "off"], default="on",
                   help="sparsetrain's ReLU-backward mask: backward-data skips what the ReLU backward zeroes, "
                        "ReLUs fused into the convs that are their only readers (default on)")
    p.add_argument("--malloc", choices=["retain", "default"], default="retain",
                   help="retain (default): glibc keeps freed memory, no page faults per step (fashion_mnist/memory.py)")


def cmd_train(a):
    from fashion_mnist import train
    steps = tuple(int(s) for s in a.capture_steps.split(",") if s) if a.capture_steps else ()
    if a.capture and not steps:
        raise SystemExit("--capture needs --capture-steps=S,...")
    cfg = train.RunConfig(model=a.model, mode=a.mode, dispatch=a.dispatch, relu_mask=a.relu_mask == "on",
                          threads=a.threads,
                          memory_format=a.memory_format, batch=a.batch, epochs=a.epochs, max_steps=a.max_steps,
                          lr=a.lr, seed=a.seed, train_images=a.train_images, test_images=a.test_images,
                          stats_every=a.stats_every, malloc=a.malloc, capture_dir=a.capture or "", capture_steps=steps,
                          capture_mb=a.capture_mb, capture_weights=not a.capture_no_weights,
                          capture_layers=tuple(x for x in a.capture_layers.split(",") if x), resume=a.resume)
    cfg.out = a.out or os.path.join("fashion-mnist-out", cfg.tag())
    train.Trainer(cfg).run()
    print(f"results: {cfg.out}/run.json, epochs.csv, layers.csv, steps.csv")
    return 0


def cmd_compare(a):
    from fashion_mnist import compare, plots, records
    ref, ours = records.read_run(a.ref), records.read_run(a.ours)
    floor = records.read_run(a.floor) if a.floor else None
    r = compare.compare(ref, ours, floor, a.window)
    print(compare.format_report(r))
    out = a.out or os.path.join(os.path.dirname(os.path.abspath(a.ours.rstrip("/"))), "compare_" + ref["config"]["model"])
    compare.write(r, out)
    made, note = plots.plot_all(r, ref, ours, floor, out, a.window)
    print(f"results: {out}/compare.json, compare.txt, compare_epochs.csv, compare_layers.csv")
    print("plots: " + (", ".join(made) if made else note))
    p = r["parity"]
    return 0 if p.get("loss_ok", True) and p.get("accuracy_ok", True) else 3


def cmd_smoke(a):
    try:
        import numpy  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        print(f"SKIPPED: {e} (apt-get install python3-torch python3-numpy)")
        return SKIP
    from fashion_mnist import smoke
    return smoke.run_smoke(a.out, a.bench)


def cmd_formats(a):
    from fashion_mnist import formats, train
    variants = [tuple(v.split(":")) for v in a.variants.split(",")]
    for v in variants:
        if len(v) < 2 or v[0] not in ("stock", "sparsetrain") or v[1] not in ("nchw", "channels_last") \
                or any(x != "noprobes" for x in v[2:]):
            raise SystemExit(f"--variants: {':'.join(v)}: expected (stock|sparsetrain):(nchw|channels_last)[:noprobes]")
    cfg = train.RunConfig(model=a.model, threads=a.threads, batch=a.batch, seed=a.seed, lr=a.lr,
                          train_images=a.train_images, dispatch=a.dispatch, malloc=a.malloc,
                          relu_mask=a.relu_mask == "on")
    res = formats.run_formats(cfg, variants, a.steps, a.rounds, a.checkpoint or None,
                              log=lambda m: print(m, file=sys.stderr, flush=True))
    print(formats.format_table(res))
    formats.write(res, a.out)
    print(f"results: {a.out}/formats_{a.model}.json, formats_{a.model}.txt")
    return 0


def cmd_full(a):
    from fashion_mnist import full
    a.models = [m for m in a.models.split(",") if m]
    a.parts = [p for p in a.parts.split(",") if p]
    for p in a.parts:
        if p not in full.PARTS + ("compare",):
            raise SystemExit(f"--parts: {p}: expected stock, ours, floor, floorfull or compare")
    return full.run_full(a, lambda m: print(m, file=sys.stderr, flush=True))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="one training run")
    add_run_options(t)
    t.add_argument("--mode", choices=["stock", "sparsetrain"], default="stock")
    t.add_argument("--max-steps", type=int, default=0, help="stop after N steps in all (default: all epochs)")
    t.add_argument("--stats-every", type=int, default=20, help="count zeros every N steps (not timed)")
    t.add_argument("--out", default="", help="folder (default fashion-mnist-out/MODEL_MODE_FORMAT_tTHREADS)")
    t.add_argument("--resume", action="store_true", help="continue from the folder's checkpoint (after an epoch)")
    t.add_argument("--capture", metavar="DIR", help="save the convs' tensors at --capture-steps into DIR")
    t.add_argument("--capture-steps", default="", help="global step numbers, comma-separated")
    t.add_argument("--capture-mb", type=int, default=16, help="images of the batch to keep (default 16)")
    t.add_argument("--capture-layers", default="", help="only these conv layers (names as in run.json)")
    t.add_argument("--capture-no-weights", action="store_true", help="leave the weights out (replay draws random ones)")
    t.set_defaults(fn=cmd_train)

    c = sub.add_parser("compare", help="parity and speed of finished runs")
    c.add_argument("ref", help="the reference run (stock): its folder or run.json")
    c.add_argument("ours", help="the sparsetrain run")
    c.add_argument("--floor", help="the stock run with another thread count (noise floor)")
    c.add_argument("--window", type=int, default=300, help="steps of the loss parity window (default 300)")
    c.add_argument("--out", default="", help="folder (default: compare_MODEL beside the runs)")
    c.set_defaults(fn=cmd_compare)

    fm = sub.add_parser("formats", help="stock in both memory formats and sparsetrain, interleaved in one process")
    add_run_options(fm)
    fm.add_argument("--variants", default="stock:nchw,stock:channels_last,sparsetrain:nchw,sparsetrain:channels_last",
                    help="MODE:FORMAT[:noprobes],... (default all four with probes)")
    fm.add_argument("--steps", type=int, default=10, help="steps per variant and round (default 10)")
    fm.add_argument("--rounds", type=int, default=6, help="rounds (default 6)")
    fm.add_argument("--checkpoint", default="", help="start from this checkpoint.pt (e.g. after a run's first epoch)")
    fm.add_argument("--out", default="fashion-mnist-out")
    fm.set_defaults(fn=cmd_formats)

    fu = sub.add_parser("full", help="the full run in resumable pieces: stock, ours, floor, compare per model")
    add_run_options(fu, model=False)
    fu.add_argument("--models", default="vgg,resnet")
    fu.add_argument("--parts", default="stock,ours,floor,compare")
    fu.add_argument("--upto", type=int, default=0, help="run (or continue) each run only up to this epoch")
    fu.add_argument("--floor-threads", type=int, default=1)
    fu.add_argument("--stock-format", choices=["nchw", "channels_last"], default="channels_last")
    fu.add_argument("--ours-format", choices=["nchw", "channels_last"], default="channels_last")
    fu.add_argument("--window", type=int, default=300, help="steps of the loss parity window (default 300)")
    fu.add_argument("--capture-steps", default="", help="capture the sparsetrain run's tensors at these steps")
    fu.add_argument("--capture-mb", type=int, default=16)
    fu.add_argument("--out", default="fashion-mnist-out/full")
    fu.set_defaults(fn=cmd_full)

    s = sub.add_parser("smoke", help="small end-to-end check (exit 0 ok, 1 failed, 77 skipped)")
    s.add_argument("--out", default="fashion-mnist-smoke")
    s.add_argument("--bench", default="", help="path of sparsetrain-bench: also replays the capture")
    s.set_defaults(fn=cmd_smoke)

    a = ap.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
