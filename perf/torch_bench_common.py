"""Pieces shared by the torch_bench modes: data like sparsetrain-bench's, interleaved timing."""

import time

import torch

FORMATS = {"nchw": torch.contiguous_format, "channels_last": torch.channels_last}


def with_zeros(shape, sparsity, gen, positive):
    """Values in [1/8, 1] (both signs unless ``positive``), an i.i.d. ``sparsity`` of zeros
    (sparsetrain-bench's data)."""
    v = torch.rand(shape, generator=gen) * 0.875 + 0.125
    if not positive:
        v = torch.where(torch.rand(shape, generator=gen) < 0.5, -v, v)
    return v * (torch.rand(shape, generator=gen) >= sparsity)


def interleaved(variants, reps, warmup):
    """{name: [seconds]}: every rep runs every variant once, the order rotating per rep."""
    names = list(variants)
    times = {n: [] for n in names}
    for r in range(warmup + reps):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            t = variants[n]()
            if r >= warmup:
                times[n].append(t)
    return times


def conv_step(conv, x, gy):
    def run():
        conv.weight.grad = None
        conv.bias.grad = None
        x.grad = None
        t0 = time.perf_counter()
        y = conv(x)
        y.backward(gy)
        return time.perf_counter() - t0
    return run
