"""Training-step time of a torchvision network: stock PyTorch vs sparsetrain.torch.convert()
with the ReLU-backward mask (default) vs without it (relu_mask=False).

    PYTHONPATH=build/python /usr/bin/python3 examples/relu_mask_bench.py --model resnet50 \\
        --mb 16 --size 112 --reps 5

Random initialisation and random (Gaussian) images: the activations are the post-ReLU
tensors such a network produces (synthetic, not a trained model's). One SGD step (momentum
0.9) per timing; the variants run interleaved (stock, mask, no mask, stock, ...) after one
warm-up step each, and the medians are reported, with the ratios against stock and the
zero fraction of the masked convs' inputs (FLOP-weighted). All variants use the same memory
format (default channels_last, stock PyTorch's faster one for these networks here).
"""

import argparse
import copy
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def build(name):
    import torchvision
    torch.manual_seed(0)
    return {"vgg16": torchvision.models.vgg16, "resnet50": torchvision.models.resnet50,
            "resnet18": torchvision.models.resnet18}[name]()


def stepper(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def run():
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
        return time.perf_counter() - t0
    return run


def masked_input_zeros(st, model, x):
    """FLOP-weighted zero fraction of the inputs (what the conv reads: relu(x) where fused) of
    the convs that run with the mask; and (fused, masked-only) counts."""
    acc, handles = [0.0, 0.0], []
    for m in model.modules():
        if isinstance(m, st.SparseConv2d) and (m.input_relu or m.input_from_relu):
            def pre(mod, inp):
                src = inp[0].clamp_min(0) if mod.input_relu else inp[0]
                n, _, h, w = inp[0].shape
                flops = mod.weight.numel() * n * h * w / (mod.stride[0] * mod.stride[1])
                acc[0] += float((src == 0).float().mean()) * flops
                acc[1] += flops
            handles.append(m.register_forward_pre_hook(pre))
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    fused = sum(1 for m in model.modules() if isinstance(m, st.SparseConv2d) and m.input_relu)
    masked = sum(1 for m in model.modules() if isinstance(m, st.SparseConv2d) and m.input_from_relu)
    return acc[0] / max(acc[1], 1.0), fused, masked


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet50", choices=["vgg16", "resnet50", "resnet18"])
    p.add_argument("--mb", type=int, default=16)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dispatch", default="auto", choices=["auto", "sparse", "dense"])
    p.add_argument("--format", default="channels_last", choices=["channels_last", "nchw"])
    a = p.parse_args(argv)
    import sparsetrain.torch as st
    torch.set_num_threads(a.threads)
    mf = torch.channels_last if a.format == "channels_last" else torch.contiguous_format
    g = torch.Generator().manual_seed(1)
    x = torch.randn(a.mb, 3, a.size, a.size, generator=g).contiguous(memory_format=mf)
    y = torch.randint(0, 1000, (a.mb,), generator=g)
    stock = build(a.model).to(memory_format=mf)
    opts = st.ConvOptions(dispatch=a.dispatch)
    models = {"stock": stock,
              "mask": st.convert(copy.deepcopy(stock), options=opts, relu_mask=True),
              "nomask": st.convert(copy.deepcopy(stock), options=opts, relu_mask=False)}
    runs = {k: stepper(m, x, y) for k, m in models.items()}
    for r in runs.values():
        r()  # warm-up: primitives, JIT kernels, dispatch calibration
    times = {k: [] for k in runs}
    for _ in range(a.reps):
        for k, r in runs.items():
            times[k].append(r())
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    zeros, fused, masked = masked_input_zeros(st, models["mask"], x)
    s = st.stats(models["mask"])
    mask_runs = sum(v["backward_data"]["mask_runs"] for v in s.values())
    sparse_mask_runs = sum(v["backward_data"]["sparse_mask_runs"] for v in s.values())
    print(f"{a.model} N={a.mb} {a.size}x{a.size} {a.format} threads={a.threads} dispatch={a.dispatch} "
          f"reps={a.reps}: stock {med['stock']:.0f} ms, mask {med['mask']:.0f} ms "
          f"({med['stock'] / med['mask']:.2f}x), no mask {med['nomask']:.0f} ms "
          f"({med['stock'] / med['nomask']:.2f}x); mask/no mask {med['nomask'] / med['mask']:.2f}x; "
          f"{fused} fused + {masked} masked convs, their input zeros {zeros:.2f}; "
          f"masked bwd_d runs {mask_runs} (masked kernel {sparse_mask_runs})", flush=True)
    print("all times ms: " + "; ".join(f"{k} " + " ".join(f"{t * 1e3:.0f}" for t in v) for k, v in times.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
