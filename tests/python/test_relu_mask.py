"""The ReLU-backward mask in the PyTorch binding (issue 20): detection with torch.fx, the
fused ReLU + conv, the mask-only convs, the switches, and gradients equal to stock PyTorch's."""

import copy
import io
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import sparsetrain.torch as st
from conftest import SPARSE
from relu_mask_util import assert_matches_stock, relu_backward_nodes


class Hand(nn.Module):
    """Every producer kind: relu -> conv (module ReLU, F.relu, in-place ReLU, tensor.relu()),
    relu -> maxpool -> conv, relu -> avgpool -> conv, a ReLU read by two convs, the model
    input, a BatchNorm output."""

    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn0 = nn.BatchNorm2d(16)
        self.r0 = nn.ReLU()
        self.c1 = nn.Conv2d(16, 32, 3, padding=1, bias=False)        # nn.ReLU -> fused
        self.c2 = nn.Conv2d(32, 32, 1)                               # F.relu -> maxpool -> mask
        self.r2 = nn.ReLU(inplace=True)
        self.c3 = nn.Conv2d(32, 32, 3, stride=2, padding=1)          # in-place ReLU -> fused
        self.c4 = nn.Conv2d(32, 16, 3, padding=1)                    # torch.relu shared -> mask
        self.c5 = nn.Conv2d(32, 16, 1)                               # the other reader -> mask
        self.c6 = nn.Conv2d(16, 16, 3, padding=1)                    # .relu() -> avgpool -> mask
        self.c7 = nn.Conv2d(16, 16, 3, padding=1)                    # F.relu(inplace) -> fused
        self.c8 = nn.Conv2d(16, 16, 1)                               # BatchNorm output -> none
        self.bn8 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.r0(self.bn0(self.c0(x)))
        x = self.c1(x)
        x = self.c2(F.max_pool2d(F.relu(x), 2))
        x = self.c3(self.r2(x))
        r = torch.relu(x)
        x = self.c4(r) + self.c5(r)
        x = self.c6(F.avg_pool2d(x.relu(), 2, ceil_mode=True))
        x = self.c7(F.relu(x, inplace=True))
        x = self.c8(self.bn8(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


EXPECT = {"c0": "no", "c1": "fused", "c2": "mask", "c3": "fused", "c4": "mask", "c5": "mask", "c6": "mask",
          "c7": "fused", "c8": "no"}


def hand(seed=0):
    torch.manual_seed(seed)
    m = Hand()
    for bn in (m.bn0, m.bn8):  # non-trivial BatchNorm state, so that a wrong load shows
        bn.running_mean.uniform_(-0.1, 0.1)
        bn.weight.data.uniform_(0.5, 1.5)
    return m


def data(n=2, size=16, fmt="nchw"):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 3, size, size, generator=g)
    if fmt == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
    return x, torch.randint(0, 10, (n,), generator=g)


def kinds(model):
    """Per conv, what summary() says of the mask: 'fused', 'mask', 'no' or 'off'."""
    return {r.name: r.mask.split(":")[0] for r in st.summary(model).rows}


def test_detection_marks_each_producer_kind():
    model = st.convert(hand())
    assert kinds(model) == EXPECT
    assert model.c1.input_relu and not model.c1.input_from_relu
    assert model.c2.input_from_relu and not model.c2.input_relu
    assert "input_relu=True" in repr(model.c1) and "input_from_relu=True" in repr(model.c2)
    assert "maxpool of ReLU" in model.c2.relu_mask_note
    assert "avgpool of ReLU" in model.c6.relu_mask_note
    assert "shared by 2 readers" in model.c4.relu_mask_note
    assert "model input" in model.c0.relu_mask_note and "bn8" in model.c8.relu_mask_note
    text = str(st.summary(model, example_input=data()[0]))
    assert "relu mask" in text and "fused: ReLU r0 fused" in text and "ReLU mask: 3 fused, 4 masked only" in text
    assert isinstance(model, Hand)  # the class is kept


@pytest.mark.parametrize("fmt", ["nchw", "channels_last"])
@pytest.mark.parametrize("mode", ["sparse", "dense"])
def test_hand_model_gradients_match_stock(mode, fmt):
    stock = hand()
    model = st.convert(stock, options=st.ConvOptions(dispatch=mode))
    x, labels = data(fmt=fmt)
    if fmt == "channels_last":
        stock = stock.to(memory_format=torch.channels_last)
        model = model.to(memory_format=torch.channels_last)
    st.reset_stats(model)
    assert_matches_stock(stock, model, x, labels, f"hand {mode} {fmt}")
    s = st.stats(model)
    for name, kind in EXPECT.items():
        bd = s[name]["backward_data"]
        assert bd["mask_runs"] == (1 if kind != "no" else 0), (name, bd)
        if mode == "dense":
            assert bd["sparse_runs"] == 0 and bd["sparse_mask_runs"] == 0, (name, bd)
    if mode == "sparse" and SPARSE:
        # forced sparse: the masked kernel ran on the masked layers it covers (ic % 16 == 0)
        assert sum(s[n]["backward_data"]["sparse_mask_runs"] for n, k in EXPECT.items() if k != "no") > 0


def test_fused_relu_leaves_the_graph():
    stock = hand()
    model = st.convert(stock)
    calls = {"r0": 0, "r2": 0}
    for n in calls:
        getattr(model, n).register_forward_hook(lambda *a, n=n: calls.__setitem__(n, calls[n] + 1))
    x, _ = data()
    out_stock = stock(x.clone().requires_grad_())
    out = model(x.clone().requires_grad_())
    assert calls == {"r0": 0, "r2": 0}
    # stock: 7 ReLU backward nodes (r0, F.relu, r2, torch.relu, .relu(), F.relu inplace + ...)
    assert relu_backward_nodes(out) == relu_backward_nodes(out_stock) - 3


def test_single_conv_mask_is_exact_and_switchable():
    """input_from_relu on one conv: d/d src comes back times [src > 0]; relu_mask=False
    (per module) gives the unmasked gradient."""
    torch.manual_seed(3)
    conv = nn.Conv2d(16, 16, 3, padding=1)
    ours = st.SparseConv2d.from_conv2d(conv, st.ConvOptions(dispatch="sparse"))
    ours.input_from_relu = True
    src = torch.relu(torch.randn(2, 16, 10, 10)).requires_grad_()
    gy = torch.randn(2, 16, 10, 10)
    stock_src = src.detach().clone().requires_grad_()
    conv(stock_src).backward(gy)
    ours(src).backward(gy)
    masked = stock_src.grad * (src.detach() > 0)
    assert float((stock_src.grad - masked).abs().max()) > 0.1  # the mask changes something
    assert torch.allclose(src.grad, masked, rtol=1e-4, atol=1e-5)
    assert float(src.grad[src.detach() == 0].abs().max()) == 0.0
    assert ours.sparse_stats()["backward_data"]["mask_runs"] == 1
    ours.options.relu_mask = False
    src.grad = None
    ours(src).backward(gy)
    assert torch.allclose(src.grad, stock_src.grad, rtol=1e-4, atol=1e-5)
    assert ours.sparse_stats()["backward_data"]["mask_runs"] == 1  # the unmasked primitive ran


@pytest.mark.parametrize("relu_mask", [True, False])
def test_input_relu_flag_by_hand(relu_mask):
    torch.manual_seed(4)
    conv = nn.Conv2d(16, 32, 3, padding=1)
    ours = st.SparseConv2d.from_conv2d(copy.deepcopy(conv), st.ConvOptions(relu_mask=relu_mask))
    ours.input_relu = True
    x = torch.randn(2, 16, 9, 9)
    gy = torch.randn(2, 32, 9, 9)
    xs, xo = x.clone().requires_grad_(), x.clone().requires_grad_()
    ys = conv(F.relu(xs))
    ys.backward(gy)
    yo = ours(xo)
    yo.backward(gy)
    assert torch.allclose(yo, ys, rtol=1e-4, atol=1e-5)
    assert torch.allclose(xo.grad, xs.grad, rtol=1e-4, atol=1e-5)
    assert torch.allclose(ours.weight.grad, conv.weight.grad, rtol=1e-4, atol=1e-4)
    assert torch.allclose(ours.bias.grad, conv.bias.grad, rtol=1e-4, atol=1e-4)
    assert ours.sparse_stats()["backward_data"]["mask_runs"] == (1 if relu_mask else 0)
    assert "input_relu=True" in repr(ours)


def test_switch_off_keeps_todays_path(monkeypatch):
    x, labels = data()
    for model in (st.convert(hand(), relu_mask=False),
                  st.convert(hand(), options=st.ConvOptions(relu_mask=False))):
        assert "forward" not in model.__dict__
        assert not any(getattr(m, "input_relu", False) or getattr(m, "input_from_relu", False)
                       for m in model.modules())
        assert_matches_stock(hand(), model, x, labels, "off")
        assert all(s["backward_data"]["mask_runs"] == 0 for s in st.stats(model).values())
        assert "ReLU mask: 0 fused, 0 masked only" in str(st.summary(model))
    monkeypatch.setenv("SPARSETRAIN_RELU_MASK", "0")
    assert "forward" not in st.convert(hand()).__dict__
    monkeypatch.setenv("SPARSETRAIN_RELU_MASK", "1")
    assert "forward" in st.convert(hand()).__dict__
    monkeypatch.setenv("SPARSETRAIN_RELU_MASK", "maybe")
    with pytest.raises(ValueError, match="SPARSETRAIN_RELU_MASK"):
        st.convert(hand())


def test_state_dict_round_trip_and_copies():
    stock = hand()
    model = st.convert(stock)
    assert list(model.state_dict()) == list(stock.state_dict())
    fresh = st.convert(hand(seed=5))
    fresh.load_state_dict(stock.state_dict())  # a stock checkpoint loads into the converted model
    back = hand(seed=6)
    back.load_state_dict(fresh.state_dict())   # and back
    x, _ = data()
    for m in (stock, fresh, back):
        m.eval()
    with torch.no_grad():
        ref = stock(x)
        assert torch.allclose(fresh(x), ref, rtol=1e-4, atol=1e-5)
        assert torch.equal(back(x), ref)
    # deepcopy and pickling keep the fused forward, bound to the copy's own modules
    for dup in (copy.deepcopy(fresh), torch.load(io.BytesIO(_saved(fresh)))):
        assert dup.c1.input_relu
        with torch.no_grad():
            dup.c1.weight.mul_(-2)
            dup_ref = hand()
            dup_ref.load_state_dict(dup.state_dict())
            dup_ref.eval()
            assert not torch.allclose(dup_ref(x), ref, atol=1e-3)
            assert torch.allclose(dup(x), dup_ref(x), rtol=1e-4, atol=1e-5)
            assert torch.allclose(fresh(x), ref, rtol=1e-4, atol=1e-5)


def _saved(model):
    buf = io.BytesIO()
    torch.save(model, buf)
    return buf.getvalue()


class Branchy(nn.Module):
    """Data-dependent control flow: torch.fx cannot trace it."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.c1(x))
        if x.sum() > 0:
            x = x * 1.0
        return self.fc(F.adaptive_avg_pool2d(self.c2(x), 1).flatten(1))


def test_untraceable_model_warns_and_stays_correct():
    torch.manual_seed(7)
    stock = Branchy()
    with pytest.warns(st.SparseTrainReluMaskWarning, match="could not trace"):
        model = st.convert(stock)
    assert "forward" not in model.__dict__ and not model.c2.input_from_relu
    assert "tracing failed" in model.c2.relu_mask_note
    assert "no: tracing failed" in str(st.summary(model))
    x, labels = data()
    assert_matches_stock(stock, model, x, labels, "untraceable")
    with warnings.catch_warnings():
        warnings.simplefilter("error", st.SparseTrainReluMaskWarning)
        st.convert(stock, relu_mask=False)  # the switch silences it


@pytest.mark.parametrize("bad", [torch.randn(1, 5, 8, 8), torch.randn(8, 8), "x"])
def test_bad_input_raises_what_conv2d_raises(bad):
    stock = hand()
    model = st.convert(stock)
    assert model.c1.input_relu
    with pytest.raises(Exception) as ours:
        model.c1(bad)
    with pytest.raises(Exception) as theirs:
        stock.c1(bad)
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)
