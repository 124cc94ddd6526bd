#!/usr/bin/python3
"""Train on Fashion-MNIST with stock nn.Conv2d or sparsetrain.torch; compare the runs.

    train   one run (a model, stock or sparsetrain, a thread count, a memory format)
    compare parity (loss against the noise floor, test accuracy) and speedups of finished runs
    smoke   a small end-to-end check of everything above (the ctest test)
    formats stock in both memory formats and sparsetrain, interleaved in one process

Every subcommand has --help. Outputs: README.md ("Training on Fashion-MNIST"). Exit status of
smoke: 0 passed, 1 failed, 77 skipped (no dataset, PyTorch or sparsetrain.torch).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SKIP = 77


def add_run_options(p):
    p.add_argument("--model", choices=["vgg", "resnet"], default="vgg")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--format", dest="memory_format", choices=["nchw", "channels_last"], default="channels_last",
                   help="memory format of activations (default channels_last)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lr", type=float, default=0.0, help="SGD learning rate (default: vgg 0.01, resnet 0.05)")
    p.add_argument("--train-images", type=int, default=0, help="use the first N training images (default all)")
    p.add_argument("--test-images", type=int, default=0, help="use the first N test images (default all)")
    p.add_argument("--dispatch", choices=["auto", "sparse", "dense"], default="auto",
                   help="sparsetrain's per-call choice (default auto)")


def cmd_train(a):
    from fashion_mnist import train
    steps = tuple(int(s) for s in a.capture_steps.split(",") if s) if a.capture_steps else ()
    if a.capture and not steps:
        raise SystemExit("--capture needs --capture-steps=S,...")
    cfg = train.RunConfig(model=a.model, mode=a.mode, dispatch=a.dispatch, threads=a.threads,
                          memory_format=a.memory_format, batch=a.batch, epochs=a.epochs, max_steps=a.max_steps,
                          lr=a.lr, seed=a.seed, train_images=a.train_images, test_images=a.test_images,
                          stats_every=a.stats_every, capture_dir=a.capture or "", capture_steps=steps,
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

    s = sub.add_parser("smoke", help="small end-to-end check (exit 0 ok, 1 failed, 77 skipped)")
    s.add_argument("--out", default="fashion-mnist-smoke")
    s.add_argument("--bench", default="", help="path of sparsetrain-bench: also replays the capture")
    s.set_defaults(fn=cmd_smoke)

    a = ap.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
