"""sparsetrain.torch: sparsetrain's zero-skipping convolutions for PyTorch (CPU, float32).

    import sparsetrain.torch as st
    model = st.convert(model)        # every nn.Conv2d -> st.SparseConv2d, same weights;
                                     # ReLU-fed convs mask (or fuse) the ReLU backward
    print(st.summary(model, example_input=x[:1]))   # what each layer runs, and why
    ...train as usual...
    st.stats(model)                  # per layer: runs, sparse vs dense, last sparsity

Layers that sparsetrain does not cover (other dtypes or devices, padding modes, groups,
dilation) run torch.nn.functional.conv2d, exactly as nn.Conv2d would.
"""

import torch  # noqa: F401  (must be imported before the extension)

from ._loader import ext as _ext
from .convert import ConversionReport, LayerReport, convert, reset_stats, stats, summary
from .functional import SparseConv2dFunction, SparseTrainFallbackWarning, conv2d
from .modules import SparseConv2d
from .options import ConvOptions, dispatch_mode, get_dispatch_mode, set_dispatch_mode
from .relu_mask import SparseTrainReluMaskWarning

__all__ = [
    "SparseConv2d", "convert", "summary", "stats", "reset_stats", "ConvOptions", "set_dispatch_mode",
    "get_dispatch_mode", "dispatch_mode", "conv2d", "SparseConv2dFunction", "SparseTrainFallbackWarning",
    "ConversionReport", "LayerReport", "library_version", "workspace_bytes", "release_workspace",
    "buffer_pool_stats", "set_buffer_pool_limit", "SparseTrainReluMaskWarning",
]


def library_version() -> str:
    """Version of the sparsetrain C++ library the extension is linked with."""
    return _ext.library_version()


def workspace_bytes() -> int:
    """Bytes of blocked-activation scratch the calling thread holds (NCHW tensors only)."""
    return _ext.workspace_bytes()


def release_workspace() -> None:
    """Frees the calling thread's scratch (it grows again on the next NCHW call) and every
    idle block of the buffer pool."""
    _ext.release_workspace()
    _ext.release_idle_buffers()


def buffer_pool_stats() -> dict:
    """The pool that recycles the large tensors SparseConv2d returns (outputs, gradients):
    blocks, bytes, idle_bytes, limit_bytes, hits, misses. A block is reused once PyTorch has
    freed the tensor that used it; large blocks use transparent huge pages (a fresh 4 KiB-page
    allocation page-faults on first touch, which is slow on VMs)."""
    return dict(_ext.buffer_pool_stats())


def set_buffer_pool_limit(nbytes: int) -> None:
    """Largest total of idle pooled bytes kept (default: a quarter of physical memory);
    idle blocks beyond it are returned to the system, least recently used first."""
    if nbytes < 0:
        raise ValueError("set_buffer_pool_limit: nbytes must not be negative")
    _ext.set_buffer_pool_limit(int(nbytes))
