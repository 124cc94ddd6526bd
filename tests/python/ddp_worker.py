"""One rank of the DDP test (test_ddp.py starts two): trains the same small CNN with stock
nn.Conv2d and with SparseConv2d under DistributedDataParallel (gloo, 127.0.0.1) and saves
the parameters after a few SGD steps."""

import datetime
import sys

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

import sparsetrain.torch as st

STEPS = 3


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(32, 16, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


def train(model, rank):
    ddp = DDP(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    gen = torch.Generator().manual_seed(100 + rank)  # each rank its own shard of data
    for _ in range(STEPS):
        x = torch.randn(4, 16, 12, 12, generator=gen).relu()
        y = torch.randint(0, 10, (4,), generator=gen)
        opt.zero_grad()
        F.cross_entropy(ddp(x), y).backward()
        opt.step()
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def main():
    rank, world, port, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=60))
    result = {"stock": train(make_model(), rank)}
    sparse = st.convert(make_model(), options=st.ConvOptions(dispatch="sparse"))
    result["sparse"] = train(sparse, rank)
    result["stats"] = st.stats(sparse)
    dist.barrier()
    dist.destroy_process_group()
    torch.save(result, out)


if __name__ == "__main__":
    main()
