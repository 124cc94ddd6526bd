"""SparseConv2d against F.conv2d + autograd: output and all three gradients over shapes,
sparsities of the input and of the output gradient, memory formats and thread counts;
forced sparse mode, with a check that the sparse kernels (or, where they do not apply, the
oneDNN fallback) really ran."""

import zlib

import pytest
import torch
import torch.nn.functional as F

import sparsetrain.torch as st
from conftest import SPARSE, assert_close_bound, conv_reference, with_zeros

# (name, N, C, H, W, OC, k, stride, pad, bias)
SHAPES = [
    ("3x3", 2, 16, 9, 9, 16, 3, 1, 1, True),
    ("3x3_s2_batch1", 1, 32, 8, 10, 48, 3, 2, 1, False),
    ("3x3_p0", 2, 16, 6, 7, 16, 3, 1, 0, True),
    ("3x3_s2_p2", 2, 16, 5, 5, 16, 3, 2, 2, True),
    ("1x1", 2, 16, 7, 7, 32, 1, 1, 0, True),
    ("1x1_s2_odd", 2, 32, 9, 9, 16, 1, 2, 0, False),
    ("5x5_p2", 2, 16, 11, 11, 16, 5, 1, 2, True),
    ("5x5_s2_batch1", 1, 16, 12, 13, 32, 5, 2, 2, False),
    ("3x3_c64", 2, 64, 14, 14, 64, 3, 1, 1, True),
    ("ic24_dense", 2, 24, 9, 9, 16, 3, 1, 1, True),
    ("oc20_dense", 2, 16, 9, 9, 20, 3, 1, 1, False),
    ("first_layer", 1, 3, 15, 15, 16, 3, 1, 1, True),
]
# (input zeros, output-gradient zeros)
SPARSITIES = [(0.0, 0.0), (0.5, 0.5), (0.9, 0.9), (1.0, 1.0), (0.9, 0.0), (0.0, 1.0)]


def sparse_expected_for(shape, direction, fmt):
    """Where the library's sparse kernels apply, in both memory formats (nChw16c inside for
    NCHW tensors, nhwc on channels_last tensors' own storage): channel counts that are
    multiples of 16, and for backward-weights kernels up to 3x3 (its documented cover)."""
    _, _, c, _, _, oc, k, _, _, _ = shape
    if not SPARSE or c % 16 or oc % 16:
        return False
    return direction != "backward_weights" or k <= 3


def run_case(shape, sx, sg, fmt, threads, seed, mode="sparse"):
    name, n, c, h, w, oc, k, s, p, bias = shape
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(seed)
    inner = "nhwc" if fmt == "nchw_via_nhwc" else "nChw16c"
    conv = st.SparseConv2d(c, oc, k, stride=s, padding=p, bias=bias,
                           options=st.ConvOptions(dispatch=mode, nchw_inner=inner))
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen))
        if bias:
            conv.bias.copy_(torch.randn(oc, generator=gen))
    x = with_zeros(torch.randn(n, c, h, w, generator=gen).relu_() + 0.01, sx, gen)
    if fmt == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_()
    y = conv(x)
    gy = with_zeros(torch.randn(y.shape, generator=gen), sg, gen)
    y.backward(gy)

    ref, tol = conv_reference(x, conv.weight, conv.bias, gy, s, p)
    assert_close_bound(y, ref[0], tol[0], f"{name} output")
    assert_close_bound(x.grad, ref[1], tol[1], f"{name} grad_input")
    assert_close_bound(conv.weight.grad, ref[2], tol[2], f"{name} grad_weight")
    if bias:
        assert_close_bound(conv.bias.grad, ref[3], tol[3], f"{name} grad_bias")
    # the output's memory format follows the input, as nn.Conv2d's does
    stock = F.conv2d(x.detach(), conv.weight.detach(), conv.bias, s, p)
    assert y.stride() == stock.stride(), f"{name}: output strides {y.stride()} vs nn.Conv2d's {stock.stride()}"
    return conv


@pytest.mark.parametrize("sx,sg", SPARSITIES, ids=[f"x{a}-gy{b}" for a, b in SPARSITIES])
@pytest.mark.parametrize("shape", SHAPES, ids=[s[0] for s in SHAPES])
# nchw_via_nhwc: NCHW tensors, primitives on nhwc copies (ConvOptions.nchw_inner='nhwc')
@pytest.mark.parametrize("fmt", ["nchw", "channels_last", "nchw_via_nhwc"])
def test_output_and_gradients(shape, sx, sg, fmt):
    seed = zlib.crc32(f"{shape[0]}/{sx}/{sg}/{fmt}".encode()) % 100000
    threads = 1 + seed % 2
    conv = run_case(shape, sx, sg, fmt, threads, seed)
    stats = conv.sparse_stats()
    for d in ("forward", "backward_data", "backward_weights"):
        assert stats[d]["runs"] == 1, f"{d}: {stats[d]}"
        if SPARSE and fmt != "nchw" or SPARSE and shape[2] % 16 == 0 and shape[5] % 16 == 0:
            want = {"nchw": "nChw16c", "channels_last": "nhwc", "nchw_via_nhwc": "nhwc"}[fmt]
            assert stats[d]["layout"] == want, f"{d}: {stats[d]}"
        impl = stats[d]["impl"]
        if sparse_expected_for(shape, d, fmt):
            assert impl.startswith("sparse_jit"), f"{d}: {impl} ({stats[d]['declined']})"
            assert stats[d]["sparse_runs"] == 1, f"{d}: {stats[d]}"
        else:
            assert impl.startswith("onednn:"), f"{d}: {impl}"
            assert stats[d]["dense_runs"] == 1, f"{d}: {stats[d]}"
            if not SPARSE:
                assert any("avx" in why.lower() or "isa" in why.lower() for _, why in stats[d]["declined"]), \
                    stats[d]["declined"]
    assert stats["fallback_runs"] == 0


@pytest.mark.parametrize("fmt", ["nchw", "channels_last"])
@pytest.mark.parametrize("mode", ["auto", "dense"])
def test_other_dispatch_modes(mode, fmt):
    """auto and dense give results within the same bounds; dense runs only oneDNN."""
    for shape in (SHAPES[0], SHAPES[4]):
        conv = run_case(shape, 0.7, 0.7, fmt, 2, 11, mode=mode)
        for d, s in conv.sparse_stats().items():
            if d in ("forward", "backward_data", "backward_weights"):
                assert s["runs"] == 1, (d, s)
                if mode == "dense":
                    assert s["dense_runs"] == 1 and s["impl"].startswith("onednn:"), (d, s)
                    assert any("dispatch mode is dense" in why for _, why in s["declined"]), s["declined"]


@pytest.mark.parametrize("fmt", ["nchw", "channels_last"])
def test_integer_data_is_exact(fmt):
    """Small integers: every product and partial sum is exact in float32 whatever the order,
    so the results equal F.conv2d's exactly."""
    gen = torch.Generator().manual_seed(3)
    conv = st.SparseConv2d(32, 32, 3, padding=1, options=st.ConvOptions(dispatch="sparse"))
    ref = torch.nn.Conv2d(32, 32, 3, padding=1)
    with torch.no_grad():
        conv.weight.copy_(torch.randint(-2, 3, conv.weight.shape, generator=gen).float())
        conv.bias.copy_(torch.randint(-2, 3, (32,), generator=gen).float())
    ref.load_state_dict(conv.state_dict())
    x = torch.randint(0, 3, (2, 32, 10, 10), generator=gen).float() * (torch.rand(2, 32, 10, 10, generator=gen) > 0.6)
    if fmt == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
    gy = torch.randint(-2, 3, (2, 32, 10, 10), generator=gen).float()
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya, yb = conv(xa), ref(xb)
    ya.backward(gy)
    yb.backward(gy)
    assert torch.equal(ya, yb)
    assert torch.equal(xa.grad, xb.grad)
    assert torch.equal(conv.weight.grad, ref.weight.grad)
    assert torch.equal(conv.bias.grad, ref.bias.grad)
