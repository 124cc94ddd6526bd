"""The autograd Function behind SparseConv2d, the rules that decide which calls it takes, and
a functional ``conv2d``.

Covered by sparsetrain primitives: float32 strided CPU tensors, a 4-D (or unbatched 3-D)
input, groups 1, dilation 1, numeric zero padding. Everything else runs exactly what
nn.Conv2d runs (torch.nn.functional.conv2d), with a one-time warning naming the reason; an
invalid input goes there too, so it raises nn.Conv2d's own exception.
"""

import os
import threading
import warnings
from collections import OrderedDict
from typing import NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch._C import _functions as _autograd_functions

from ._loader import ext
from .options import ConvOptions, resolve


class SparseTrainFallbackWarning(UserWarning):
    """A call that sparsetrain does not cover ran torch.nn.functional.conv2d instead."""


_warned = set()
_warned_lock = threading.Lock()


def note_fallback(reason: str) -> None:
    """One warning (and one verbose line) per distinct reason, per process."""
    with _warned_lock:
        if reason in _warned:
            return
        _warned.add(reason)
    msg = f"sparsetrain.torch: {reason}: running torch.nn.functional.conv2d (what nn.Conv2d runs)"
    if os.environ.get("SPARSETRAIN_VERBOSE", "0") not in ("", "0"):
        print(f"sparsetrain_verbose,torch,fallback,{reason}", flush=True)
    warnings.warn(msg, SparseTrainFallbackWarning, stacklevel=4)


class Geometry(NamedTuple):
    """The nn.Conv2d arguments of one convolution, as the extension needs them."""

    in_channels: int
    out_channels: int
    kernel_size: tuple
    stride: tuple
    padding: object  # tuple of ints, or a string ('same' / 'valid')
    dilation: tuple
    groups: int
    padding_mode: str
    with_bias: bool


def static_reason(g: Geometry) -> Optional[str]:
    """Why a convolution with this geometry never runs on sparsetrain (None if it can)."""
    if g.padding_mode != "zeros":
        return f"padding_mode={g.padding_mode!r}"
    if isinstance(g.padding, str):
        return f"padding={g.padding!r}"
    if g.groups != 1:
        return f"groups={g.groups}"
    if tuple(g.dilation) != (1, 1):
        return f"dilation={tuple(g.dilation)}"
    return None


def input_reason(g: Geometry, x, weight, bias) -> Optional[str]:
    """Why this call cannot run on sparsetrain; 'invalid input' where F.conv2d must raise."""
    tensors = [t for t in (x, weight, bias) if t is not None]
    if not all(isinstance(t, torch.Tensor) for t in tensors):
        return "invalid input"
    for t in tensors:
        if t.device.type != "cpu":
            return f"{t.device.type} tensors"
    for t in tensors:
        if t.dtype != torch.float32:
            return f"dtype {str(t.dtype).replace('torch.', '')}"
    for t in tensors:
        if t.layout != torch.strided or t.is_mkldnn:
            return f"layout {t.layout}"
    if x.dim() not in (3, 4) or tuple(weight.shape) != (g.out_channels, g.in_channels) + tuple(g.kernel_size):
        return "invalid input"
    if bias is not None and tuple(bias.shape) != (g.out_channels,):
        return "invalid input"
    c, h, w = x.shape[-3:]
    kh, kw = g.kernel_size
    if c != g.in_channels or h + 2 * g.padding[0] < kh or w + 2 * g.padding[1] < kw:
        return "invalid input"
    if x.numel() == 0:
        return "empty input"
    return None


def _refuse_double_backward(grads, inputs_need_grad):
    """Gradients that raise a clear error if autograd differentiates them again.

    backward runs with grad mode on only under create_graph=True. Our gradients are not
    differentiable, so instead of handing back tensors that silently carry no second-order
    term, they are routed through a node that raises when a second backward reaches it.
    """
    if not torch.is_grad_enabled() or not inputs_need_grad:
        return grads
    present = [g for g in grads if g is not None]
    err = _autograd_functions.DelayedError(
        b"sparsetrain.torch.SparseConv2d does not support double backward (a gradient "
        b"computed with create_graph=True went through a second backward); use "
        b"torch.nn.Conv2d for this layer, e.g. a model not passed to sparsetrain.torch.convert()",
        len(present))
    fakes = []
    for g in present:
        g = g.detach()
        g.requires_grad_(True)
        fakes.append(g)
    wrapped = err(*fakes)
    wrapped = list(wrapped) if isinstance(wrapped, tuple) else [wrapped]
    it = iter(wrapped)
    return tuple(next(it) if g is not None else None for g in grads)


class RunConfig(NamedTuple):
    nhwc: bool
    mode: str
    denormals: str
    nchw_inner: str
    input_relu: bool = False  # forward runs on relu(x); backward returns d loss/d x
    relu_mask: bool = False   # backward-data returns diff_src * [src > 0]


class SparseConv2dFunction(torch.autograd.Function):
    """y = conv2d(x, weight, bias) through sparsetrain's forward primitive (bias fused);
    backward runs the backward-data primitive for grad_input and the backward-weights
    primitive (with diff_bias) for grad_weight and grad_bias, each only when autograd asks.
    ``x`` must already be contiguous in the memory format ``cfg.nhwc`` names.

    ``cfg.relu_mask``: x is a ReLU output (or a pool of one); grad_input comes back already
    multiplied by [x > 0] from the masked backward-data primitive.
    ``cfg.input_relu``: the conv of relu(x), with the ReLU inside: grad_input is d loss/d x,
    the masked backward-data on src = relu(x) (with relu_mask off: the unmasked one followed
    by the ReLU backward), so no separate ReLU node runs in autograd."""

    @staticmethod
    def forward(ctx, x, weight, bias, runner, cfg: RunConfig):
        src = torch.relu(x) if cfg.input_relu else x
        y = runner.forward(src, weight, bias, cfg.nhwc, cfg.mode, cfg.denormals, cfg.nchw_inner)
        if cfg.input_relu:
            ctx.save_for_backward(weight)
            ctx.src = src  # an intermediate: x itself is not needed by backward
        else:
            ctx.save_for_backward(x, weight)
        ctx.runner = runner
        ctx.cfg = cfg
        ctx.has_bias = bias is not None
        return y

    @staticmethod
    def backward(ctx, grad_y):
        cfg = ctx.cfg
        if cfg.input_relu:
            (weight,) = ctx.saved_tensors
            src = ctx.src
        else:
            src, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        with torch.no_grad():
            gx, gw, gb = ctx.runner.backward(grad_y, src, weight, need_x, need_w, need_b and ctx.has_bias,
                                             cfg.nhwc, cfg.mode, cfg.denormals, cfg.nchw_inner, cfg.relu_mask)
            if gx is not None and cfg.input_relu and not cfg.relu_mask:
                gx = torch.ops.aten.threshold_backward(gx, src, 0)  # what ReLU's backward runs
        gx, gw, gb = _refuse_double_backward((gx, gw, gb), need_x or need_w or need_b)
        return gx, gw, gb, None, None


def make_runner(g: Geometry, options: ConvOptions):
    return ext.ConvRunner(g.in_channels, g.out_channels, g.kernel_size[0], g.kernel_size[1], g.stride[0],
                          g.stride[1], g.padding[0], g.padding[1], g.with_bias, int(options.max_cached_shapes))


def run_sparse(runner, x, weight, bias, options: ConvOptions, input_relu=False, relu_mask=False):
    """The sparsetrain path for an input that input_reason() accepted (input_relu, relu_mask:
    see SparseConv2dFunction)."""
    unbatched = x.dim() == 3
    if unbatched:
        x = x.unsqueeze(0)
    nhwc = ext.use_channels_last(x, weight)
    x = x.contiguous(memory_format=torch.channels_last if nhwc else torch.contiguous_format)
    y = SparseConv2dFunction.apply(x, weight, bias, runner,
                                   RunConfig(nhwc, *resolve(options), bool(input_relu), bool(relu_mask)))
    return y.squeeze(0) if unbatched else y


# Runners of the functional API, shared per geometry (least recently used dropped first).
_runners = OrderedDict()
_runners_lock = threading.Lock()
_RUNNER_CACHE = 64


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
           options: Optional[ConvOptions] = None):
    """torch.nn.functional.conv2d through sparsetrain (same arguments and results).

    Primitives are cached per geometry for the whole process; use SparseConv2d for
    per-layer statistics."""
    pair = torch.nn.modules.utils._pair
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4:
        return F.conv2d(input, weight, bias, stride, padding, dilation, groups)
    g = Geometry(weight.shape[1] * groups, weight.shape[0], tuple(weight.shape[2:]), pair(stride),
                 padding if isinstance(padding, str) else pair(padding), pair(dilation), groups, "zeros",
                 bias is not None)
    reason = static_reason(g) or input_reason(g, input, weight, bias)
    if reason is not None:
        if reason != "invalid input":
            note_fallback(reason)
        return F.conv2d(input, weight, bias, stride, padding, dilation, groups)
    options = options or ConvOptions()
    key = (g, int(options.max_cached_shapes))
    with _runners_lock:
        runner = _runners.get(key)
        if runner is None:
            runner = _runners[key] = make_runner(g, options)
            if len(_runners) > _RUNNER_CACHE:
                _runners.popitem(last=False)
        else:
            _runners.move_to_end(key)
    return run_sparse(runner, input, weight, bias, options)
