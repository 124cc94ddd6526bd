"""SparseConv2d as an nn.Conv2d drop-in: constructor, parameters, state_dict, repr, no_grad,
train/eval, copies, memory formats of inputs, weights and gradients, non-contiguous inputs,
needs_input_grad, double backward, controls and statistics."""

import copy
import io
import pickle

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import sparsetrain.torch as st
from conftest import SPARSE


def pair(c=16, k=32, **kw):
    """A SparseConv2d and an nn.Conv2d with the same weights."""
    torch.manual_seed(0)
    ref = nn.Conv2d(c, k, 3, padding=1, **kw)
    ours = st.SparseConv2d(c, k, 3, padding=1, **kw)
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def close(a, b, scale=1.0):
    assert a.shape == b.shape
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4 * scale)


def test_same_constructor_parameters_and_state_dict_keys():
    ours, ref = pair(bias=True)
    assert isinstance(ours, nn.Conv2d)
    assert list(ours.state_dict().keys()) == list(ref.state_dict().keys()) == ["weight", "bias"]
    assert [n for n, _ in ours.named_parameters()] == ["weight", "bias"]
    no_bias = st.SparseConv2d(16, 32, (3, 5), stride=(2, 1), padding=(1, 2), bias=False)
    assert no_bias.bias is None and no_bias.weight.shape == (32, 16, 3, 5)
    with pytest.raises(ValueError, match="divisible by groups"):
        st.SparseConv2d(3, 8, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        st.SparseConv2d(16, 8, 3, padding_mode="foo")


def test_state_dict_round_trip_both_ways():
    ours, ref = pair()
    buf = io.BytesIO()
    torch.save(ref.state_dict(), buf)
    buf.seek(0)
    fresh = st.SparseConv2d(16, 32, 3, padding=1)
    fresh.load_state_dict(torch.load(buf))
    x = torch.randn(2, 16, 8, 8)
    close(fresh(x), ref(x))
    back = nn.Conv2d(16, 32, 3, padding=1)
    back.load_state_dict(fresh.state_dict())
    close(back(x), fresh(x))


def test_extra_repr_matches_conv2d():
    ours, ref = pair(stride=2, bias=False)
    assert repr(ours) == repr(ref).replace("Conv2d", "SparseConv2d")
    ours.options.dispatch = "sparse"
    assert repr(ours).endswith("bias=False, dispatch='sparse')")


def test_no_grad_and_train_eval():
    ours, ref = pair()
    x = torch.randn(2, 16, 8, 8).relu_().requires_grad_()
    with torch.no_grad():
        y = ours(x)
    assert not y.requires_grad and y.grad_fn is None
    close(y, ref(x).detach())
    ours.eval()
    assert not ours.training
    close(ours(x).detach(), ref(x).detach())
    ours.train()
    assert ours.training
    with torch.inference_mode():
        close(ours(x), ref(x))


def test_deepcopy_pickle_and_from_conv2d_share_nothing_unexpected():
    ours, ref = pair()
    x = torch.randn(1, 16, 6, 6)
    y = ours(x)  # creates the C++ cache, which copies must not carry
    twin = copy.deepcopy(ours)
    assert twin._runner is None and twin.weight is not ours.weight
    close(twin(x), y.detach())
    loaded = pickle.loads(pickle.dumps(ours))
    close(loaded(x), y.detach())
    shared = st.SparseConv2d.from_conv2d(ref)
    assert shared.weight is ref.weight and shared.bias is ref.bias
    close(shared(x), ref(x))


@pytest.mark.parametrize("x_cl", [False, True])
@pytest.mark.parametrize("w_cl", [False, True])
def test_memory_formats_follow_nn_conv2d(x_cl, w_cl):
    ours, ref = pair()
    if w_cl:
        ours = ours.to(memory_format=torch.channels_last)
        ref = ref.to(memory_format=torch.channels_last)
    x = torch.randn(2, 16, 9, 9).relu_()
    if x_cl:
        x = x.contiguous(memory_format=torch.channels_last)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya, yb = ours(xa), ref(xb)
    assert ya.stride() == yb.stride()
    g = torch.randn_like(yb)
    ya.backward(g)
    yb.backward(g)
    close(ya, yb)
    close(xa.grad, xb.grad)
    close(ours.weight.grad, ref.weight.grad, scale=10)
    assert xa.grad.stride() == xb.grad.stride()
    assert ours.weight.grad.stride() == ref.weight.grad.stride()


@pytest.mark.parametrize("make", [
    lambda t: t[:, 16:, ::2, ::2],                                          # strided slice
    lambda t: t[:, :16].transpose(2, 3),                                    # transposed
    lambda t: t.contiguous(memory_format=torch.channels_last)[:, :16, 1:, :-1],  # sliced channels_last
    lambda t: t[:, :16],                                                    # channel slice
], ids=["slice", "transpose", "cl_slice", "channel_slice"])
def test_non_contiguous_inputs(make):
    ours, ref = pair()
    base = torch.randn(2, 32, 12, 12).relu_()
    xa = make(base.clone()).requires_grad_()  # leaves keep the non-contiguous strides
    xb = make(base.clone()).requires_grad_()
    assert not xa.is_contiguous()
    ya, yb = ours(xa), ref(xb)
    assert ya.stride() == yb.stride()
    ya.sum().backward()
    yb.sum().backward()
    close(ya, yb)
    close(xa.grad, xb.grad)


def test_unbatched_input():
    ours, ref = pair()
    x = torch.randn(16, 7, 7).relu_()
    ya, yb = ours(x), ref(x)
    assert ya.shape == yb.shape == (32, 7, 7)
    close(ya, yb)


@pytest.mark.parametrize("need", ["input", "weight", "bias", "weight+bias", "input+bias"])
def test_only_the_gradients_autograd_needs(need):
    ours, ref = pair(bias=True)
    for m in (ours, ref):
        m.weight.requires_grad_("weight" in need)
        m.bias.requires_grad_("bias" in need)
    x = torch.randn(2, 16, 8, 8).relu_()
    xa, xb = x.clone().requires_grad_("input" in need), x.clone().requires_grad_("input" in need)
    ours(xa).sum().backward()
    ref(xb).sum().backward()
    for a, b in ((xa, xb), (ours.weight, ref.weight), (ours.bias, ref.bias)):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            close(a.grad, b.grad, scale=10)
    s = ours.sparse_stats()
    assert s["backward_data"]["runs"] == (1 if "input" in need else 0)
    assert s["backward_weights"]["runs"] == (1 if "weight" in need else 0)


def test_double_backward_is_refused_with_a_clear_error():
    ours, _ = pair()
    x = torch.randn(2, 16, 6, 6).relu_().requires_grad_()
    y = ours(x)
    (gx,) = torch.autograd.grad(y.square().sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="does not support double backward"):
        gx.square().sum().backward()
    # first-order gradients with create_graph=True are still right
    ref = nn.Conv2d(16, 32, 3, padding=1)
    ref.load_state_dict(ours.state_dict())
    xr = x.detach().clone().requires_grad_()
    (gr,) = torch.autograd.grad(ref(xr).square().sum(), xr)
    close(gx.detach(), gr, scale=100)


def test_dispatch_controls_and_stats():
    ours, _ = pair()
    x = torch.randn(2, 16, 8, 8).relu_().requires_grad_()
    with st.dispatch_mode("dense"):
        assert st.get_dispatch_mode() == "dense"
        ours(x).sum().backward()
    s = ours.sparse_stats()
    assert s["forward"]["dense_runs"] == 1 and s["forward"]["sparse_runs"] == 0
    st.set_dispatch_mode("sparse", model=ours)  # per module wins over the global mode
    with st.dispatch_mode("dense"):
        ours(x).sum().backward()
    s = ours.sparse_stats()
    assert s["forward"]["runs"] == 2
    if SPARSE:
        assert s["forward"]["sparse_runs"] == 1 and s["backward_weights"]["sparse_runs"] == 1
        assert s["forward"]["impl"].startswith("sparse_jit")
        assert 0.3 < s["forward"]["last_sparsity"] < 0.7  # ReLU of a normal: half zeros
    ours.reset_sparse_stats()
    assert ours.sparse_stats()["forward"]["runs"] == 0
    all_stats = st.stats(nn.Sequential(ours))
    assert list(all_stats) == ["0"]
    with pytest.raises(ValueError):
        st.set_dispatch_mode("fastest")
    with pytest.raises(ValueError):
        st.ConvOptions(dispatch="maybe")


def test_threads_follow_torch():
    ours, ref = pair()
    x = torch.randn(2, 16, 8, 8).relu_()
    for t in (1, 2, 1):
        torch.set_num_threads(t)
        close(ours(x), ref(x))
    assert ours._runner.entries() == 2  # one cached entry per thread count


def test_backward_on_another_thread():
    """Autograd may run backward on another thread than forward; its thread count and
    stream are per thread."""
    import threading
    ours, ref = pair()
    x = torch.randn(2, 16, 8, 8).relu_()
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya = ours(xa)
    errors = []

    def back():
        try:
            ya.sum().backward()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=back)
    t.start()
    t.join()
    assert not errors, errors
    ref(xb).sum().backward()
    close(xa.grad, xb.grad)


def test_functional_conv2d():
    torch.manual_seed(1)
    x = torch.randn(2, 16, 9, 9).relu_()
    w = torch.randn(32, 16, 3, 3)
    b = torch.randn(32)
    close(st.conv2d(x, w, b, stride=2, padding=1), F.conv2d(x, w, b, stride=2, padding=1), scale=10)
    with pytest.warns(st.SparseTrainFallbackWarning, match="dilation"):
        close(st.conv2d(x, w, b, dilation=2), F.conv2d(x, w, b, dilation=2), scale=10)


@pytest.mark.parametrize("fmt", ["nchw", "channels_last"])
def test_buffer_pool_recycles_only_freed_outputs(fmt):
    """Outputs of 1 MiB and more come from the pool: a freed one is reused, one still
    referenced (here, or as a view or a numpy array) never is."""
    ours, ref = pair(16, 64)
    mf = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
    x = torch.randn(4, 16, 32, 32).relu_().contiguous(memory_format=mf)  # output: 4 MiB
    kept = ours(x).detach()
    kept_copy = kept.clone()
    view = ours(x).detach()[:, :8]
    view_copy = view.clone()
    arr = ours(x).detach().numpy()
    arr_copy = arr.copy()
    before = st.buffer_pool_stats()
    for _ in range(3):
        y = ours(x)
        del y  # freed: the next call takes the same block again
    after = st.buffer_pool_stats()
    assert after["hits"] - before["hits"] >= 2
    assert torch.equal(kept, kept_copy) and torch.equal(view, view_copy) and (arr == arr_copy).all()
    y = ours(x)
    close(y, ref(x))
    y.relu_()  # an ordinary tensor: in-place ops, autograd, pickling
    assert torch.equal(pickle.loads(pickle.dumps(y.detach())), y.detach())
    limit = st.buffer_pool_stats()["limit_bytes"]
    st.set_buffer_pool_limit(0)
    assert st.buffer_pool_stats()["idle_bytes"] == 0
    st.set_buffer_pool_limit(limit)
