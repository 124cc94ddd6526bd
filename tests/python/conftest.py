"""Shared fixtures and helpers of the sparsetrain.torch tests (run by ctest, see
tests/python/CMakeLists.txt: PYTHONPATH=build/python, OMP_NUM_THREADS=2)."""

import os
import sys

import pytest
import torch
import torch.nn.functional as F

import sparsetrain.torch as st

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))
from fashion_mnist.cpu import sparse_expected  # noqa: E402  (AVX-512 here, no ISA cap below it)

EPS32 = torch.finfo(torch.float32).eps


SPARSE = sparse_expected()


@pytest.fixture(autouse=True, scope="session")
def _nan_fill_outputs():
    """Every buffer a primitive writes starts as NaN: an element a kernel skips shows up."""
    st._ext.set_debug_fill_nan(True)
    yield
    st._ext.set_debug_fill_nan(False)


@pytest.fixture(autouse=True)
def _fresh_fallback_notes():
    """Each test sees the one-time fallback warnings afresh."""
    import sparsetrain.torch.functional as SF
    SF._warned.clear()
    yield


@pytest.fixture(autouse=True)
def _threads():
    saved = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(saved)


def with_zeros(t: torch.Tensor, fraction: float, gen: torch.Generator) -> torch.Tensor:
    """``t`` with an i.i.d. ``fraction`` of its elements set to zero."""
    if fraction <= 0:
        return t
    keep = torch.rand(t.shape, generator=gen) >= fraction
    return t * keep


def conv_reference(x, w, b, gy, stride, padding):
    """float64 output and gradients of F.conv2d, and per-element bounds of their float32
    rounding error: gamma_K * sum |a*b| over each element's K products, for any summation
    order (the classic forward error bound), computed by running the same operations on
    absolute values. K is the reduction length of each direction."""
    def run(x, w, b, gy):
        x = x.detach().double().requires_grad_()
        w = w.detach().double().requires_grad_()
        b = None if b is None else b.detach().double().requires_grad_()
        y = F.conv2d(x, w, b, stride, padding)
        y.backward(gy.double())
        return y.detach(), x.grad, w.grad, (None if b is None else b.grad)

    ref = run(x, w, b, gy)
    absb = None if b is None else b.abs()
    bound = run(x.abs(), w.abs(), absb, gy.abs())
    n, c, _, _ = x.shape
    k, _, kh, kw = w.shape
    oh, ow = ref[0].shape[2:]
    lengths = (c * kh * kw + 1, k * kh * kw, n * oh * ow, n * oh * ow)
    tols = tuple(None if bb is None else 2 * L * EPS32 * bb + 1e-30 for bb, L in zip(bound, lengths))
    return ref, tols


def assert_close_bound(got, ref, tol, what):
    assert got is not None, f"{what}: missing"
    assert torch.isfinite(got).all(), f"{what}: non-finite values (unwritten output?)"
    err = (got.double() - ref).abs()
    bad = err > tol
    assert not bad.any(), (f"{what}: {int(bad.sum())} elements off, worst error {float(err.max()):.3g} "
                           f"(bound there {float(tol.flatten()[int(err.flatten().argmax())]):.3g})")
