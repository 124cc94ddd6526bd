"""SparseConv2d under DistributedDataParallel (gloo): two processes on 127.0.0.1, one thread
each; parameters after a few steps equal a stock-nn.Conv2d DDP run within tolerance."""

import os
import socket
import subprocess
import sys

import torch

from conftest import SPARSE

HERE = os.path.dirname(os.path.abspath(__file__))
WORLD = 2


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(tmp_path, attempt):
    port = free_port()
    env = dict(os.environ, OMP_NUM_THREADS="1")
    outs = [str(tmp_path / f"rank{attempt}_{r}.pt") for r in range(WORLD)]
    procs = [subprocess.Popen([sys.executable, os.path.join(HERE, "ddp_worker.py"), str(r), str(WORLD), str(port),
                               outs[r]], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for r in range(WORLD)]
    logs = []
    try:
        for p in procs:
            logs.append(p.communicate(timeout=240)[0].decode(errors="replace"))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return [p.returncode for p in procs], outs, logs


def test_ddp_gloo_two_processes_match_stock(tmp_path):
    for attempt in range(3):  # the free port may be taken between the probe and the bind
        codes, outs, logs = run_ranks(tmp_path, attempt)
        if codes == [0] * WORLD:
            break
        if not any("Address already in use" in log for log in logs):
            break
    assert codes == [0] * WORLD, "\n".join(logs)
    results = [torch.load(o) for o in outs]
    for r, res in enumerate(results):
        for name, want in res["stock"].items():
            got = res["sparse"][name]
            err = float((got - want).abs().max())
            assert err <= 1e-4 * max(1.0, float(want.abs().max())), f"rank {r} {name}: {err}"
        for layer, s in res["stats"].items():
            for d in ("forward", "backward_weights"):
                assert s[d]["runs"] == 3, (layer, d, s[d])
                if SPARSE:
                    assert s[d]["sparse_runs"] == 3, (layer, d, s[d])
    for name in results[0]["sparse"]:  # DDP keeps the replicas identical
        assert torch.equal(results[0]["sparse"][name], results[1]["sparse"][name]), name
