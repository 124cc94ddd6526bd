"""Parity and speed of finished runs (run.json files, records.py).

Parity, against the noise that is already there:
- the noise floor of the loss trajectory is the mean |loss difference| per step between the
  reference run (stock, T threads) and the same stock model run with another thread count
  (another summation order), over the first `window` steps (300);
- the deviation is the same mean between the sparsetrain run and the reference run;
- parity holds when deviation <= 2 x floor, and the final test accuracies differ by at most
  0.5 percentage points. When the floor run went through the same epochs ("floorfull"), its
  accuracy difference to the reference is reported beside: how far two stock runs end apart.
Speed: per epoch, the reference's mean time per step over the sparsetrain run's, for the whole
step, all convs, the non-initial convs, and per conv layer (forward + backward); "after the
first epoch" sums epochs 2.. weighted by their timed steps.
"""
import csv
import json
import os

WINDOW = 300
LOSS_FACTOR = 2.0
ACC_POINTS = 0.5
SAME = ("model", "batch", "seed", "lr", "momentum", "weight_decay", "train_images")


def check_comparable(a, b):
    diff = [k for k in SAME if a["config"].get(k) != b["config"].get(k)]
    if diff:
        raise ValueError("runs differ in " + ", ".join(f"{k} ({a['config'].get(k)} vs {b['config'].get(k)})"
                                                      for k in diff))


def mean_abs_diff(a, b, window):
    la = [s["loss"] for s in a["steps"][:window]]
    lb = [s["loss"] for s in b["steps"][:window]]
    n = min(len(la), len(lb))
    if n == 0:
        return None, None, 0
    d = [abs(x - y) for x, y in zip(la[:n], lb[:n])]
    return sum(d) / n, max(d), n


def parity(ref, ours, floor=None, window=WINDOW):
    check_comparable(ref, ours)
    dev, dev_max, n = mean_abs_diff(ref, ours, window)
    out = {"window_steps": n, "deviation_mean": dev, "deviation_max": dev_max}
    if floor is not None:
        check_comparable(ref, floor)
        fl, fl_max, nf = mean_abs_diff(ref, floor, window)
        out.update({"floor_mean": fl, "floor_max": fl_max, "floor_steps": nf,
                    "floor_threads": floor["config"]["threads"], "floor_format": floor["config"]["memory_format"]})
        out["loss_ratio"] = dev / fl if fl else None
        out["loss_ok"] = bool(fl) and nf >= n and dev <= LOSS_FACTOR * fl
    ea, eb = ref["epochs"], ours["epochs"]
    k = min(len(ea), len(eb))
    if k:
        out["epochs_compared"] = k
        out["ref_accuracy"], out["ours_accuracy"] = ea[k - 1]["test_accuracy"], eb[k - 1]["test_accuracy"]
        out["accuracy_diff"] = out["ours_accuracy"] - out["ref_accuracy"]
        out["accuracy_ok"] = abs(out["accuracy_diff"]) <= ACC_POINTS
        if floor is not None and len(floor["epochs"]) >= k and not floor["config"].get("max_steps"):
            out["floor_accuracy"] = floor["epochs"][k - 1]["test_accuracy"]
            out["floor_accuracy_diff"] = out["floor_accuracy"] - out["ref_accuracy"]
    return out


def _ratio(a, b):
    return a / b if a and b else None


def _weighted(epochs, key):
    w = sum(e["timed_steps"] for e in epochs)
    return sum(e[key] * e["timed_steps"] for e in epochs) / w if w else None


def speed(ref, ours):
    """Per-epoch and after-the-first-epoch ratios ref / ours."""
    rows = []
    for er, eo in zip(ref["epochs"], ours["epochs"]):
        row = {"epoch": er["epoch"]}
        for key in ("step_ms", "conv_ms", "conv_noninitial_ms", "rest_ms", "conv_fwd_ms", "conv_bwd_ms"):
            row[f"ref_{key}"], row[f"ours_{key}"] = er[key], eo[key]
            row[f"speedup_{key}"] = _ratio(er[key], eo[key])
        rows.append(row)
    later_r, later_o = ref["epochs"][1:], ours["epochs"][1:len(ref["epochs"])]
    after = {}
    if later_r and later_o:
        for key in ("step_ms", "conv_ms", "conv_noninitial_ms", "rest_ms"):
            r, o = _weighted(later_r, key), _weighted(later_o, key)
            after[key] = {"ref": r, "ours": o, "speedup": _ratio(r, o)}
    return rows, after, layer_speed(ref, ours)


def layer_speed(ref, ours):
    """Per conv layer, epochs 2.. (or epoch 1 when there is only one): times and ratios."""
    er = ref["epochs"][1:] or ref["epochs"][:1]
    eo = ours["epochs"][1:len(ref["epochs"])] or ours["epochs"][:1]
    rows = []
    for name in ref["layers"]:
        def avg(epochs, key):
            vals = [(e["layers"][name][key], e["layers"][name]["timed_steps"]) for e in epochs if name in e["layers"]]
            w = sum(t for _, t in vals)
            return sum(v * t for v, t in vals) / w if w else None

        def last(epochs, key):
            return epochs[-1]["layers"].get(name, {}).get(key) if epochs else None

        r = {"layer": name}
        for d in ("fwd_ms", "bwd_ms"):
            r[f"ref_{d}"], r[f"ours_{d}"] = avg(er, d), avg(eo, d)
            r[f"speedup_{d.split('_')[0]}"] = _ratio(r[f"ref_{d}"], r[f"ours_{d}"])
        tr = (r["ref_fwd_ms"] or 0) + (r["ref_bwd_ms"] or 0)
        to = (r["ours_fwd_ms"] or 0) + (r["ours_bwd_ms"] or 0)
        r["speedup"] = _ratio(tr, to)
        r["src_sparsity"], r["diff_dst_sparsity"] = last(eo, "src_sparsity"), last(eo, "diff_dst_sparsity")
        rows.append(r)
    return rows


def compare(ref, ours, floor=None, window=WINDOW):
    p = parity(ref, ours, floor, window)
    rows, after, layers = speed(ref, ours)
    return {"ref": _describe(ref), "ours": _describe(ours), "floor": _describe(floor) if floor else None,
            "parity": p, "epochs": rows, "after_first_epoch": after, "layers": layers}


def _describe(run):
    c = run["config"]
    return {"mode": c["mode"], "threads": c["threads"], "memory_format": c["memory_format"],
            "dispatch": c.get("dispatch"), "model": c["model"], "epochs": len(run["epochs"])}


def _f(v, fmt):
    return "-" if v is None else fmt % v


def format_report(r):
    p, lines = r["parity"], []
    d = lambda x: f"{x['mode']} {x['memory_format']} {x['threads']} thread(s)"
    lines.append(f"reference: {d(r['ref'])}; ours: {d(r['ours'])}"
                 + (f"; floor: {d(r['floor'])}" if r["floor"] else ""))
    lines.append(f"loss over the first {p['window_steps']} steps: mean |ours - ref| {_f(p['deviation_mean'], '%.3g')}"
                 f" (max {_f(p['deviation_max'], '%.3g')})"
                 + (f", noise floor {_f(p.get('floor_mean'), '%.3g')} (max {_f(p.get('floor_max'), '%.3g')}),"
                    f" ratio {_f(p.get('loss_ratio'), '%.2f')}: {'ok' if p.get('loss_ok') else 'NOT within 2x'}"
                    if "floor_mean" in p else ", no floor run"))
    if "accuracy_diff" in p:
        lines.append(f"test accuracy after {p['epochs_compared']} epoch(s): ref {p['ref_accuracy']:.2f} %, ours "
                     f"{p['ours_accuracy']:.2f} % ({p['accuracy_diff']:+.2f} points: "
                     f"{'ok' if p['accuracy_ok'] else 'NOT within 0.5'})"
                     + (f"; the floor run {p['floor_accuracy']:.2f} % ({p['floor_accuracy_diff']:+.2f} points)"
                        if "floor_accuracy" in p else ""))
    lines.append("")
    lines.append(f"{'epoch':>5} {'step ms ref':>11} {'ours':>8} {'x':>6} {'conv ms ref':>11} {'ours':>8} {'x':>6} "
                 f"{'non-init x':>10} {'rest x':>7}")
    for e in r["epochs"]:
        lines.append(f"{e['epoch']:>5} {_f(e['ref_step_ms'], '%11.1f')} {_f(e['ours_step_ms'], '%8.1f')} "
                     f"{_f(e['speedup_step_ms'], '%5.2fx')} {_f(e['ref_conv_ms'], '%11.1f')} "
                     f"{_f(e['ours_conv_ms'], '%8.1f')} {_f(e['speedup_conv_ms'], '%5.2fx')} "
                     f"{_f(e['speedup_conv_noninitial_ms'], '%9.2fx')} {_f(e['speedup_rest_ms'], '%6.2fx')}")
    a = r["after_first_epoch"]
    if a:
        lines.append("after the first epoch: " + ", ".join(
            f"{k} {_f(v['ref'], '%.1f')} -> {_f(v['ours'], '%.1f')} ms ({_f(v['speedup'], '%.2fx')})"
            for k, v in a.items()))
    lines.append("")
    lines.append(f"{'layer':<22} {'src zeros':>9} {'dd zeros':>9} {'fwd ms':>8} {'x':>6} {'bwd ms':>8} {'x':>6} "
                 f"{'fwd+bwd x':>9}")
    for l in r["layers"]:
        lines.append(f"{l['layer']:<22} {_f(l['src_sparsity'], '%9.3f')} {_f(l['diff_dst_sparsity'], '%9.3f')} "
                     f"{_f(l['ref_fwd_ms'], '%8.2f')} {_f(l['speedup_fwd'], '%5.2fx')} {_f(l['ref_bwd_ms'], '%8.2f')} "
                     f"{_f(l['speedup_bwd'], '%5.2fx')} {_f(l['speedup'], '%8.2fx')}")
    return "\n".join(lines)


def write(r, folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "compare.json"), "w") as f:
        json.dump(r, f, indent=1)
    for name, rows in (("compare_epochs.csv", r["epochs"]), ("compare_layers.csv", r["layers"])):
        if not rows:
            continue
        with open(os.path.join(folder, name), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            for row in rows:
                w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else ("" if v is None else v))
                            for k, v in row.items()})
    with open(os.path.join(folder, "compare.txt"), "w") as f:
        f.write(format_report(r) + "\n")
