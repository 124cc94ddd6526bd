"""Helpers of the ReLU-mask tests: one training step's outputs and gradients, a float64
reference, and a comparison whose tolerance follows PyTorch's own float32 error."""

import copy

import torch
import torch.nn.functional as F
from torch import nn

from conftest import EPS32


def step(model, x, labels):
    """(output, {'input': d loss/d x, parameter name: gradient}) of one cross-entropy step."""
    model.zero_grad(set_to_none=True)
    x = x.detach().clone().requires_grad_()
    out = model(x)
    F.cross_entropy(out.flatten(1), labels).backward()
    grads = {"input": x.grad.detach().clone()}
    grads.update({n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None})
    return out.detach(), grads


def reduction_length(model, x) -> int:
    """The longest reduction of any conv in ``model`` for input ``x``: ic*kh*kw (forward),
    oc*kh*kw (backward data), n*oh*ow (backward weights; bounded by n*h*w of the input)."""
    n, _, h, w = x.shape
    k = n * h * w
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            k = max(k, m.in_channels * kh * kw, m.out_channels * kh * kw)
    return k


def assert_matches_stock(stock, ours, x, labels, what, slack=4.0):
    """One step of ``ours`` (float32) against ``stock`` run in float64: every output and
    gradient element within ``slack`` times stock float32's own worst error on that tensor,
    or within K*eps32 of the tensor's scale (K: the longest reduction; the classic bound
    of a K-term float32 sum), whichever is larger.
    Both models start from the same weights and BatchNorm state."""
    ref64 = copy.deepcopy(stock).double()
    stock32 = copy.deepcopy(stock)
    out64, g64 = step(ref64, x.double(), labels)
    out32, g32 = step(stock32, x, labels)
    out, g = step(ours, x, labels)
    k = reduction_length(stock, x)
    pairs = [("output", out, out32, out64)] + [(n, g[n], g32[n], g64[n]) for n in g64]
    assert set(g) == set(g64), f"{what}: gradients of {sorted(set(g64) ^ set(g))} missing or extra"
    for name, got, base, ref in pairs:
        assert torch.isfinite(got).all(), f"{what}: {name}: non-finite values"
        scale = float(ref.abs().max()) or 1.0
        stock_err = float((base.double() - ref).abs().max())
        tol = max(slack * stock_err, k * EPS32 * scale, 1e-30)
        err = float((got.double() - ref).abs().max())
        assert err <= tol, (f"{what}: {name}: max error {err:.3g} > tolerance {tol:.3g} "
                            f"(stock float32 error {stock_err:.3g}, scale {scale:.3g}, K {k})")


def relu_backward_nodes(out) -> int:
    """How many ReLU-backward nodes autograd would run for ``out``."""
    seen, todo, n = set(), [out.grad_fn], 0
    while todo:
        f = todo.pop()
        if f is None or f in seen:
            continue
        seen.add(f)
        if type(f).__name__.startswith(("ReluBackward", "ThresholdBackward")):
            n += 1
        todo.extend(nf for nf, _ in f.next_functions)
    return n
