"""convert() on torchvision networks (random init, small images): the same outputs, loss and
gradients as the original model, sparse kernels where they apply, and a summary that names
each layer's implementation."""

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

import sparsetrain.torch as st
from conftest import SPARSE


def vgg11_convs():
    """torchvision's VGG11 conv stack (vgg.make_layers(cfgs['A']), 8 convs with ReLU and max
    pools) and a small head: the real classifier (102M parameters, no convolution) takes
    seconds to initialise and is irrelevant here."""
    from torchvision.models.vgg import cfgs, make_layers
    return nn.Sequential(make_layers(cfgs["A"]), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10))


MODELS = {
    "vgg11": vgg11_convs,
    "resnet18": lambda: torchvision.models.resnet18(num_classes=10),
}


def assert_rel_close(a, b, what, rel=2e-4):
    scale = float(b.abs().max()) or 1.0
    err = float((a - b).abs().max())
    assert err <= rel * scale, f"{what}: max error {err:.3g} vs scale {scale:.3g}"


def run_step(model, x, y):
    model.zero_grad(set_to_none=True)
    out = model(x)
    loss = F.cross_entropy(out, y)
    loss.backward()
    return out.detach(), loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}


@pytest.mark.parametrize("fmt", ["nchw", "channels_last"])
@pytest.mark.parametrize("name", list(MODELS))
def test_convert_keeps_outputs_loss_and_gradients(name, fmt):
    torch.manual_seed(0)
    ref = MODELS[name]()
    model = st.convert(ref, options=st.ConvOptions(dispatch="sparse"))
    assert model is not ref
    assert not any(type(m) is nn.Conv2d for m in model.modules())
    convs = [n for n, m in model.named_modules() if isinstance(m, st.SparseConv2d)]
    assert len(convs) == sum(1 for m in ref.modules() if isinstance(m, nn.Conv2d))
    # 64x64, batch 4: BatchNorm's batch statistics over a 2x2 map of the last stage (train
    # mode) amplify the last-bit differences of the summation order less than over 1x1
    x = torch.randn(4, 3, 64, 64)
    if fmt == "channels_last":
        ref = ref.to(memory_format=torch.channels_last)
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    labels = torch.tensor([1, 7, 3, 0])
    want = run_step(ref, x, labels)
    got = run_step(model, x, labels)
    assert_rel_close(got[0], want[0], "output")
    assert_rel_close(got[1], want[1], "loss")
    assert got[2].keys() == want[2].keys()
    for k in want[2]:
        assert_rel_close(got[2][k], want[2][k], f"grad {k}", rel=1e-3)

    for n, s in st.stats(model).items():
        first = n in ("0.0", "conv1")
        for d in ("forward", "backward_data", "backward_weights"):
            runs = s[d]["runs"]
            assert runs == (0 if first and d == "backward_data" else 1), (n, d, s[d])
            if runs and SPARSE and not first:
                assert s[d]["sparse_runs"] == 1, (n, d, s[d])
            if runs and first:
                assert s[d]["impl"].startswith("onednn:"), (n, d, s[d])


def test_summary_names_each_layer_and_the_first_layer_reason():
    torch.manual_seed(0)
    model = st.convert(torchvision.models.resnet18(num_classes=10))
    report = st.summary(model, example_input=torch.randn(1, 3, 64, 64))
    names = [r.name for r in report.rows]
    assert names == [n for n, m in model.named_modules() if isinstance(m, st.SparseConv2d)]
    first = report.rows[0]
    assert first.name == "conv1" and first.input.startswith("1x3x64x64")
    assert all(v.startswith("onednn:") for v in first.impl.values())
    assert "ic = 3" in first.reason
    for r in report.rows[1:]:
        assert not r.input.startswith("nominal")
        if SPARSE:
            assert all(v.startswith("sparse_jit") for v in r.impl.values()), r
            assert r.reason == ""
    text = str(report)
    assert "conv1" in text and "layer4.1.conv2" in text and "ic = 3" in text
    # summary() ran the model in eval mode and put every training flag back
    assert model.training and all(m.training for m in model.modules())


def test_convert_inplace_keeps_parameters_and_hooks():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 8, 1))
    params = list(model.parameters())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    seen = []
    model[0].register_forward_hook(lambda m, i, o: seen.append(o.shape))
    shared = nn.Conv2d(8, 8, 1)
    model.append(shared)
    model.append(shared)  # one module used twice stays one module
    same = st.convert(model, inplace=True)
    assert same is model and all(a is b for a, b in zip(model.parameters(), params))
    assert model[3] is model[4] and isinstance(model[3], st.SparseConv2d)
    x = torch.randn(2, 16, 6, 6)
    model(x).sum().backward()
    opt.step()
    assert seen == [(2, 16, 6, 6)]
    subclass = type("MyConv", (nn.Conv2d,), {})(16, 16, 3)
    kept = st.convert(nn.Sequential(subclass))
    assert type(kept[0]).__name__ == "MyConv"  # subclasses may change forward: kept
    assert "not converted" in str(st.summary(kept))
    single = st.convert(nn.Conv2d(16, 16, 3))
    assert isinstance(single, st.SparseConv2d)
