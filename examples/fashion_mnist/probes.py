"""Per-conv probes: forward and backward time, input and output-gradient sparsity, capture.

How the time of a convolution is measured (the same hooks on nn.Conv2d and SparseConv2d):
- forward: a forward pre-hook takes a timestamp as its last action, the forward hook its first
  action; the difference is the module's forward (the conv alone: PyTorch runs it
  synchronously on the CPU).
- backward: the forward hook routes the conv's output through an identity autograd node whose
  backward takes a timestamp when the output gradient is complete, just before the conv's own
  backward node runs; the pre-hook routes the input through another identity node whose
  backward takes the end timestamp right after the conv's backward node has produced the input
  gradient. For the first conv (its input, the image, needs no gradient) the end is the hook of
  the weight's gradient (PyTorch runs gradient accumulation as soon as it is ready). In a
  sequential net nothing runs between the two stamps but the conv's backward; in the ResNet
  blocks the autograd engine (one CPU thread, ordered by creation) also runs the conv's
  backward right after its output gradient is complete, and the input stamp is the next node.
- sparsity: counted only on "stats" steps (every --stats-every steps), inside the hooks but
  outside the stamped intervals; those steps (and capture steps) are left out of every time
  statistic, so the counting costs no measured time.
Overhead: four Python calls and two identity nodes per conv and step (microseconds against
milliseconds); `train_fashion_mnist.py overhead` measures steps with and without the probes.
"""
import time

import torch


class _Stamp(torch.autograd.Function):
    """Identity in forward; calls `callback(grad)` in backward and passes the gradient on."""

    @staticmethod
    def forward(ctx, x, callback):
        ctx.callback = callback
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        ctx.callback(grad)
        return grad, None


def memory_format_of(t):
    """'nchw', 'channels_last' (both for ambiguous shapes such as C = 1), or 'strided'."""
    nchw, cl = t.is_contiguous(), t.is_contiguous(memory_format=torch.channels_last)
    return "nchw/channels_last" if nchw and cl else "nchw" if nchw else "channels_last" if cl else "strided"


def zero_fraction(t):
    return float((t == 0).sum().item()) / max(1, t.numel())


class LayerStats:
    """What one conv accumulated over the steps of one epoch."""

    def __init__(self):
        self.fwd_ns, self.bwd_ns, self.timed_steps = 0, 0, 0
        self.src_zeros, self.diff_dst_zeros = [], []

    def as_dict(self):
        mean = lambda v: sum(v) / len(v) if v else None
        n = max(1, self.timed_steps)
        return {"fwd_ms": self.fwd_ns / n / 1e6, "bwd_ms": self.bwd_ns / n / 1e6, "timed_steps": self.timed_steps,
                "src_sparsity": mean(self.src_zeros), "diff_dst_sparsity": mean(self.diff_dst_zeros)}


class ConvProbe:
    """Hooks on one conv module. The trainer sets `step_kind` before each step."""

    def __init__(self, name, module):
        self.name, self.module = name, module
        self.stats = LayerStats()
        self.active = True        # off during evaluation
        self.count_zeros = False  # this step counts zeros
        self.capture = None       # dict to fill with this step's tensors, or None
        self._t = {}
        self.input_format = None  # memory format of the first training input seen
        self._handles = [module.register_forward_pre_hook(self._pre), module.register_forward_hook(self._post),
                         module.weight.register_hook(self._end_from_weight)]

    def remove(self):
        for h in self._handles:
            h.remove()

    def reset_step(self):
        self._t = {}

    def _pre(self, module, inputs):
        if not self.active or not torch.is_grad_enabled():
            return None
        x = inputs[0]
        if self.input_format is None:
            self.input_format = memory_format_of(x)
        # a conv with the ReLU fused in (sparsetrain's input_relu) reads relu(x)
        src = x.detach().clamp_min(0) if getattr(module, "input_relu", False) and (
            self.count_zeros or self.capture is not None) else x
        if self.count_zeros:
            self.stats.src_zeros.append(zero_fraction(src))
        if self.capture is not None:
            self.capture["src"] = src.detach().contiguous().clone()
            self.capture["weights"] = module.weight.detach().contiguous().clone()
            self.capture["input_grad"] = x.requires_grad
        if x.requires_grad:
            x = _Stamp.apply(x, self._end)
        self._t["f0"] = time.perf_counter_ns()
        return (x,) + tuple(inputs[1:])

    def _post(self, module, inputs, out):
        if not self.active or not torch.is_grad_enabled():
            return None
        self._t["f1"] = time.perf_counter_ns()
        return _Stamp.apply(out, self._begin_backward)

    def _begin_backward(self, grad):
        if self.count_zeros:
            self.stats.diff_dst_zeros.append(zero_fraction(grad))
        if self.capture is not None:
            self.capture["diff_dst"] = grad.detach().contiguous().clone()
        self._t["b0"] = time.perf_counter_ns()

    def _end(self, grad):
        self._t["b1"] = time.perf_counter_ns()

    def _end_from_weight(self, grad):
        if self.active:
            self._t["b1w"] = time.perf_counter_ns()
        return None

    def step_times(self):
        """(forward ns, backward ns) of the step just run; raises if a stamp is missing."""
        t = dict(self._t)
        t.setdefault("b1", t.get("b1w"))  # input needs no gradient: the weight's gradient ends it
        missing = [k for k in ("f0", "f1", "b0", "b1") if t.get(k) is None]
        if missing:
            raise RuntimeError(f"probe {self.name}: timestamps {missing} missing (conv not run in this step?)")
        return t["f1"] - t["f0"], t["b1"] - t["b0"]


class Probes:
    """All convs of a model."""

    def __init__(self, named_convs):
        self.layers = [ConvProbe(n, m) for n, m in named_convs]

    def set_active(self, on):
        for p in self.layers:
            p.active = on

    def begin_step(self, count_zeros, capture):
        for p in self.layers:
            p.reset_step()
            p.count_zeros = count_zeros
            p.capture = {} if capture else None

    def end_step(self, timed):
        """Adds the step's times (when `timed`); returns (conv forward ns, conv backward ns)."""
        fwd = bwd = 0
        for p in self.layers:
            f, b = p.step_times()
            fwd, bwd = fwd + f, bwd + b
            if timed:
                p.stats.fwd_ns += f
                p.stats.bwd_ns += b
                p.stats.timed_steps += 1
        return fwd, bwd

    def take_epoch(self):
        out = {p.name: p.stats.as_dict() for p in self.layers}
        for p in self.layers:
            p.stats = LayerStats()
        return out

    def remove(self):
        for p in self.layers:
            p.remove()
