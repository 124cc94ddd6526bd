"""One training run: a model, stock nn.Conv2d or sparsetrain.torch, a thread count, a memory
format; seeded, the same data order for every run with the same seed.

Determinism: the initial weights come from torch.manual_seed(seed) before any conversion, the
batch order from (seed, epoch) (data.py), and torch.use_deterministic_algorithms(True) is on, so
a stock run repeats bit for bit with the same thread count and memory format. What changes the
floating-point summation order, and hence the loss trajectory in its last bits first:
- the thread count (oneDNN splits backward-weights reductions over threads) and the memory
  format (other oneDNN kernels) in stock runs: this is the noise floor compare.py measures;
- sparsetrain's kernels (their own fixed order, independent of the thread count); with
  --dispatch=auto each call picks the sparse kernel or oneDNN dense from measured times, so the
  order can differ between two runs (use --dispatch=sparse for runs that repeat bit for bit).
"""
import dataclasses
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import binding, capture, data, memory, models, probes, records

DEFAULT_LR = {"vgg": 0.01, "resnet": 0.05}


@dataclasses.dataclass
class RunConfig:
    model: str = "vgg"
    mode: str = "stock"             # stock | sparsetrain
    dispatch: str = "auto"          # sparsetrain's dispatch: auto | sparse | dense
    relu_mask: bool = True          # sparsetrain's ReLU-backward mask (fused ReLU + conv)
    threads: int = 2
    memory_format: str = "channels_last"  # nchw | channels_last
    batch: int = 64
    epochs: int = 3
    max_steps: int = 0              # stop after this many steps in all (0: all epochs)
    lr: float = 0.0                 # 0: the model's default (DEFAULT_LR)
    momentum: float = 0.9
    weight_decay: float = 5e-4
    seed: int = 1
    train_images: int = 0           # 0: all 60,000
    test_images: int = 0            # 0: all 10,000
    stats_every: int = 20           # count zeros every N steps (those steps are not timed)
    warmup_steps: int = 3           # first steps of each process are not timed
    capture_dir: str = ""
    capture_steps: tuple = ()
    capture_mb: int = 16
    capture_weights: bool = True
    capture_layers: tuple = ()      # only these conv layers (default all)
    out: str = ""
    resume: bool = False
    quiet: bool = False
    malloc: str = "retain"          # retain: keep freed memory (memory.py); default: glibc's behaviour

    def tag(self):
        return f"{self.model}_{self.mode}_{self.memory_format}_t{self.threads}"


def log(cfg, msg):
    if not cfg.quiet:
        print(msg, file=sys.stderr, flush=True)


def setup_process(cfg):
    """Threads, determinism and the allocator policy of the process."""
    torch.set_num_threads(cfg.threads)
    torch.use_deterministic_algorithms(True)
    if cfg.malloc == "retain":
        if not memory.retain():
            log(cfg, "note: could not keep freed memory (not glibc?): steps may pay page faults")
    elif cfg.malloc != "default":
        raise ValueError(f"malloc {cfg.malloc!r}: expected retain or default")


def make_model(cfg, example):
    """The seeded model, converted for sparsetrain runs; (model, summary text or '')."""
    torch.manual_seed(cfg.seed)
    model = models.build(cfg.model)
    summary = ""
    if cfg.mode == "sparsetrain":
        summary = binding.convert(model, cfg.dispatch, example, cfg.relu_mask)
    elif cfg.mode != "stock":
        raise ValueError(f"mode {cfg.mode!r}: expected stock or sparsetrain")
    if cfg.memory_format == "channels_last":
        model = model.to(memory_format=torch.channels_last)
    elif cfg.memory_format != "nchw":
        raise ValueError(f"memory format {cfg.memory_format!r}: expected nchw or channels_last")
    return model, summary


def to_input(cfg, x):
    # From a flat buffer: numpy may give the size-1 channel axis any stride, and PyTorch reads
    # strides (784, 1, 28, 1) as channels_last, so an "NCHW" batch would run in channels_last.
    x = np.ascontiguousarray(x)
    t = torch.from_numpy(x.reshape(-1)).view(x.shape)
    return t.contiguous(memory_format=torch.channels_last) if cfg.memory_format == "channels_last" else t


def evaluate(cfg, model, ds, probe_set):
    probe_set.set_active(False)
    model.eval()
    correct, loss_sum = 0, 0.0
    with torch.no_grad():
        for x, y in ds.test_batches(256):
            out = model(to_input(cfg, x))
            yt = torch.from_numpy(y)
            loss_sum += F.cross_entropy(out, yt, reduction="sum").item()
            correct += int((out.argmax(1) == yt).sum())
    model.train()
    probe_set.set_active(True)
    n = len(ds.test_x)
    return 100.0 * correct / n, loss_sum / n


class Trainer:
    def __init__(self, cfg, ds=None):
        self.cfg = cfg
        setup_process(cfg)
        self.ds = ds or data.FashionMNIST(train_limit=cfg.train_images or None, test_limit=cfg.test_images or None)
        example = to_input(cfg, self.ds.train_x[:1])
        self.model, self.summary = make_model(cfg, example)
        self.named_convs = models.conv_layers(self.model)
        self.probes = probes.Probes(self.named_convs)
        lr = cfg.lr or DEFAULT_LR[cfg.model]
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=cfg.momentum,
                                   weight_decay=cfg.weight_decay)
        self.rec = records.RunRecord(cfg, self.summary, [n for n, _ in self.named_convs])
        self.step = 0
        self.first_epoch = 0
        self.steps_this_process = 0
        self.capture = None
        if cfg.capture_dir:
            self.capture = capture.CaptureWriter(cfg.capture_dir, f"model={cfg.model} mode={cfg.mode} "
                                                 f"format={cfg.memory_format} seed={cfg.seed} batch={cfg.batch}",
                                                 mb=cfg.capture_mb, weights=cfg.capture_weights,
                                                 layers=set(cfg.capture_layers), append=cfg.resume)
        if cfg.resume:
            self._resume()

    # ---- checkpoints: one after every epoch, so a long run can go in pieces ----
    def _checkpoint_path(self):
        return os.path.join(self.cfg.out, "checkpoint.pt")

    def _save_checkpoint(self, epoch):
        if not self.cfg.out:
            return
        torch.save({"model": self.model.state_dict(), "opt": self.opt.state_dict(), "epoch": epoch,
                    "step": self.step, "record": self.rec.state()}, self._checkpoint_path())

    def _resume(self):
        path = self._checkpoint_path()
        if not self.cfg.out or not os.path.isfile(path):
            log(self.cfg, f"resume: no checkpoint at {path}, starting from the beginning")
            return
        ck = torch.load(path)
        self.model.load_state_dict(ck["model"])
        self.opt.load_state_dict(ck["opt"])
        self.step, self.first_epoch = ck["step"], ck["epoch"] + 1
        self.rec.restore(ck["record"])
        log(self.cfg, f"resume: after epoch {ck['epoch']}, step {self.step}")

    # ---- one step ----
    def _step_kind(self):
        cfg = self.cfg
        if self.capture is not None and self.step in cfg.capture_steps:
            return "capture"
        if self.steps_this_process < cfg.warmup_steps:
            return "warmup"
        if cfg.stats_every and self.step % cfg.stats_every == 0:
            return "stats"
        return "timed"

    def train_step(self, x, y):
        kind = self._step_kind()
        self.probes.begin_step(count_zeros=kind == "stats", capture=kind == "capture")
        t0 = time.perf_counter_ns()
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.model(x), y)
        loss.backward()
        self.opt.step()
        t1 = time.perf_counter_ns()
        fwd, bwd = self.probes.end_step(timed=kind == "timed")
        if kind == "stats":
            self.rec.add_sparsity(self.step, {p.name: (p.stats.src_zeros[-1], p.stats.diff_dst_zeros[-1])
                                              for p in self.probes.layers})
        if kind == "capture":
            for (name, module), p in zip(self.named_convs, self.probes.layers):
                self.capture.add_layer(name, module, self.step, p.capture, label=f"{self.cfg.model}:{name}")
        self.rec.add_step(self.step, loss.item(), kind, (t1 - t0) / 1e6, fwd / 1e6, bwd / 1e6)
        if self.steps_this_process == 0:
            self._check_formats()
        self.step += 1
        self.steps_this_process += 1
        return loss.item()

    def _check_formats(self):
        formats = {p.name: p.input_format for p in self.probes.layers}
        self.rec.set_input_formats(formats)
        wrong = {k: v for k, v in formats.items() if self.cfg.memory_format not in v.split("/")}
        if wrong:
            raise RuntimeError(f"conv inputs not in {self.cfg.memory_format}: {wrong}")

    def run(self):
        cfg = self.cfg
        if cfg.out:
            os.makedirs(cfg.out, exist_ok=True)
        log(cfg, f"{cfg.tag()}: {len(self.ds.train_x)} training images, batch {cfg.batch}, "
                 f"{len(self.named_convs)} conv layers")
        if self.summary:
            log(cfg, self.summary)
        done = False
        for epoch in range(self.first_epoch, cfg.epochs):
            order = self.ds.batch_order(cfg.seed, epoch, cfg.batch)
            t_epoch = time.perf_counter()
            for i, idx in enumerate(order):
                if cfg.max_steps and self.step >= cfg.max_steps:
                    done = True
                    break
                loss = self.train_step(to_input(cfg, self.ds.train_x[idx]), torch.from_numpy(self.ds.train_y[idx]))
                if not cfg.quiet and (i % 50 == 0 or i + 1 == len(order)):
                    log(cfg, f"  epoch {epoch + 1} step {i + 1}/{len(order)} loss {loss:.4f} "
                             f"({time.perf_counter() - t_epoch:.0f} s)")
            self._end_epoch(epoch)
            if done:
                break
        if self.capture is not None:
            self.capture.close()
            log(cfg, f"capture: {cfg.capture_dir} ({self.capture.bytes / 1e6:.1f} MB)")
        self.probes.remove()
        return self.rec

    def _end_epoch(self, epoch):
        cfg = self.cfg
        acc, test_loss = evaluate(cfg, self.model, self.ds, self.probes)
        paths = binding.layer_stats(self.model) if cfg.mode == "sparsetrain" else {}
        if cfg.mode == "sparsetrain":
            binding.reset_stats(self.model)
        e = self.rec.end_epoch(epoch, acc, test_loss, self.probes.take_epoch(), paths)
        log(cfg, f"epoch {epoch + 1}: train loss {e['train_loss']:.4f}, test accuracy {acc:.2f} %, "
                 f"{e['step_ms']:.1f} ms/step (convs {e['conv_ms']:.1f}, rest {e['rest_ms']:.1f})")
        if cfg.out:
            self.rec.write(cfg.out)
            self._save_checkpoint(epoch)
