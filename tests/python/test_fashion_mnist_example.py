"""The pieces of examples/train_fashion_mnist.py that the smoke test (ctest fashion_mnist_smoke)
cannot check precisely: the IDX reader, the capture format, the probes' stamps and zero counts,
the parity and speed arithmetic of compare, the input memory format. No dataset needed."""
import gzip
import os
import struct
import sys

import numpy as np
import pytest
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))

from fashion_mnist import capture, compare, data, models, probes, train  # noqa: E402


def write_idx(path, array, magic):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes())


@pytest.fixture
def fake_dataset(tmp_path):
    rng = np.random.default_rng(0)
    for key, n in (("train", 40), ("test", 12)):
        write_idx(tmp_path / data.FILES[f"{key}_images"], rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), 0x803)
        write_idx(tmp_path / data.FILES[f"{key}_labels"], rng.integers(0, 10, n, dtype=np.uint8), 0x801)
    return tmp_path


def test_idx_reader_limits_checks_and_batch_order(fake_dataset, tmp_path):
    ds = data.FashionMNIST(str(fake_dataset), train_limit=32)
    assert ds.train_x.shape == (32, 1, 28, 28) and ds.train_x.dtype == np.float32
    assert ds.test_x.shape == (12, 1, 28, 28) and ds.test_y.dtype == np.int64
    raw = data.read_idx(str(fake_dataset / data.FILES["train_images"]), 3)
    assert np.allclose(ds.train_x[:, 0], (raw[:32] / 255.0 - data.MEAN) / data.STD)
    a, b = ds.batch_order(7, 2, 8), ds.batch_order(7, 2, 8)
    assert len(a) == 4 and all((x == y).all() for x, y in zip(a, b))
    assert not all((x == y).all() for x, y in zip(a, ds.batch_order(7, 3, 8)))
    assert sorted(np.concatenate(a).tolist()) == list(range(32))
    bad = tmp_path / "bad.gz"
    write_idx(bad, np.zeros((2, 2), np.uint8), 0x802)
    with pytest.raises(ValueError, match="magic"):
        data.read_idx(str(bad), 3)
    with pytest.raises(data.DatasetMissing, match="dataset-fashion-mnist"):
        data.FashionMNIST(str(tmp_path / "nowhere"))


def test_capture_encodings_round_trip_and_choice():
    v = np.array([[0, 1.5, -0.0, 2], [0, 0, 0, -3]], np.float32)
    for enc in ("f32", "bitmap_f32"):
        back = capture.decode(capture.encode(v, enc), enc, v.shape)
        assert (back == v).all()
    assert len(capture.encode(v, "bitmap_f32")) == 1 + 4 * 3
    assert capture.choose_encoding(np.ones(100, np.float32)) == "f32"
    assert capture.choose_encoding(np.zeros(100, np.float32)) == "bitmap_f32"
    with pytest.raises(ValueError):
        capture.decode(b"\x01", "bitmap_f32", (8,))


def test_problem_string_matches_the_conv():
    c = nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)
    s = capture.problem_string(c, (4, 16, 7, 7), "net:c")
    assert s == 'mb4ic16ih7iw7oc32oh4ow4kh3kw3sh2sw2ph1pw1n"net:c"'
    assert c(torch.zeros(4, 16, 7, 7)).shape == (4, 32, 4, 4)


def test_capture_writer_subset_and_reader(tmp_path):
    conv = nn.Conv2d(16, 16, 3, padding=1)
    src = torch.relu(torch.randn(4, 16, 5, 5))
    dd = torch.randn(4, 16, 5, 5) * (torch.rand(4, 16, 5, 5) > 0.7)
    w = capture.CaptureWriter(str(tmp_path / "c"), "unit test", mb=3)
    w.add_layer("conv", conv, 9, {"src": src, "diff_dst": dd, "weights": conv.weight.detach(), "input_grad": False})
    w.close()
    (layer,) = capture.read_capture(str(tmp_path / "c"))
    assert layer["problem"].startswith("mb3ic16ih5") and layer["step"] == "9" and layer["input_grad"] == "0"
    assert (layer["tensors"]["src"] == src[:3].numpy()).all()
    assert (layer["tensors"]["diff_dst"] == dd[:3].numpy()).all()
    assert (layer["tensors"]["weights"] == conv.weight.detach().numpy()).all()
    again = capture.CaptureWriter(str(tmp_path / "c"), "unit test, resumed", append=True)  # a resumed run
    again.add_layer("conv", conv, 20, {"src": src, "diff_dst": dd, "weights": conv.weight.detach()})
    again.close()
    assert [l["step"] for l in capture.read_capture(str(tmp_path / "c"))] == ["9", "20"]
    capture.subset(str(tmp_path / "c"), str(tmp_path / "s"), mb=2, layers=None, weights=False, note="smaller")
    small = capture.read_capture(str(tmp_path / "s"))[0]
    assert small["problem"].startswith("mb2ic16") and set(small["tensors"]) == {"src", "diff_dst"}
    assert (small["tensors"]["src"] == src[:2].numpy()).all()
    assert "unit test; smaller" in (tmp_path / "s" / "manifest.txt").read_text()


def test_probes_stamp_every_conv_and_count_zeros_exactly():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(16, 8, 1))
    p = probes.Probes(models.conv_layers(model))
    x = torch.randn(2, 1, 8, 8)
    p.begin_step(count_zeros=True, capture=True)
    out = model(x)
    ref = nn.Sequential(*list(model.children()))  # same modules: outputs must be untouched by the probes
    out.square().sum().backward()
    fwd, bwd = p.end_step(timed=True)
    assert fwd > 0 and bwd > 0
    second = p.layers[1]
    act = torch.relu(model[0](x)).detach()
    assert second.stats.src_zeros[-1] == pytest.approx(float((act == 0).float().mean()))
    assert p.layers[0].stats.src_zeros[-1] == 0.0
    assert torch.equal(second.capture["src"], act)
    assert second.capture["input_grad"] and not p.layers[0].capture["input_grad"]
    for layer in p.layers:
        f, b = layer.step_times()
        assert f > 0 and b > 0
    stats = p.take_epoch()
    assert stats["0"]["timed_steps"] == 1 and stats["0"]["fwd_ms"] > 0
    p.remove()
    with torch.no_grad():
        assert torch.equal(ref(x), out.detach())


def test_input_batches_have_the_requested_memory_format():
    x = np.ascontiguousarray(np.zeros((40, 28, 28), np.float32)[:, None][[3, 1, 2]])
    nchw = train.to_input(train.RunConfig(memory_format="nchw"), x)
    assert nchw.stride() == (784, 784, 28, 1)  # numpy's own strides would read as channels_last
    cl = train.to_input(train.RunConfig(memory_format="channels_last"), x)
    assert cl.is_contiguous(memory_format=torch.channels_last)
    assert probes.memory_format_of(torch.zeros(2, 3, 4, 4)) == "nchw"


def fake_run(losses, threads=2, mode="stock", epochs=()):
    cfg = {k: 1 for k in compare.SAME}
    cfg.update(threads=threads, mode=mode, memory_format="nchw", dispatch="auto", model="vgg")
    return {"config": cfg, "steps": [{"step": i, "loss": l} for i, l in enumerate(losses)], "epochs": list(epochs),
            "layers": ["a", "b"]}


def epoch(n, acc, step_ms, conv_ms, layers):
    return {"epoch": n, "timed_steps": 10, "test_accuracy": acc, "step_ms": step_ms, "conv_ms": conv_ms,
            "conv_noninitial_ms": conv_ms - 1, "rest_ms": step_ms - conv_ms, "conv_fwd_ms": conv_ms / 3,
            "conv_bwd_ms": 2 * conv_ms / 3,
            "layers": {k: {"fwd_ms": v, "bwd_ms": 2 * v, "timed_steps": 10, "src_sparsity": 0.5,
                           "diff_dst_sparsity": 0.8} for k, v in layers.items()}}


def test_compare_parity_against_the_floor_and_speed():
    ref = fake_run([2.0, 1.0, 0.5, 0.4], epochs=[epoch(1, 80.0, 100, 60, {"a": 2, "b": 10}),
                                                 epoch(2, 85.0, 100, 60, {"a": 2, "b": 10})])
    floor = fake_run([2.0, 1.1, 0.45, 0.4], threads=1)
    ours = fake_run([2.0, 1.05, 0.55, 0.45], mode="sparsetrain",
                    epochs=[epoch(1, 80.0, 90, 50, {"a": 2, "b": 8}), epoch(2, 85.3, 50, 20, {"a": 2, "b": 4})])
    p = compare.parity(ref, ours, floor, window=4)
    assert p["floor_mean"] == pytest.approx(0.15 / 4) and p["deviation_mean"] == pytest.approx(0.15 / 4)
    assert p["loss_ok"] and p["accuracy_ok"] and p["accuracy_diff"] == pytest.approx(0.3)
    assert compare.parity(ref, fake_run([2.0, 1.29, 0.5, 0.4]), floor, window=4)["loss_ok"]  # 0.29 <= 2 x 0.15
    assert compare.parity(ref, fake_run([2.0, 1.31, 0.5, 0.4]), floor, window=4)["loss_ok"] is False
    r = compare.compare(ref, ours, floor, window=4)
    assert r["after_first_epoch"]["step_ms"]["speedup"] == pytest.approx(2.0)
    assert r["after_first_epoch"]["conv_ms"]["speedup"] == pytest.approx(3.0)
    b = next(l for l in r["layers"] if l["layer"] == "b")
    assert b["speedup"] == pytest.approx(2.5) and b["speedup_fwd"] == pytest.approx(2.5)
    assert "ratio 1.00: ok" in compare.format_report(r)
    with pytest.raises(ValueError, match="seed"):
        other = fake_run([1.0])
        other["config"]["seed"] = 2
        compare.parity(ref, other)
