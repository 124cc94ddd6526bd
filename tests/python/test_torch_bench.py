"""perf/torch_bench_data.py reads the layer, profile and mapping files as sparsetrain-bench
does (perf/README.md, "How each conv is mapped"), and its CSV."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "perf"))
import torch_bench_data as data  # noqa: E402


def test_vgg16_layers_and_final_epoch_sparsity():
    layers = {l.name: l for l in data.vgg16_layers("final_epoch")}
    assert list(layers) == ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3", "conv4_1",
                            "conv4_2", "conv4_3", "conv5_1", "conv5_2", "conv5_3"]
    first = layers["conv1_1"]
    assert first.initial and (first.c, first.h, first.k) == (3, 224, 64) and first.src_sparsity == 0
    l = layers["conv1_2"]  # src = ReLU conv0 (0.489); feeds ReLU conv1 (0.716) then a pool: max(0.75, .)
    assert (l.c, l.h, l.k, l.kernel, l.pad) == (64, 224, 64, 3, 1)
    assert l.src_sparsity == pytest.approx(0.489) and l.diff_dst_sparsity == pytest.approx(0.75)
    l = layers["conv5_3"]  # src = conv11 (0.805); gradient pool:conv12 = 0.916
    assert l.src_sparsity == pytest.approx(0.805) and l.diff_dst_sparsity == pytest.approx(0.916)
    assert layers["conv3_3"].src_source == "row:conv5"
    assert not any(l.initial for n, l in layers.items() if n != "conv1_1")


def test_rules():
    prof = {"a": 0.6, "b": 0.9}
    assert data.apply_rule("dense", prof) == 0 and data.apply_rule("row:a", prof) == 0.6
    assert data.apply_rule("pool:a", prof) == 0.75 and data.apply_rule("pool:b", prof) == 0.9
    with pytest.raises(ValueError):
        data.apply_rule("row:zz", prof)


def test_bench_csv_ratio_per_layer(tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("problem,name,dir,sparsity,dense_impl,sparse_impl,dense_ms,sparse_ms,speedup,network,profile,mb,"
                 "initial,occurrences,layers,sparsity_target,sparsity_source,ran,check\n"
                 "x,n,fwd,0.7,d,s,10,5,2,vgg16,final,16,0,1,conv3_2,0.7,src,sparse,ok\n"
                 "x,n,bwd_d,0.7,d,s,20,5,4,vgg16,final,16,0,1,conv3_2,0.7,src,sparse,ok\n"
                 "x,n,bwd_w,0.7,d,s,10,10,1,vgg16,final,16,0,1,conv3_2,0.7,src,sparse,ok\n")
    r = data.bench_ratios(str(p))["conv3_2"]
    assert r["ratio"] == pytest.approx(40 / 20) and set(r["dirs"]) == {"fwd", "bwd_d", "bwd_w"}


def test_bench_script_runs_small(tmp_path, capsys):
    """perf/torch_bench.py end to end on small sizes (the real runs are in perf/README.md)."""
    import json
    import torch_bench
    out = tmp_path / "layers.json"
    torch_bench.main(["layers", "--mb=1", "--layers=conv5_3", "--reps=1", "--warmup=0", "--threads=2",
                      f"--json={out}"])
    res = json.loads(out.read_text())["results"]
    assert [r["layer"] for r in res] == ["conv5_3"]
    assert set(res[0]["ms"]) == {"stock_nchw", "stock_channels_last", "ours_nchw", "ours_channels_last",
                                 "ours_nchw/nhwc"}
    out = tmp_path / "model.json"
    torch_bench.main(["model", "--model=resnet50", "--mb=2", "--size=32", "--reps=1", "--warmup=0",
                      "--formats=nchw", f"--json={out}"])
    res = json.loads(out.read_text())["results"]["nchw"]
    assert res["ratio"] > 0 and 0 <= res["src_sparsity"] <= 1
    assert "stock" in capsys.readouterr().out
