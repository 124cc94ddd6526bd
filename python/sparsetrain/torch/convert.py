"""convert(model): every nn.Conv2d becomes a SparseConv2d; summary(model): what each layer
runs; stats(model): what each layer ran."""

import copy
from typing import List, NamedTuple, Optional

import torch
from torch import nn

from . import relu_mask as RM
from .modules import SparseConv2d
from .options import ConvOptions, relu_mask_default

_DIRS = ("forward", "backward_data", "backward_weights")
_SHORT = {"forward": "fwd", "backward_data": "bwd_d", "backward_weights": "bwd_w"}


def convert(model: nn.Module, inplace: bool = False, *, options: Optional[ConvOptions] = None,
            example_input=None, verbose: bool = False, relu_mask: Optional[bool] = None) -> nn.Module:
    """Swaps every torch.nn.Conv2d in ``model`` (exactly that class: subclasses may change
    what forward does and are kept) for a SparseConv2d with the same parameters, and
    returns the model. ``inplace=False`` (default) converts a deep copy; ``inplace=True``
    keeps the very Parameter objects, so an optimizer built before still works.
    ``verbose=True`` prints summary(model, example_input).

    ``relu_mask`` (default: SPARSETRAIN_RELU_MASK, else True): find with torch.fx the convs
    whose input is a ReLU output or a max / avg pool of one, and let their backward-data
    return the gradient with the ReLU backward applied. Where the conv is the ReLU's only
    reader the ReLU is fused into the conv (the model's forward is replaced by the rewritten
    graph: same class, modules and state_dict; control flow that depends on Python values,
    e.g. ``self.training``, is fixed as it was at conversion). Where tracing fails the model
    runs as with ``relu_mask=False``, with a SparseTrainReluMaskWarning. summary() shows per
    layer what applies and why not; ConvOptions.relu_mask=False excludes a layer."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"convert expects an nn.Module, got {type(model).__name__}")
    if not inplace:
        model = copy.deepcopy(model)
    swapped = {}  # a conv used at several places stays one module

    def swap(conv):
        if id(conv) not in swapped:
            swapped[id(conv)] = SparseConv2d.from_conv2d(conv, options)
        return swapped[id(conv)]

    if relu_mask is None:
        relu_mask = relu_mask_default()
    if type(model) is nn.Conv2d:
        model = swap(model)
        model.relu_mask_note = "the model input"
    else:
        for parent in list(model.modules()):
            # _modules, not named_children(): that one skips a module's second slot
            for name, child in list(parent._modules.items()):
                if type(child) is nn.Conv2d:
                    setattr(parent, name, swap(child))
        RM.apply(model, bool(relu_mask))
    if verbose:
        print(summary(model, example_input))
    return model


class LayerReport(NamedTuple):
    name: str
    layer: str          # "64->128 3x3 s1 p1"
    input: str          # "16x64x224x224 nchw" (or "nominal ...", or "-")
    impl: dict          # direction -> implementation name ("F.conv2d" for fallbacks)
    reason: str         # why it is not the sparse kernel ('' when it is, everywhere)
    mask: str = ""      # ReLU mask: 'fused', 'mask', 'off' or 'no', and why


class ConversionReport:
    """Per convolution: the implementation sparsetrain picked per direction and why it is not
    the sparse kernel where it is not. ``rows`` holds LayerReport tuples; str() is a table."""

    def __init__(self, rows: List[LayerReport]):
        self.rows = rows

    def __str__(self):
        head = ("layer", "conv", "input", "fwd", "bwd_d", "bwd_w", "relu mask", "reason")
        lines = [head] + [(r.name or "(model)", r.layer, r.input, r.impl.get("forward", ""),
                           r.impl.get("backward_data", ""), r.impl.get("backward_weights", ""), r.mask,
                           r.reason)
                          for r in self.rows]
        widths = [max(len(str(l[i])) for l in lines) for i in range(len(head) - 1)]
        out = []
        for l in lines:
            out.append("  ".join(str(v).ljust(w) for v, w in zip(l, widths)) + "  " + str(l[-1]))
        n_sparse = sum(1 for r in self.rows if all(v.startswith("sparse_jit") for v in r.impl.values()))
        n_fused = sum(1 for r in self.rows if r.mask.startswith("fused"))
        n_mask = sum(1 for r in self.rows if r.mask.startswith("mask"))
        out.append(f"{len(self.rows)} conv layers: {n_sparse} on sparse kernels in every direction; "
                   f"ReLU mask: {n_fused} fused, {n_mask} masked only")
        return "\n".join(out)

    __repr__ = __str__


def _layer_str(m: nn.Conv2d) -> str:
    k, s, p = m.kernel_size, m.stride, m.padding
    ks = f"{k[0]}x{k[1]}"
    ss = f"s{s[0]}" if s[0] == s[1] else f"s{s[0]}x{s[1]}"
    ps = f"p{p}" if isinstance(p, str) else (f"p{p[0]}" if p[0] == p[1] else f"p{p[0]}x{p[1]}")
    return f"{m.in_channels}->{m.out_channels} {ks} {ss} {ps}"


def _mask_str(m: SparseConv2d) -> str:
    note = m.relu_mask_note or "not analysed (convert() not used)"
    if not (m.input_relu or m.input_from_relu):
        return f"no: {note}"
    if m.options.relu_mask is False:
        return f"off: options.relu_mask=False ({note})"
    return f"{'fused' if m.input_relu else 'mask'}: {note}"


def _sparse_reason(declined) -> str:
    for impl, why in declined or []:
        if impl.startswith("sparse"):
            return why
    return ""


def summary(model: nn.Module, example_input=None) -> ConversionReport:
    """What each convolution of ``model`` runs. With ``example_input`` the model is run once
    on it (no_grad, every module temporarily in eval mode so that no BatchNorm statistics
    move) to learn each layer's real input shape; otherwise a layer uses the last input it
    has seen, or a nominal 1 x C x 32 x 32 (marked 'nominal')."""
    if example_input is not None:
        flags = [(m, m.training) for m in model.modules()]
        model.eval()
        try:
            with torch.no_grad():
                model(example_input)
        finally:
            for m, t in flags:
                m.training = t
    rows = []
    for name, m in model.named_modules():
        if isinstance(m, SparseConv2d):
            d = m.describe()
            if "fallback" in d:
                rows.append(LayerReport(name, _layer_str(m), "-", {k: "F.conv2d" for k in _DIRS}, d["fallback"],
                                        _mask_str(m)))
                continue
            i = d["input"]
            shape = "x".join(str(v) for v in i["shape"])
            inp = f"{'nominal ' if i['nominal'] else ''}{shape} {'channels_last' if i['channels_last'] else 'nchw'}"
            impl = {k: d[k]["impl"] for k in _DIRS}
            reasons = []
            for k in _DIRS:
                why = _sparse_reason(d[k]["declined"])
                if why and why not in reasons:
                    reasons.append(why)
            rows.append(LayerReport(name, _layer_str(m), inp, impl, "; ".join(reasons), _mask_str(m)))
        elif isinstance(m, nn.Conv2d):
            rows.append(LayerReport(name, _layer_str(m), "-", {k: "torch" for k in _DIRS},
                                    f"not converted ({type(m).__name__})"))
    return ConversionReport(rows)


def stats(model: nn.Module) -> dict:
    """{layer name: SparseConv2d.sparse_stats()} for every SparseConv2d in ``model``."""
    return {name: m.sparse_stats() for name, m in model.named_modules() if isinstance(m, SparseConv2d)}


def reset_stats(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, SparseConv2d):
            m.reset_sparse_stats()
