"""PNG plots of a comparison (matplotlib, Agg backend; skipped with a note when it is missing).

loss.png      the loss per step of the reference, sparsetrain and noise-floor runs overlaid, the
              per-step |difference| to the reference (log scale, the parity window marked), and
              the test accuracy per epoch
sparsity.png  per conv layer, the zero fraction of its input and of its output gradient over
              the training steps (sparsetrain run)
speedup.png   per conv layer, reference time / sparsetrain time (forward, backward, both) after
              the first epoch, and per epoch the whole step, all convs and the non-initial convs
"""
import os


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        return None


def plot_all(cmp, ref, ours, floor, folder, window):
    plt = _pyplot()
    if plt is None:
        return [], "matplotlib not installed (apt-get install python3-matplotlib): no plots"
    os.makedirs(folder, exist_ok=True)
    made = [_loss(plt, ref, ours, floor, folder, window), _sparsity(plt, ours, folder),
            _speedup(plt, cmp, folder)]
    return [m for m in made if m], ""


def _label(run):
    c = run["config"]
    return f"{c['mode']} ({c['memory_format']}, {c['threads']} thr)"


def _loss(plt, ref, ours, floor, folder, window):
    fig, ax = plt.subplots(3, 1, figsize=(9, 10), gridspec_kw={"height_ratios": [3, 2, 2]})
    runs = [(ref, "C0"), (ours, "C3")] + ([(floor, "C2")] if floor else [])
    for run, col in runs:
        ax[0].plot([s["step"] for s in run["steps"]], [s["loss"] for s in run["steps"]], col, lw=0.6,
                   alpha=0.8, label=_label(run))
    ax[0].set_ylabel("training loss")
    ax[0].set_title(f"{ref['config']['model']}: loss per step")
    ax[0].legend()
    base = {s["step"]: s["loss"] for s in ref["steps"]}
    for run, col in runs[1:]:
        pts = [(s["step"], abs(s["loss"] - base[s["step"]])) for s in run["steps"] if s["step"] in base]
        ax[1].semilogy([p[0] for p in pts], [max(p[1], 1e-9) for p in pts], col, lw=0.6, label=f"|{_label(run)} - ref|")
    ax[1].axvspan(0, window, color="0.9", label=f"parity window ({window} steps)")
    ax[1].set_ylabel("|loss - reference loss|")
    ax[1].legend(fontsize=8)
    for run, col in [r for r in runs if not r[0]["config"].get("max_steps")]:  # not a run cut after the window
        ax[2].plot([e["epoch"] for e in run["epochs"]], [e["test_accuracy"] for e in run["epochs"]], col + "o-",
                   label=_label(run))
    ax[2].set_xlabel("step (top two) / epoch (bottom)")
    ax[2].set_ylabel("test accuracy %")
    ax[2].legend(fontsize=8)
    return _save(plt, fig, folder, "loss.png")


def _sparsity(plt, run, folder):
    if not run.get("sparsity"):
        return None
    layers = run["layers"]
    fig, ax = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    steps = [s["step"] for s in run["sparsity"]]
    for i, name in enumerate(layers):
        style = dict(color=f"C{i % 10}", ls="-" if i < 10 else "--", lw=0.8, label=name)
        ax[0].plot(steps, [s["layers"][name]["src"] for s in run["sparsity"]], **style)
        ax[1].plot(steps, [s["layers"][name]["diff_dst"] for s in run["sparsity"]], **style)
    ax[0].set_title("input (src) zeros")
    ax[1].set_title("output gradient (diff_dst) zeros")
    for a in ax:
        a.set_xlabel("step")
        a.set_ylim(0, 1)
    ax[0].set_ylabel("zero fraction")
    ax[1].legend(fontsize=7, ncol=2)
    fig.suptitle(f"{run['config']['model']}, {_label(run)}")
    return _save(plt, fig, folder, "sparsity.png")


def _speedup(plt, cmp, folder):
    layers = cmp["layers"]
    fig, ax = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [3, 1]})
    x = range(len(layers))
    w = 0.27
    for k, (key, lab) in enumerate((("speedup_fwd", "forward"), ("speedup_bwd", "backward"), ("speedup", "fwd+bwd"))):
        ax[0].bar([i + (k - 1) * w for i in x], [l[key] or 0 for l in layers], w, label=lab)
    ax[0].set_xticks(list(x))
    ax[0].set_xticklabels([l["layer"] for l in layers], rotation=45, ha="right", fontsize=7)
    ax[0].axhline(1, color="k", lw=0.5)
    ax[0].set_ylabel("reference ms / sparsetrain ms")
    ax[0].set_title("per conv layer" + (" (epochs 2..)" if len(cmp["epochs"]) > 1 else ""))
    ax[0].legend()
    ep = cmp["epochs"]
    for key, lab in (("speedup_step_ms", "whole step"), ("speedup_conv_ms", "all convs"),
                     ("speedup_conv_noninitial_ms", "non-initial convs")):
        ax[1].plot([e["epoch"] for e in ep], [e[key] or 0 for e in ep], "o-", label=lab)
    ax[1].axhline(1, color="k", lw=0.5)
    ax[1].set_xlabel("epoch")
    ax[1].set_title("per epoch")
    ax[1].legend(fontsize=8)
    return _save(plt, fig, folder, "speedup.png")


def _save(plt, fig, folder, name):
    fig.tight_layout()
    path = os.path.join(folder, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
