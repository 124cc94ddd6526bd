"""SparseConv2d: a drop-in torch.nn.Conv2d whose convolutions run on sparsetrain."""

import copy
from typing import Optional

import torch
from torch import nn

from . import functional as SF
from .options import ConvOptions, resolve

_COUNTS = ("runs", "sparse_runs", "dense_runs", "reference_runs", "mask_runs", "sparse_mask_runs")


class SparseConv2d(nn.Conv2d):
    """torch.nn.Conv2d with the same constructor, parameters, state_dict keys and results,
    whose forward and backward run sparsetrain's primitives (zero-skipping kernels where they
    apply, oneDNN dense where they do not). It is an nn.Conv2d (isinstance holds), so
    checkpoints load both ways.

    ``options`` (a ConvOptions; attribute ``self.options``) sets the dispatch policy and
    denormal handling of this layer.

    ReLU mask (set by convert(), or by hand where the contract holds):
    ``input_relu = True``: forward computes relu(x) and then the conv, and backward returns
    d loss/d x from the masked backward-data (the fused ReLU: remove the ReLU before this
    layer). ``input_from_relu = True``: the input is a ReLU output or a max / avg pool of one,
    and backward-data returns its gradient already multiplied by [x > 0] (exact for the
    model's gradients, since the ReLU backward that follows zeroes those elements anyway).
    ``options.relu_mask = False`` turns the mask off (a fused layer then runs plain
    backward-data followed by the ReLU backward). ``relu_mask_note`` says why / why not. Calls sparsetrain does not cover (other dtypes or
    devices, padding modes other than zeros, string padding, groups, dilation) run
    torch.nn.functional.conv2d, exactly what nn.Conv2d runs, with a one-time warning.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None, *, options: Optional[ConvOptions] = None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)
        self._init_sparse(options)

    def _init_sparse(self, options):
        self.options = copy.copy(options) if options is not None else ConvOptions()
        self._runner = None
        self._runner_key = None
        self._fallback_runs = 0
        self._fallback_reason = None
        self._stats_base = None
        self._last_input = None  # (shape of the 4-D input, channels_last) of the last sparse call
        self.__dict__.setdefault("input_relu", False)
        self.__dict__.setdefault("input_from_relu", False)
        self.__dict__.setdefault("relu_mask_note", None)

    @classmethod
    def from_conv2d(cls, conv: nn.Conv2d, options: Optional[ConvOptions] = None) -> "SparseConv2d":
        """A SparseConv2d that shares ``conv``'s parameters, buffers, hooks and training flag
        (an optimizer that holds the parameters keeps working)."""
        if not isinstance(conv, nn.Conv2d):
            raise TypeError(f"from_conv2d expects an nn.Conv2d, got {type(conv).__name__}")
        new = cls.__new__(cls)
        new.__dict__.update(conv.__dict__)
        new._init_sparse(options)
        return new

    # nn.Module plumbing: the C++ runner is a cache, never state.
    def __getstate__(self):
        state = self.__dict__.copy()
        state["_runner"] = None
        state["_runner_key"] = None
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "options" not in self.__dict__:
            self._init_sparse(None)
        for k, v in (("input_relu", False), ("input_from_relu", False), ("relu_mask_note", None)):
            self.__dict__.setdefault(k, v)

    def extra_repr(self):
        s = super().extra_repr()
        if self.options.dispatch is not None:
            s += f", dispatch={self.options.dispatch!r}"
        if self.input_relu:
            s += ", input_relu=True"
        elif self.input_from_relu:
            s += ", input_from_relu=True"
        if self.options.relu_mask is False and (self.input_relu or self.input_from_relu):
            s += ", relu_mask=False"
        return s

    def relu_mask_active(self) -> bool:
        """Backward-data runs with the ReLU mask (the input is, or is made, a ReLU output)."""
        return (self.input_relu or self.input_from_relu) and self.options.relu_mask is not False

    def geometry(self) -> SF.Geometry:
        return SF.Geometry(self.in_channels, self.out_channels, tuple(self.kernel_size), tuple(self.stride),
                           self.padding, tuple(self.dilation), self.groups, self.padding_mode, self.bias is not None)

    def _get_runner(self, g):
        key = (g, int(self.options.max_cached_shapes))
        if self._runner is None or self._runner_key != key:
            self._runner = SF.make_runner(g, self.options)
            self._runner_key = key
            self._stats_base = None
        return self._runner

    def forward(self, input):
        g = self.geometry()
        reason = SF.static_reason(g) or SF.input_reason(g, input, self.weight, self.bias)
        if reason is not None:
            if reason != "invalid input":
                SF.note_fallback(reason)
            self._fallback_runs += 1
            self._fallback_reason = reason
            if self.input_relu and isinstance(input, torch.Tensor):
                input = torch.relu(input)
            return self._conv_forward(input, self.weight, self.bias)  # exactly nn.Conv2d's
        runner = self._get_runner(g)
        x4 = input if input.dim() == 4 else input.unsqueeze(0)
        self._last_input = (tuple(x4.shape), bool(SF.ext.use_channels_last(x4, self.weight)))
        return SF.run_sparse(runner, input, self.weight, self.bias, self.options, self.input_relu,
                             self.relu_mask_active())

    # ---- what ran, and what would run ----
    def sparse_stats(self) -> dict:
        """Per direction ('forward', 'backward_data', 'backward_weights'): runs, sparse_runs,
        dense_runs, reference_runs, last_sparsity (sampled zero fraction of the operand the
        kernel skips, None if not measured), impl, problem, layout (of the activations the
        primitive runs on: nhwc, nChw16c, ...) and the decline reasons of the most recently
        used primitive; backward_data also counts mask_runs (runs with the ReLU mask, any
        path) and sparse_mask_runs (of those, the masked kernel's); plus fallback_runs / fallback_reason (calls that ran
        torch.nn.functional.conv2d) and last_input (shape, channels_last)."""
        out = {}
        raw = self._runner.stats() if self._runner is not None else {}
        for d in ("forward", "backward_data", "backward_weights"):
            r = dict(raw.get(d) or {"runs": 0, "sparse_runs": 0, "dense_runs": 0, "reference_runs": 0,
                                    "mask_runs": 0, "sparse_mask_runs": 0, "last_sparsity": None,
                                    "impl": None, "problem": None, "layout": None, "declined": []})
            if self._stats_base is not None:
                for c in _COUNTS:
                    r[c] -= self._stats_base[d][c]
            out[d] = r
        out["fallback_runs"] = self._fallback_runs
        out["fallback_reason"] = self._fallback_reason
        out["last_input"] = self._last_input
        return out

    def reset_sparse_stats(self) -> None:
        """Counts start again from zero (cached primitives are kept)."""
        self._fallback_runs = 0
        self._fallback_reason = None
        if self._runner is not None:
            self._stats_base = {d: {c: v[c] for c in _COUNTS} for d, v in self._runner.stats().items()}

    def describe(self, input_shape=None, channels_last: Optional[bool] = None) -> dict:
        """What sparsetrain picks for this layer, per direction: {'impl', 'declined',
        'problem'}, or {'fallback': reason} where F.conv2d runs. ``input_shape``
        (N, C, H, W) defaults to the last input seen, else a nominal 1 x C x 32 x 32."""
        g = self.geometry()
        reason = SF.static_reason(g)
        if reason is None and (self.weight.dtype != torch.float32 or self.weight.device.type != "cpu"):
            reason = f"weight {str(self.weight.dtype).replace('torch.', '')} on {self.weight.device.type}"
        if reason is not None:
            return {"fallback": reason}
        nominal = False
        if input_shape is None:
            if self._last_input is not None:
                input_shape, seen_cl = self._last_input
                channels_last = seen_cl if channels_last is None else channels_last
            else:
                side = max(32, max(self.kernel_size))
                input_shape, nominal = (1, self.in_channels, side, side), True
        if channels_last is None:
            channels_last = self.weight.dim() == 4 and self.weight.is_contiguous(memory_format=torch.channels_last) \
                and not self.weight.is_contiguous()
        n, _, h, w = input_shape
        mode, denormals, inner = resolve(self.options)
        d = self._get_runner(g).describe(n, h, w, bool(channels_last), mode, denormals, inner,
                                         self.relu_mask_active())
        d["input"] = {"shape": tuple(input_shape), "channels_last": bool(channels_last), "nominal": nominal,
                      "dispatch": mode}
        return d

    def clear_cache(self) -> None:
        """Drops this layer's cached primitives and buffers (statistics are kept)."""
        if self._runner is not None:
            self._runner.clear()
