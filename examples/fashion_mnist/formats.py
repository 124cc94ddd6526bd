"""Stock PyTorch in both memory formats and sparsetrain, interleaved in one process.

Every variant (mode x memory format) starts from the same weights (a checkpoint of a training
run, e.g. after its first epoch, so that the zeros are those of a trained net; or the seeded
initial weights) and trains on the same batches. Rounds of `steps` steps alternate between the
variants (forward order, then backward), so that a drift in the machine's speed hits all of
them alike; times are medians over all timed steps, per step and per conv layer (probes.py).
The zero fractions come from one extra step per variant at the end (not timed). A variant
spec MODE:FORMAT:noprobes runs without the probes (no conv times): beside the same variant with
probes it measures what the probes cost per step.
"""
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F

from . import binding, data, models, probes, train


class Variant:
    def __init__(self, name, mode, fmt, state, cfg, example, probed=True):
        self.name, self.mode, self.fmt, self.probed = name, mode, fmt, probed
        self.cfg = train.RunConfig(**{**cfg.__dict__, "mode": mode, "memory_format": fmt})
        self.model = models.build(cfg.model)
        self.model.load_state_dict(state)
        self.summary = binding.convert(self.model, cfg.dispatch, example, cfg.relu_mask) if mode == "sparsetrain" else ""
        if fmt == "channels_last":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.names = [n for n, _ in models.conv_layers(self.model)] if probed else []
        self.probes = probes.Probes(models.conv_layers(self.model) if probed else [])
        self.opt = torch.optim.SGD(self.model.parameters(), lr=cfg.lr or train.DEFAULT_LR[cfg.model],
                                   momentum=cfg.momentum, weight_decay=cfg.weight_decay)
        self.step_ms, self.conv_ms, self.noninit_ms = [], [], []
        self.layer_ms = {n: [] for n in self.names}

    def step(self, x, y, timed=True, count_zeros=False):
        self.probes.begin_step(count_zeros=count_zeros, capture=False)
        x = train.to_input(self.cfg, x)
        t0 = time.perf_counter_ns()
        self.opt.zero_grad(set_to_none=True)
        F.cross_entropy(self.model(x), torch.from_numpy(y)).backward()
        self.opt.step()
        t1 = time.perf_counter_ns()
        self.probes.end_step(timed=False)
        if not timed:
            return
        per = {p.name: sum(p.step_times()) / 1e6 for p in self.probes.layers}
        self.step_ms.append((t1 - t0) / 1e6)
        self.conv_ms.append(sum(per.values()))
        self.noninit_ms.append(sum(v for k, v in per.items() if k != self.names[0]))
        for k, v in per.items():
            self.layer_ms[k].append(v)

    def result(self):
        med = lambda v: statistics.median(v) if v else 0.0
        zeros = {p.name: {"src": p.stats.src_zeros[-1], "diff_dst": p.stats.diff_dst_zeros[-1]}
                 for p in self.probes.layers if p.stats.src_zeros}
        return {"variant": self.name, "mode": self.mode, "memory_format": self.fmt, "steps": len(self.step_ms),
                "step_ms": med(self.step_ms), "conv_ms": med(self.conv_ms), "conv_noninitial_ms": med(self.noninit_ms),
                "layers": {k: {"ms": med(v), **zeros.get(k, {})} for k, v in self.layer_ms.items()}}


def run_formats(cfg, variants, steps, rounds, checkpoint=None, log=print):
    train.setup_process(cfg)
    ds = data.FashionMNIST(train_limit=cfg.train_images or None, test_limit=1)
    torch.manual_seed(cfg.seed)
    state = models.build(cfg.model).state_dict()
    if checkpoint:
        state = torch.load(checkpoint)["model"]
    example = train.to_input(train.RunConfig(memory_format="nchw"), ds.train_x[:1])
    vs = [Variant(" ".join(v), v[0], v[1], state, cfg, example, probed="noprobes" not in v[2:]) for v in variants]
    order = ds.batch_order(cfg.seed, 1000, cfg.batch)
    need = steps * rounds + 4
    if len(order) < need:
        raise ValueError(f"{len(order)} batches of {cfg.batch}, need {need}")
    batches = [(ds.train_x[i], ds.train_y[i]) for i in order[:need]]
    for v in vs:  # warm-up: primitives, JIT kernels, dispatch calibration
        for x, y in batches[:3]:
            v.step(x, y, timed=False)
    for r in range(rounds):
        for v in (vs if r % 2 == 0 else vs[::-1]):
            for x, y in batches[3 + r * steps:3 + (r + 1) * steps]:
                v.step(x, y)
        log(f"  round {r + 1}/{rounds}: " + ", ".join(f"{v.name} {statistics.median(v.step_ms):.1f} ms" for v in vs))
    for v in vs:
        v.step(*batches[-1], timed=False, count_zeros=True)
    results = [v.result() for v in vs]
    stock = [r for r in results if r["mode"] == "stock" and r["conv_ms"] > 0]
    best = min(stock, key=lambda r: r["step_ms"]) if stock else None
    for r in results:
        if best:
            r["vs_fastest_stock"] = {k: best[k] / r[k] if r[k] else 0.0 for k in ("step_ms", "conv_ms", "conv_noninitial_ms")}
    return {"model": cfg.model, "threads": cfg.threads, "batch": cfg.batch, "steps_per_round": steps,
            "rounds": rounds, "checkpoint": checkpoint, "dispatch": cfg.dispatch,
            "fastest_stock": best["variant"] if best else None, "variants": results}


def format_table(res):
    lines = [f"{res['model']}, batch {res['batch']}, {res['threads']} thread(s), median of {res['rounds']} x "
             f"{res['steps_per_round']} interleaved steps" + (f", weights of {res['checkpoint']}" if res["checkpoint"] else ""),
             f"{'variant':<36} {'step ms':>8} {'conv ms':>8} {'non-init':>8} {'step x':>7} {'conv x':>7} {'non-init x':>10}"]
    for r in res["variants"]:
        s = r.get("vs_fastest_stock", {})
        lines.append(f"{r['variant']:<36} {r['step_ms']:8.1f} {r['conv_ms']:8.1f} {r['conv_noninitial_ms']:8.1f} "
                     f"{s.get('step_ms', 0):6.2f}x {s.get('conv_ms', 0):6.2f}x {s.get('conv_noninitial_ms', 0):9.2f}x")
    lines.append(f"ratios: the fastest stock variant ({res['fastest_stock']}) / each variant")
    probed = [r for r in res["variants"] if r["layers"]]
    names = list(probed[0]["layers"]) if probed else []
    lines.append(f"{'layer':<22} {'src zeros':>9} {'dd zeros':>9} " + " ".join(f"{r['variant'][:16]:>16}" for r in probed))
    for n in names:
        z = probed[-1]["layers"][n]
        lines.append(f"{n:<22} {z.get('src', 0):9.3f} {z.get('diff_dst', 0):9.3f} "
                     + " ".join(f"{r['layers'][n]['ms']:13.2f} ms" for r in probed))
    return "\n".join(lines)


def write(res, folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"formats_{res['model']}.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(folder, f"formats_{res['model']}.txt"), "w") as f:
        f.write(format_table(res) + "\n")
