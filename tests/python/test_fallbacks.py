"""What sparsetrain does not cover runs exactly what nn.Conv2d runs, with a one-time warning;
wrong input raises nn.Conv2d's own exception (type and message), never a crash."""

import warnings

import pytest
import torch
from torch import nn

import sparsetrain.torch as st
import sparsetrain.torch.functional as SF


def twins(*args, **kw):
    torch.manual_seed(0)
    ref = nn.Conv2d(*args, **kw)
    ours = st.SparseConv2d.from_conv2d(nn.Conv2d(*args, **kw))
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def outcome(fn):
    """(exception type, message) or the result."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - comparing behaviours
        return (type(e), str(e))


FALLBACKS = [
    # (id, constructor kwargs, input maker, module dtype, expected reason fragment)
    ("float64", dict(in_channels=16, out_channels=16, kernel_size=3, padding=1), lambda: torch.randn(2, 16, 8, 8, dtype=torch.float64), torch.float64, "dtype float64"),
    ("bfloat16", dict(in_channels=16, out_channels=16, kernel_size=3, padding=1), lambda: torch.randn(2, 16, 8, 8).bfloat16(), torch.bfloat16, "dtype bfloat16"),
    ("float16", dict(in_channels=16, out_channels=16, kernel_size=3, padding=1), lambda: torch.randn(2, 16, 8, 8).half(), torch.float16, "dtype float16"),
    ("reflect", dict(in_channels=16, out_channels=16, kernel_size=3, padding=1, padding_mode="reflect"), lambda: torch.randn(2, 16, 8, 8), torch.float32, "padding_mode='reflect'"),
    ("circular", dict(in_channels=16, out_channels=16, kernel_size=3, padding=2, padding_mode="circular"), lambda: torch.randn(2, 16, 8, 8), torch.float32, "padding_mode='circular'"),
    ("same", dict(in_channels=16, out_channels=16, kernel_size=4, padding="same"), lambda: torch.randn(2, 16, 8, 8), torch.float32, "padding='same'"),
    ("valid", dict(in_channels=16, out_channels=16, kernel_size=3, padding="valid"), lambda: torch.randn(2, 16, 8, 8), torch.float32, "padding='valid'"),
    ("groups", dict(in_channels=32, out_channels=32, kernel_size=3, padding=1, groups=2), lambda: torch.randn(2, 32, 8, 8), torch.float32, "groups=2"),
    ("depthwise", dict(in_channels=32, out_channels=32, kernel_size=3, padding=1, groups=32), lambda: torch.randn(2, 32, 8, 8), torch.float32, "groups=32"),
    ("dilation", dict(in_channels=16, out_channels=16, kernel_size=3, padding=2, dilation=2), lambda: torch.randn(2, 16, 8, 8), torch.float32, "dilation=(2, 2)"),
    ("meta", dict(in_channels=16, out_channels=16, kernel_size=3, padding=1), lambda: torch.empty(2, 16, 8, 8, device="meta"), "meta", "meta tensors"),
    ("empty_batch", dict(in_channels=16, out_channels=16, kernel_size=3, padding=1), lambda: torch.randn(0, 16, 8, 8), torch.float32, "empty input"),
    ("zero_height_padded", dict(in_channels=16, out_channels=16, kernel_size=3, padding=2), lambda: torch.randn(1, 16, 0, 8), torch.float32, "empty input"),
]


@pytest.mark.parametrize("case", FALLBACKS, ids=[c[0] for c in FALLBACKS])
def test_uncovered_calls_run_f_conv2d(case):
    _, kw, make_x, dtype, reason = case
    ours, ref = twins(**kw)
    if dtype == "meta":
        ours, ref = ours.to("meta"), ref.to("meta")
    else:
        ours, ref = ours.to(dtype), ref.to(dtype)
    x = make_x()
    with pytest.warns(st.SparseTrainFallbackWarning, match=reason.replace("(", r"\(").replace(")", r"\)")):
        got = outcome(lambda: ours(x))
    want = outcome(lambda: ref(x))
    if isinstance(want, tuple):  # nn.Conv2d itself refuses (e.g. float16 on the CPU)
        assert got == want
        return
    assert got.dtype == want.dtype and got.shape == want.shape and got.stride() == want.stride()
    if dtype != "meta":
        assert torch.equal(got, want)  # the very same computation
        xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
        ours(xa).float().sum().backward()
        ref(xb).float().sum().backward()
        assert torch.equal(xa.grad, xb.grad) and torch.equal(ours.weight.grad, ref.weight.grad)
    s = ours.sparse_stats()
    assert s["fallback_runs"] >= 1 and s["fallback_reason"] == reason
    assert s["forward"]["runs"] == 0


def test_fallback_warning_is_given_once_per_reason():
    ours, _ = twins(16, 16, 3, padding=1, padding_mode="replicate")
    x = torch.randn(1, 16, 6, 6)
    with pytest.warns(st.SparseTrainFallbackWarning):
        ours(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours(x)  # no second warning


BAD = [
    ("2d_input", dict(in_channels=3, out_channels=8, kernel_size=3), lambda: torch.randn(10, 10)),
    ("5d_input", dict(in_channels=3, out_channels=8, kernel_size=3), lambda: torch.randn(1, 1, 3, 10, 10)),
    ("channel_mismatch", dict(in_channels=3, out_channels=8, kernel_size=3), lambda: torch.randn(1, 4, 10, 10)),
    ("channel_mismatch_16", dict(in_channels=16, out_channels=16, kernel_size=3), lambda: torch.randn(2, 32, 10, 10)),
    ("unbatched_channel_mismatch", dict(in_channels=16, out_channels=16, kernel_size=3), lambda: torch.randn(8, 10, 10)),
    ("image_smaller_than_kernel", dict(in_channels=16, out_channels=16, kernel_size=5), lambda: torch.randn(1, 16, 3, 3)),
    ("padded_still_smaller", dict(in_channels=16, out_channels=16, kernel_size=7, padding=1), lambda: torch.randn(1, 16, 4, 9)),
    ("zero_height", dict(in_channels=16, out_channels=16, kernel_size=3, padding=1), lambda: torch.randn(1, 16, 0, 9)),
    ("integer_input", dict(in_channels=16, out_channels=16, kernel_size=3), lambda: torch.ones(1, 16, 8, 8, dtype=torch.int64)),
    ("not_a_tensor", dict(in_channels=16, out_channels=16, kernel_size=3), lambda: [[1.0]]),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_raises_what_nn_conv2d_raises(case):
    _, kw, make_x = case
    ours, ref = twins(**kw)
    x = make_x()
    want = outcome(lambda: ref(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", st.SparseTrainFallbackWarning)  # dtype int64
        got = outcome(lambda: ours(x))
    assert isinstance(want, tuple), "the case must be an error for nn.Conv2d"
    assert got == want


def test_weight_dtype_mismatch_is_nn_conv2d_error():
    ours, ref = twins(16, 16, 3)
    ours.double()
    ref.double()
    x = torch.randn(1, 16, 8, 8)  # float32 input, float64 weights
    with pytest.warns(st.SparseTrainFallbackWarning, match="dtype float64"):
        got = outcome(lambda: ours(x))
    assert got == outcome(lambda: ref(x))


def test_extension_checks_its_own_arguments():
    """A direct caller of the extension gets a RuntimeError naming the problem, not a crash."""
    r = SF.ext.ConvRunner(16, 16, 3, 3, 1, 1, 1, 1, False)
    w = torch.randn(16, 16, 3, 3)
    with pytest.raises(RuntimeError, match="channels"):
        r.forward(torch.randn(1, 8, 8, 8), w, None, False, "auto", "env")
    with pytest.raises(RuntimeError, match="float32"):
        r.forward(torch.randn(1, 16, 8, 8).double(), w, None, False, "auto", "env")
    with pytest.raises(RuntimeError, match="contiguous"):
        r.forward(torch.randn(1, 16, 8, 8).transpose(2, 3), w, None, False, "auto", "env")
    with pytest.raises(RuntimeError, match="smaller than the kernel"):
        r.forward(torch.randn(1, 16, 0, 8), w, None, False, "auto", "env")
    with pytest.raises(ValueError, match="dispatch mode"):
        r.forward(torch.randn(1, 16, 8, 8), w, None, False, "fast", "env")
    with pytest.raises(RuntimeError, match="bias"):
        r.forward(torch.randn(1, 16, 8, 8), w, torch.zeros(16), False, "auto", "env")
    with pytest.raises(RuntimeError, match="geometry"):
        SF.ext.ConvRunner(16, 16, 0, 3, 1, 1, 1, 1, False)
