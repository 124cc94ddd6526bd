"""Where a SparseConv2d's input comes from a ReLU: found with torch.fx, used by convert().

Backward-data can return ``diff_src * [src > 0]`` (the ReLU backward applied) when the conv's
input ``src`` is a ReLU output or a max / avg pool of one: there a zero means every value that
produced it was 0, so the ReLU backward zeroes that gradient anyway (the C++ contract of
``backward_data_options::relu_mask``). Per conv, over all places the model calls it:

- fuse:  every call reads a ReLU whose only reader is this conv. The conv computes relu(x)
         itself (``module.input_relu``), the ReLU node leaves the graph, and the conv's
         backward returns d loss/d x directly: the framework's ReLU backward disappears.
- mask:  the input is a ReLU output with other readers, or a pool of a ReLU output
         (``module.input_from_relu``): the graph is kept, only this conv's diff_src is
         masked (exact); the framework's pool and ReLU backward still run.
- none:  anything else, with the reason in ``module.relu_mask_note``.

A fused model keeps its class, modules and state_dict: only its ``forward`` is replaced by the
rewritten graph's code, which calls the very same submodules (``FusedForward``).
"""

import warnings
from typing import Dict, List, NamedTuple, Optional

import torch
import torch.nn.functional as F
from torch import fx, nn

from .modules import SparseConv2d


class SparseTrainReluMaskWarning(UserWarning):
    """convert() could not look for ReLU producers (torch.fx tracing failed): no ReLU mask."""


_RELU_FUNCS = (F.relu, torch.relu)  # (x, inplace=...) for F.relu
_RELU_INPLACE_FUNCS = (torch.relu_,)  # F.relu_ is torch.relu_
_POOL_FUNCS = (F.max_pool2d, F.avg_pool2d, torch.max_pool2d)


class _Tracer(fx.Tracer):
    """Convolutions stay leaves (SparseConv2d's forward is data-dependent Python)."""

    def is_leaf_module(self, m, qualname):
        return isinstance(m, nn.Conv2d) or super().is_leaf_module(m, qualname)


def _relu_input(node: fx.Node, modules) -> Optional[tuple]:
    """(input node, inplace) when ``node`` is a ReLU, else None."""
    if len(node.args) < 1 or not isinstance(node.args[0], fx.Node):
        return None
    if node.op == "call_module" and type(modules.get(node.target)) is nn.ReLU:
        return node.args[0], bool(modules[node.target].inplace)
    if node.op == "call_function" and node.target in _RELU_FUNCS:
        inplace = node.kwargs.get("inplace", node.args[1] if len(node.args) > 1 else False)
        return node.args[0], bool(inplace)
    if node.op == "call_function" and node.target in _RELU_INPLACE_FUNCS:
        return node.args[0], True
    if node.op == "call_method" and node.target in ("relu", "relu_"):
        return node.args[0], node.target == "relu_"
    return None


def _pool_input(node: fx.Node, modules) -> Optional[tuple]:
    """(input node, name) when ``node`` is a max / avg pool whose zeros mean 'all zeros'."""
    if len(node.args) < 1 or not isinstance(node.args[0], fx.Node):
        return None
    if node.op == "call_module":
        m = modules.get(node.target)
        if type(m) is nn.MaxPool2d and not m.return_indices:
            return node.args[0], "maxpool"
        if type(m) is nn.AvgPool2d and (m.divisor_override is None or m.divisor_override > 0):
            return node.args[0], "avgpool"
        return None
    if node.op == "call_function" and node.target in _POOL_FUNCS:
        if node.kwargs.get("return_indices") or node.kwargs.get("divisor_override") is not None:
            return None
        if len(node.args) > 6:  # positional return_indices / divisor_override
            return None
        return node.args[0], "avgpool" if node.target is F.avg_pool2d else "maxpool"
    return None


def _what(node) -> str:
    if not isinstance(node, fx.Node):
        return "a constant"
    if node.op == "placeholder":
        return "the model input"
    if node.op == "call_module":
        return f"{node.target}"
    return f"{getattr(node.target, '__name__', node.target)}"


class Site(NamedTuple):
    kind: str             # 'fuse', 'mask' or 'none'
    note: str             # why
    relu: Optional[fx.Node] = None  # the ReLU node to drop ('fuse')


def classify(conv: fx.Node, modules) -> Site:
    """What one call of a conv can do with the ReLU mask."""
    if len(conv.args) != 1 or conv.kwargs or not isinstance(conv.args[0], fx.Node):
        return Site("none", "called with extra arguments")
    src = conv.args[0]
    relu = _relu_input(src, modules)
    if relu is not None:
        relu_in, inplace = relu
        readers = len(src.users)
        if readers > 1:
            return Site("mask", f"ReLU {_what(src)} shared by {readers} readers")
        if inplace and (len(relu_in.users) > 1 or relu_in.op == "placeholder"):
            return Site("mask", f"in-place ReLU {_what(src)} on a tensor read elsewhere")
        return Site("fuse", f"ReLU {_what(src)} fused", src)
    pools = []
    node = src
    while True:
        pool = _pool_input(node, modules)
        if pool is None:
            break
        node, name = pool
        pools.append(name)
    if pools and _relu_input(node, modules) is not None:
        return Site("mask", f"{' of '.join(pools)} of ReLU {_what(node)}")
    return Site("none", f"input from {_what(src)}, not a ReLU")


class Plan(NamedTuple):
    graph: Optional[fx.Graph]        # None: tracing failed
    sites: Dict[str, List[Site]]     # conv module name -> its calls
    failure: Optional[str]


def trace(model: nn.Module) -> Plan:
    try:
        graph = _Tracer().trace(model)
    except Exception as e:  # noqa: BLE001  (any tracing failure means: no mask, today's path)
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return Plan(None, {}, f"{type(e).__name__}: {first}"[:200])
    modules = dict(model.named_modules())
    sites: Dict[str, List[Site]] = {}
    for node in graph.nodes:
        if node.op == "call_module" and isinstance(modules.get(node.target), SparseConv2d):
            sites.setdefault(node.target, []).append(classify(node, modules))
    return Plan(graph, sites, None)


class FusedForward:
    """The rewritten graph's forward, run on the original model (its own submodules, so the
    model keeps its class, hooks and state_dict). Deep-copies and pickles with the model."""

    def __init__(self, owner: nn.Module, gm: fx.GraphModule):
        self.owner = owner
        self.gm = gm

    def __call__(self, *args, **kwargs):
        return type(self.gm).forward(self.owner, *args, **kwargs)


def _resolves(model: nn.Module, target: str) -> bool:
    obj = model
    for part in target.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def _set_all(model, note):
    for m in model.modules():
        if isinstance(m, SparseConv2d):
            m.input_relu, m.input_from_relu, m.relu_mask_note = False, False, note


def apply(model: nn.Module, enabled: bool) -> nn.Module:
    """Marks every SparseConv2d of ``model`` (input_relu / input_from_relu / relu_mask_note)
    and, where some conv is fused, replaces ``model.forward`` by the rewritten graph."""
    if not enabled:
        _set_all(model, "off (relu_mask=False)")
        return model
    plan = trace(model)
    if plan.graph is None:
        _set_all(model, f"tracing failed ({plan.failure})")
        warnings.warn(f"sparsetrain.torch.convert: torch.fx could not trace the model ({plan.failure}); "
                      "the ReLU mask is not used (convert(..., relu_mask=False) silences this)",
                      SparseTrainReluMaskWarning, stacklevel=3)
        return model
    _set_all(model, "not called in forward")
    modules = dict(model.named_modules())
    fused = []
    for name, sites in plan.sites.items():
        m = modules[name]
        if m.options.relu_mask is False:
            m.relu_mask_note = "off (options.relu_mask=False)"
            continue
        kinds = {s.kind for s in sites}
        if kinds == {"fuse"}:
            m.input_relu, m.relu_mask_note = True, sites[0].note
            fused.extend(sites)
        elif "none" not in kinds:
            m.input_from_relu = True
            m.relu_mask_note = next(s.note for s in sites if s.kind == "mask")
        else:
            m.relu_mask_note = next(s.note for s in sites if s.kind == "none")
    if not fused:
        return model
    graph = plan.graph
    if not all(_resolves(model, n.target) for n in graph.nodes if n.op in ("get_attr", "call_module")):
        # Tracing made attributes the model does not have (constants): keep the model's
        # forward and only mask (exact for a fused input too: relu(relu(x)) = relu(x)).
        for name, m in modules.items():
            if isinstance(m, SparseConv2d) and m.input_relu:
                m.input_relu, m.input_from_relu = False, True
                m.relu_mask_note += " (mask only: the traced graph holds constants)"
        return model
    for site in fused:
        relu = site.relu
        conv = next(iter(relu.users))
        conv.args = (relu.args[0],)
        graph.erase_node(relu)
    graph.lint()
    gm = fx.GraphModule(model, graph, class_name=type(model).__name__)
    model.forward = FusedForward(model, gm)
    return model
