"""The two networks trained on Fashion-MNIST (1x28x28 inputs, 10 classes).

vgg:    conv-dominated, no BatchNorm: 64-64-pool-128-128-pool-256-256-256-pool, then a small
        classifier. Every conv feeds a ReLU directly, so its output gradient has zeros wherever
        the ReLU's output has (and more before a max-pool).
resnet: small ResNet with BatchNorm: a 3x3 stem, three stages of basic blocks (the first block
        of stages 2 and 3 strides by 2 with a 1x1 projection shortcut), global average pool and
        a linear layer. BatchNorm follows every conv, so the output gradients are dense.

ReLUs are not in place, so that the probes (probes.py) can wrap every conv's input and output.
"""
import torch
from torch import nn


def _init_conv(m):
    nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
    if m.bias is not None:
        nn.init.zeros_(m.bias)


class VGGStyle(nn.Module):
    def __init__(self, widths=((64, 64), (128, 128), (256, 256, 256)), hidden=256, classes=10):
        super().__init__()
        layers, c = [], 1
        for stage in widths:
            for w in stage:
                layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU()]
                c = w
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        side = 28
        for _ in widths:
            side //= 2
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c * side * side, hidden), nn.ReLU(),
                                        nn.Linear(hidden, classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                _init_conv(m)

    def forward(self, x):
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.shortcut is None else self.shortcut(x)
        return self.relu(y + s)


class ResNetStyle(nn.Module):
    def __init__(self, widths=(64, 128, 256), blocks=(2, 2, 2), classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]),
                                  nn.ReLU())
        stages, c = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            for b in range(n):
                stages.append(BasicBlock(c, w, 2 if (i > 0 and b == 0) else 1))
                c = w
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                _init_conv(m)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)))


MODELS = {"vgg": VGGStyle, "resnet": ResNetStyle}


def build(name):
    if name not in MODELS:
        raise ValueError(f"model {name!r}: expected one of {', '.join(MODELS)}")
    return MODELS[name]()


def conv_layers(model):
    """(qualified name, module) of every Conv2d (or SparseConv2d) in forward order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
