"""The full run: per model, three training runs and their comparison, in pieces.

    stock  stock nn.Conv2d, T threads, the faster stock memory format   (the reference)
    ours   sparsetrain.torch, T threads                                  (the same epochs)
    floor  stock nn.Conv2d, another thread count, the first 300 steps   (the noise floor)
    floorfull  the same through all epochs (optional): how far two stock runs' accuracies differ

Each run checkpoints after every epoch and resumes from there, so `--upto=E` runs (or
continues) a run up to epoch E: a long run goes in pieces that each fit a time slot, and a
piece that is already done is skipped. `compare` is run once all three exist.
Folders: OUT/MODEL_stock, OUT/MODEL_ours, OUT/MODEL_floor, OUT/compare_MODEL, and with
--capture-steps the sparsetrain run's tensors at those steps in OUT/capture_MODEL.
"""
import os

from . import compare, plots, records, train

PARTS = ("stock", "ours", "floor", "floorfull")


def part_config(model, part, a):
    base = dict(model=model, threads=a.threads, batch=a.batch, seed=a.seed, epochs=a.epochs, lr=a.lr,
                train_images=a.train_images, test_images=a.test_images, dispatch=a.dispatch, malloc=a.malloc,
                relu_mask=a.relu_mask == "on")
    if part == "stock":
        return train.RunConfig(**base, mode="stock", memory_format=a.stock_format)
    if part == "ours":
        steps = tuple(int(x) for x in a.capture_steps.split(",") if x)
        return train.RunConfig(**base, mode="sparsetrain", memory_format=a.ours_format, capture_steps=steps,
                               capture_dir=os.path.join(a.out, f"capture_{model}") if steps else "",
                               capture_mb=a.capture_mb)
    if part == "floor":
        base.update(threads=a.floor_threads, epochs=1, max_steps=a.window)
        return train.RunConfig(**base, mode="stock", memory_format=a.stock_format)
    if part == "floorfull":  # the floor run through every epoch: the accuracy two stock runs reach
        base.update(threads=a.floor_threads)
        return train.RunConfig(**base, mode="stock", memory_format=a.stock_format)
    raise ValueError(f"part {part!r}: expected one of {', '.join(PARTS)}")


def done_epochs(folder):
    try:
        return records.read_run(folder)
    except (OSError, ValueError):
        return None


def run_part(model, part, a, log):
    cfg = part_config(model, part, a)
    cfg.out = os.path.join(a.out, f"{model}_{part}")
    cfg.epochs = min(cfg.epochs, a.upto) if a.upto else cfg.epochs
    run = done_epochs(cfg.out)
    if run is not None:
        steps, epochs = len(run["steps"]), len(run["epochs"])
        if (cfg.max_steps and steps >= cfg.max_steps) or (not cfg.max_steps and epochs >= cfg.epochs):
            log(f"{model} {part}: done ({epochs} epoch(s), {steps} steps in {cfg.out}), skipped")
            return
    cfg.resume = True
    train.Trainer(cfg).run()


def compare_model(model, a, log):
    folders = {p: os.path.join(a.out, f"{model}_{p}") for p in PARTS}
    runs = {p: done_epochs(f) for p, f in folders.items()}
    if runs["stock"] is None or runs["ours"] is None:
        log(f"{model}: compare needs the stock and ours runs")
        return None
    floor = runs["floorfull"] or runs["floor"]
    r = compare.compare(runs["stock"], runs["ours"], floor, a.window)
    out = os.path.join(a.out, f"compare_{model}")
    compare.write(r, out)
    made, note = plots.plot_all(r, runs["stock"], runs["ours"], floor, out, a.window)
    print(f"\n== {model}\n" + compare.format_report(r))
    print(f"results: {out}/compare.json, compare.txt; plots: {', '.join(made) if made else note}")
    return r


def run_full(a, log):
    """0, or 3 when a comparison misses parity (loss within 2x the floor, accuracy within 0.5)."""
    status = 0
    for model in a.models:
        for part in a.parts:
            if part != "compare":
                run_part(model, part, a, log)
        if "compare" in a.parts:
            r = compare_model(model, a, log)
            p = r["parity"] if r else {}
            if r is None or not p.get("loss_ok", False) or not p.get("accuracy_ok", False):
                status = 3
    return status
