"""The ReLU-backward mask on torchvision networks (random init, small inputs): convert() fuses
or masks the convs the issue names, and one training step's output, input gradient and
every parameter gradient match stock PyTorch in forced sparse and dense modes."""

import pytest
import torch
import torchvision
from torch import nn

import sparsetrain.torch as st
from conftest import SPARSE
from relu_mask_util import assert_matches_stock


def vgg16_convs():
    """torchvision's VGG16 conv stack (vgg.make_layers(cfgs['D'])) with a small head (the real
    classifier has no convolution and takes seconds to initialise)."""
    from torchvision.models.vgg import cfgs, make_layers
    return nn.Sequential(make_layers(cfgs["D"]), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10))


MODELS = {
    "vgg16": vgg16_convs,
    "resnet18": lambda: torchvision.models.resnet18(num_classes=10),
    "resnet50": lambda: torchvision.models.resnet50(num_classes=10),
}


def expected(name, conv_name):
    """'fused', 'mask' or 'no' for one conv of the three networks."""
    if conv_name in ("0.0", "conv1"):
        return "no"  # the model input
    if name == "vgg16":
        # ReLU -> conv fused; ReLU -> maxpool -> conv (first conv of blocks 2-5) masked
        return "mask" if conv_name in ("0.5", "0.10", "0.17", "0.24") else "fused"
    if conv_name.endswith(("conv2", "conv3")):
        return "fused"  # relu(bn1(conv1)) read by conv2 only (and conv3 in bottlenecks)
    if conv_name == "layer1.0.conv1" or conv_name == "layer1.0.downsample.0":
        return "mask"  # maxpool(relu(bn1(conv1))), read by conv1, downsample and identity
    return "mask"  # the block input relu(out + identity): conv1, downsample, identity


def prepare(name, mode, fmt):
    torch.manual_seed(0)
    stock = MODELS[name]()
    if name == "resnet50":
        # BatchNorm on running statistics (gradients still flow through every layer): in train
        # mode its batch statistics over the 2x2 maps of layer4 amplify any change of summation
        # order several times beyond stock float32's own error (so with relu_mask=False too)
        stock.eval()
    model = st.convert(stock, options=st.ConvOptions(dispatch=mode))
    if fmt == "channels_last":
        stock = stock.to(memory_format=torch.channels_last)
        model = model.to(memory_format=torch.channels_last)
    return stock, model


@pytest.mark.parametrize("name", list(MODELS))
def test_detection(name):
    _, model = prepare(name, "auto", "nchw")
    rows = {r.name: r.mask.split(":")[0] for r in st.summary(model).rows}
    assert rows == {n: expected(name, n) for n in rows}, str(st.summary(model))
    assert isinstance(model, type(MODELS[name]()))


@pytest.mark.parametrize("fmt", ["nchw", "channels_last"])
@pytest.mark.parametrize("mode", ["sparse", "dense"])
@pytest.mark.parametrize("name", list(MODELS))
def test_step_matches_stock(name, mode, fmt):
    stock, model = prepare(name, mode, fmt)
    # batch 4 at 64x64 (vgg16: 2 x 32 x 32): train-mode BatchNorm over a 2x2 last stage
    n, size = (2, 32) if name == "vgg16" else (4, 64)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(n, 3, size, size, generator=g)
    if fmt == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, 10, (n,), generator=g)
    st.reset_stats(model)
    assert_matches_stock(stock, model, x, labels, f"{name} {mode} {fmt}")
    stats = st.stats(model)
    for conv, s in stats.items():
        bd = s["backward_data"]
        assert bd["mask_runs"] == (0 if expected(name, conv) == "no" else 1), (conv, bd)
        if mode == "dense":
            assert bd["sparse_runs"] == 0, (conv, bd)
    if mode == "sparse" and SPARSE:
        # forced sparse: the masked layers ran a sparse kernel (VGG16's diff_dst is sparse, so
        # its dispatcher picks the diff_dst-sparse kernel + mask; ResNets' is dense: the masked kernel)
        masked = [s["backward_data"] for c, s in stats.items() if expected(name, c) != "no"]
        assert all(bd["sparse_runs"] == 1 for bd in masked), masked
        if name != "vgg16":
            assert sum(bd["sparse_mask_runs"] for bd in masked) > 0
