"""Controls: the sparse/dense dispatch policy (process-wide and per module) and the options
object a SparseConv2d carries."""

import contextlib
import dataclasses
import os
from typing import Optional

DISPATCH_MODES = ("auto", "sparse", "dense")
DENORMAL_MODES = ("flush", "keep")
NCHW_INNER = ("nChw16c", "nhwc")
DEFAULT_NCHW_INNER = "nChw16c"


@dataclasses.dataclass
class ConvOptions:
    """Per-module settings of a SparseConv2d (``module.options``).

    dispatch:  'auto' (measure the zeros, run whichever of the sparse kernel and oneDNN
               dense is faster, per call), 'sparse' (always the sparse kernel where one
               exists), 'dense' (always oneDNN dense), or None for the process-wide mode
               (set_dispatch_mode; default SPARSETRAIN_DISPATCH, else 'auto').
    denormals: 'flush' (FTZ+DAZ inside the sparse kernels, the default), 'keep' (IEEE), or
               None for SPARSETRAIN_DENORMALS.
    max_cached_shapes: how many input shapes (with memory format, thread count and policy)
               keep their primitives and buffers cached in this module.
    nchw_inner: the layout NCHW tensors are copied into for the primitives: 'nChw16c' or
               'nhwc' (None: the default, see perf/README.md "PyTorch" for the measurement).
               channels_last tensors always run in place as nhwc.
    relu_mask: False: this layer never uses the ReLU-backward mask (convert() leaves it
               alone; a layer already fused then runs plain backward-data followed by the
               ReLU backward). None / True: use it where convert() found the input to be a
               ReLU output (see convert's relu_mask).
    """

    dispatch: Optional[str] = None
    denormals: Optional[str] = None
    max_cached_shapes: int = 8
    nchw_inner: Optional[str] = None
    relu_mask: Optional[bool] = None

    def __post_init__(self):
        _check_dispatch(self.dispatch, allow_none=True)
        if self.denormals is not None and self.denormals not in DENORMAL_MODES:
            raise ValueError(f"denormals must be one of {DENORMAL_MODES} or None, got {self.denormals!r}")
        if self.nchw_inner is not None and self.nchw_inner not in NCHW_INNER:
            raise ValueError(f"nchw_inner must be one of {NCHW_INNER} or None, got {self.nchw_inner!r}")
        if self.relu_mask not in (None, True, False):
            raise ValueError(f"relu_mask must be True, False or None, got {self.relu_mask!r}")
        if int(self.max_cached_shapes) < 1:
            raise ValueError(f"max_cached_shapes must be at least 1, got {self.max_cached_shapes!r}")


def _check_dispatch(mode, allow_none=False, what="dispatch mode"):
    if mode is None and allow_none:
        return
    if mode not in DISPATCH_MODES:
        raise ValueError(f"{what} must be one of {DISPATCH_MODES}{' or None' if allow_none else ''}, got {mode!r}")


_global_mode: Optional[str] = None  # None: SPARSETRAIN_DISPATCH, else 'auto'


def get_dispatch_mode() -> str:
    """The process-wide dispatch mode used by modules whose options.dispatch is None."""
    if _global_mode is not None:
        return _global_mode
    env = os.environ.get("SPARSETRAIN_DISPATCH", "auto")
    _check_dispatch(env, what="SPARSETRAIN_DISPATCH")
    return env


def set_dispatch_mode(mode: Optional[str], model=None) -> None:
    """Sets the dispatch mode ('auto', 'sparse', 'dense').

    Without ``model``: the process-wide mode (None goes back to SPARSETRAIN_DISPATCH).
    With ``model``: ``options.dispatch`` of every SparseConv2d in it (None: follow the
    process-wide mode).
    """
    global _global_mode
    if model is None:
        _check_dispatch(mode, allow_none=True)
        _global_mode = mode
        return
    _check_dispatch(mode, allow_none=True)
    from .modules import SparseConv2d  # late import: modules imports this file

    for m in model.modules():
        if isinstance(m, SparseConv2d):
            m.options.dispatch = mode


@contextlib.contextmanager
def dispatch_mode(mode: str):
    """Context manager: the process-wide dispatch mode inside the ``with`` block."""
    global _global_mode
    _check_dispatch(mode)
    saved = _global_mode
    _global_mode = mode
    try:
        yield
    finally:
        _global_mode = saved


def resolve(options: ConvOptions):
    """(dispatch mode, denormals, nchw_inner) strings for the extension."""
    mode = options.dispatch if options.dispatch is not None else get_dispatch_mode()
    _check_dispatch(mode, what="options.dispatch")
    return mode, (options.denormals or "env"), (options.nchw_inner or DEFAULT_NCHW_INNER)


def relu_mask_default() -> bool:
    """convert()'s relu_mask when not given: SPARSETRAIN_RELU_MASK ('1' default, '0' off)."""
    env = os.environ.get("SPARSETRAIN_RELU_MASK", "1").strip().lower()
    if env in ("1", "on", "true", ""):
        return True
    if env in ("0", "off", "false"):
        return False
    raise ValueError(f"SPARSETRAIN_RELU_MASK must be 1 or 0, got {env!r}")
