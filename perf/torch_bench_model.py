"""torch_bench model mode: whole training steps of torchvision VGG16 / ResNet-50 before and
after sparsetrain.torch.convert(), and the sparsity the model actually produced."""

import copy
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

import sparsetrain.torch as st
from torch_bench_common import FORMATS, interleaved


def make_model(name):
    import torchvision
    torch.manual_seed(0)
    return {"vgg16": torchvision.models.vgg16, "resnet50": torchvision.models.resnet50}[name]()


def train_step(model, opt, x, y):
    def run():
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return time.perf_counter() - t0
    return run


def measure_sparsity(model, x, y):
    """One untimed step with hooks: zero fraction of each conv's input and output gradient."""
    found, handles = {}, []
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            def pre(mod, inp, name=name):
                found.setdefault(name, {})["src"] = float((inp[0] == 0).float().mean())

            def post(mod, inp, out, name=name):
                found[name]["flops"] = 2 * mod.weight.numel() * out.shape[0] * out.shape[2] * out.shape[3]
                out.register_hook(lambda g: found[name].__setitem__("diff_dst", float((g == 0).float().mean())))
            handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    for h in handles:
        h.remove()
    return found


def model_mode(args):
    torch.manual_seed(2)
    x0 = torch.randn(args.mb, 3, args.size, args.size)
    y = torch.randint(0, 1000, (args.mb,))
    base = make_model(args.model)
    result = {}
    for f in args.formats:
        mf = FORMATS[f]
        x = x0.contiguous(memory_format=mf)
        stock = copy.deepcopy(base).to(memory_format=mf)
        ours = st.convert(stock, options=st.ConvOptions(dispatch=args.dispatch))
        variants = {}
        for side, m in (("stock", stock), ("ours", ours)):
            opt = torch.optim.SGD(m.parameters(), lr=args.lr, momentum=0.9)
            variants[side] = train_step(m, opt, x, y)
        times = interleaved(variants, args.reps, args.warmup)
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        sp = measure_sparsity(ours, x, y)
        body = [v for k, v in sp.items() if k != next(iter(sp))]  # without the first layer
        w = sum(v["flops"] for v in body)
        src = sum(v["src"] * v["flops"] for v in body) / w
        gy = sum(v.get("diff_dst", 0.0) * v["flops"] for v in body) / w
        paths = {d: [0, 0] for d in ("forward", "backward_data", "backward_weights")}
        for s in st.stats(ours).values():
            for d in paths:
                paths[d][0] += s[d]["sparse_runs"]
                paths[d][1] += s[d]["dense_runs"]
        result[f] = {"ms": med, "times": times, "ratio": med["stock"] / med["ours"], "src_sparsity": src,
                     "diff_dst_sparsity": gy, "per_layer": sp, "paths": paths}
        print(f"{args.model} {f} N={args.mb} {args.size}^2: stock {med['stock']:.0f} ms, sparsetrain.torch "
              f"{med['ours']:.0f} ms, {med['stock'] / med['ours']:.2f}x; zeros (FLOP-weighted, non-initial "
              f"convs) input {src:.2f}, output gradient {gy:.2f}; sparse/dense runs "
              + ", ".join(f"{d} {v[0]}/{v[1]}" for d, v in paths.items()), flush=True)
        del stock, ours, variants
    return result
