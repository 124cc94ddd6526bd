"""Shared fixtures and helpers of the sparsetrain.torch tests (run by ctest, see
tests/python/CMakeLists.txt: PYTHONPATH=build/python, OMP_NUM_THREADS=2)."""

import os
import re

import pytest
import torch
import torch.nn.functional as F

import sparsetrain.torch as st

EPS32 = torch.finfo(torch.float32).eps


def sparse_expected() -> bool:
    """Whether sparsetrain's sparse kernels can run here: AVX-512 (F, BW, VL, DQ) on this
    CPU and no cap below it (SPARSETRAIN_MAX_CPU_ISA / ONEDNN_MAX_CPU_ISA, as CI's second
    run sets); otherwise every primitive must fall back to oneDNN dense."""
    with open("/proc/cpuinfo") as f:
        flags = set(re.search(r"^flags\s*:(.*)$", f.read(), re.M).group(1).split())
    if not {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return False
    for var in ("SPARSETRAIN_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA"):
        cap = os.environ.get(var, "").lower()
        if cap and not cap.startswith("avx512") and cap != "all":
            return False
    return True


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
