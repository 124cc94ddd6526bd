"""Everything a run measured, and its files:

run.json     {"config", "summary", "layers", "steps", "epochs", "sparsity"}: everything below, and
             "sparsity": per stats step, each layer's src and diff_dst zero fraction
steps.csv    step, epoch, loss, kind (timed | stats | capture | warmup), step_ms, conv_fwd_ms, conv_bwd_ms
epochs.csv   epoch, steps, timed_steps, train_loss, test_accuracy, test_loss, step_ms, step_ms_median,
             conv_ms, conv_fwd_ms, conv_bwd_ms, rest_ms, conv_noninitial_ms
layers.csv   epoch, layer, fwd_ms, bwd_ms, src_sparsity, diff_dst_sparsity, and for sparsetrain runs
             the paths each direction took (sparse_runs / runs per direction)
sparsity.csv step, layer, src_sparsity, diff_dst_sparsity: every stats step

Times are means over the epoch's "timed" steps (not the first steps of a process, not the
steps that count zeros or capture tensors); step_ms covers forward, loss, backward and the SGD
step; conv_ms is the sum of the probed conv times (probes.py), rest_ms = step_ms - conv_ms.
"""
import csv
import dataclasses
import json
import os
import statistics

FORMAT = "sparsetrain-fashion-mnist-run 1"


class RunRecord:
    def __init__(self, cfg, summary, layer_names):
        self.config = dataclasses.asdict(cfg)
        for k in ("capture_steps", "capture_layers"):
            self.config[k] = list(self.config[k])
        self.summary = summary
        self.layers = list(layer_names)
        self.steps, self.epochs, self.sparsity = [], [], []
        self.input_formats = {}
        self._epoch_start = 0

    def state(self):
        return {"steps": self.steps, "epochs": self.epochs, "sparsity": self.sparsity}

    def restore(self, st):
        self.steps, self.epochs, self.sparsity = st["steps"], st["epochs"], st["sparsity"]
        self._epoch_start = len(self.steps)

    def add_sparsity(self, step, per_layer):
        """per_layer: {layer: (src zero fraction, diff_dst zero fraction)} of one stats step."""
        self.sparsity.append({"step": step, "layers": {k: {"src": a, "diff_dst": b} for k, (a, b) in per_layer.items()}})

    def add_step(self, step, loss, kind, step_ms, fwd_ms, bwd_ms):
        self.steps.append({"step": step, "epoch": len(self.epochs), "loss": loss, "kind": kind,
                           "step_ms": step_ms, "conv_fwd_ms": fwd_ms, "conv_bwd_ms": bwd_ms})

    def set_input_formats(self, formats):
        """{layer: memory format of its input}, as seen in the first training step."""
        self.input_formats = dict(formats)

    def end_epoch(self, epoch, test_acc, test_loss, layer_stats, paths):
        mine = self.steps[self._epoch_start:]
        timed = [s for s in mine if s["kind"] == "timed"]
        mean = lambda key: statistics.fmean(s[key] for s in timed) if timed else float("nan")
        step_ms, fwd, bwd = mean("step_ms"), mean("conv_fwd_ms"), mean("conv_bwd_ms")
        first = self.layers[0] if self.layers else None
        non_initial = sum(v["fwd_ms"] + v["bwd_ms"] for k, v in layer_stats.items() if k != first)
        layers = {}
        for name, st in layer_stats.items():
            row = dict(st)
            if name in paths:
                row["paths"] = paths[name]
            layers[name] = row
        e = {"epoch": epoch + 1, "steps": len(mine), "timed_steps": len(timed),
             "train_loss": statistics.fmean(s["loss"] for s in mine) if mine else float("nan"),
             "test_accuracy": test_acc, "test_loss": test_loss, "step_ms": step_ms,
             "step_ms_median": statistics.median(s["step_ms"] for s in timed) if timed else float("nan"),
             "conv_ms": fwd + bwd, "conv_fwd_ms": fwd, "conv_bwd_ms": bwd, "rest_ms": step_ms - fwd - bwd,
             "conv_noninitial_ms": non_initial, "layers": layers}
        self.epochs.append(e)
        self._epoch_start = len(self.steps)
        return e

    def as_json(self):
        return {"format": FORMAT, "config": self.config, "summary": self.summary, "layers": self.layers,
                "input_formats": self.input_formats, "epochs": self.epochs, "steps": self.steps,
                "sparsity": self.sparsity}

    def write(self, folder):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "run.json"), "w") as f:
            json.dump(self.as_json(), f, indent=1)
        write_csv(os.path.join(folder, "steps.csv"), self.steps,
                  ["step", "epoch", "loss", "kind", "step_ms", "conv_fwd_ms", "conv_bwd_ms"])
        keys = ["epoch", "steps", "timed_steps", "train_loss", "test_accuracy", "test_loss", "step_ms",
                "step_ms_median", "conv_ms", "conv_fwd_ms", "conv_bwd_ms", "rest_ms", "conv_noninitial_ms"]
        write_csv(os.path.join(folder, "epochs.csv"), self.epochs, keys)
        write_csv(os.path.join(folder, "layers.csv"), layer_rows(self.epochs),
                  ["epoch", "layer", "fwd_ms", "bwd_ms", "src_sparsity", "diff_dst_sparsity",
                   "fwd_sparse_runs", "bwd_d_sparse_runs", "bwd_w_sparse_runs", "runs"])
        write_csv(os.path.join(folder, "sparsity.csv"),
                  [{"step": s["step"], "layer": k, "src_sparsity": v["src"], "diff_dst_sparsity": v["diff_dst"]}
                   for s in self.sparsity for k, v in s["layers"].items()],
                  ["step", "layer", "src_sparsity", "diff_dst_sparsity"])


def layer_rows(epochs):
    rows = []
    for e in epochs:
        for name, st in e["layers"].items():
            row = {"epoch": e["epoch"], "layer": name}
            row.update({k: st.get(k) for k in ("fwd_ms", "bwd_ms", "src_sparsity", "diff_dst_sparsity")})
            p = st.get("paths")
            if p:
                row["fwd_sparse_runs"] = p["forward"]["sparse_runs"]
                row["bwd_d_sparse_runs"] = p["backward_data"]["sparse_runs"]
                row["bwd_w_sparse_runs"] = p["backward_weights"]["sparse_runs"]
                row["runs"] = p["forward"]["runs"]
            rows.append(row)
    return rows


def write_csv(path, rows, keys):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: _fmt(r.get(k)) for k in keys})


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else v


def read_run(path):
    """A run.json (or the folder holding it)."""
    if os.path.isdir(path):
        path = os.path.join(path, "run.json")
    with open(path) as f:
        run = json.load(f)
    if run.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file")
    return run
