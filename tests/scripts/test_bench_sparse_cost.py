"""The sparse model's cost report (scripts/bench_sparse_cost.py): partial runs merged row
by row, and the Twitter verdict measured when the dense model ran at all nodes."""
from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

import bench_sparse_cost
from bench.sections import merge_sparse
from test_bench_sparse import COST


def _dense_all(seconds: float, commit: str = "new") -> dict:
    return {"kind": "dense", "preset": "dense", "num_nodes": 1000, "epochs": 1,
            "train_windows": 97, "train_seconds_per_epoch": [seconds],
            "val_seconds_per_epoch": [1.0], "peak_rss_mib_train": 19_000.0,
            "train_wall_seconds": 200.0, "commit": commit, "memory_limit": "23G"}


def _partial(twitter: list) -> dict:
    """A report of a run that measured only Twitter rows (``--sizes ''``)."""
    return {"date": "2026-11-28", "commit": "new", "wall_seconds": 60.0,
            "settings": {**COST["settings"], "sizes": [], "twitter_topk": [],
                         "twitter_dense_all": "23G"},
            "synthetic": [], "growth": [], "twitter": twitter}


def test_partial_run_replaces_only_its_rows_and_keeps_each_rows_commit():
    sparse_all = {**COST["twitter"][-1], "train_seconds_per_epoch": [1.0, 0.9]}
    merged = bench_sparse_cost.merge_cost(copy.deepcopy(COST),
                                          _partial([_dense_all(45.0), sparse_all]))
    assert [r["num_nodes"] for r in merged["synthetic"]] == [1000, 100000]
    assert {r["commit"] for r in merged["synthetic"]} == {"abc"}
    assert merged["growth"] == COST["growth"] and merged["settings"]["sizes"] == [1000, 100000]
    keys = [(r["kind"], r["num_nodes"], r["commit"]) for r in merged["twitter"]]
    assert keys == [("dense", 100, "abc"), ("dense", 200, "abc"), ("sparse", 200, "abc"),
                    ("dense", 400, "abc"), ("dense", 1000, "new"), ("sparse", 1000, "new")]
    assert merged["wall_seconds"] == COST["wall_seconds"] + 60.0
    # merged through the benchmark document's sparse section, quality runs untouched
    out = merge_sparse({"datasets": ["kept"], "cost": copy.deepcopy(COST)},
                       {"cost": _partial([_dense_all(45.0)])})
    assert out["datasets"] == ["kept"] and len(out["cost"]["twitter"]) == 6


def test_twitter_verdict_is_measured_when_the_dense_model_ran_at_all_nodes():
    for seconds, verdict in ((45.0, "met"), (20.0, "not met")):
        report = bench_sparse_cost.merge_cost(copy.deepcopy(COST),
                                              _partial([_dense_all(seconds)]))
        text = "\n".join(bench_sparse_cost.render(report))
        ratio = seconds / 1.5
        assert (f"against the dense model's {seconds:.2f} s/epoch: **{ratio:.1f}x faster** "
                f"(target >= 20x — {verdict})") in text
        assert "Extrapolated" not in text and "lower bound" not in text
        assert "| 1,000 | dense (`dense`) | 1 |" in text and "`new` |" in text
    assert "Extrapolated, not measured" in "\n".join(bench_sparse_cost.render(COST))


def test_sampled_and_whole_window_series_grow_and_merge_separately():
    """Rows of another ``subgraph_nodes`` setting form their own series: merged beside the
    whole-window rows of the same N (not over them), their own growth and verdict."""
    sampled = [{**r, "subgraph_nodes": 1000, "commit": "new",
                "train_seconds_per_epoch": [t]}
               for r, t in zip(COST["synthetic"], (2.0, 2.2))]
    new = {"date": "2026-12-05", "commit": "new", "wall_seconds": 30.0,
           "settings": COST["settings"], "synthetic": sampled,
           "growth": bench_sparse_cost.growth(sampled), "twitter": []}
    merged = bench_sparse_cost.merge_cost(copy.deepcopy(COST), new)
    assert [(bench_sparse_cost.setting(r), r["num_nodes"]) for r in merged["synthetic"]] == \
        [(1000, 1000), (1000, 100000), (0, 1000), (0, 100000)]
    whole, samp = sorted(merged["growth"], key=lambda g: g["subgraph_nodes"])
    assert whole == {**COST["growth"][0], "subgraph_nodes": 0}
    assert samp["per_doubling"] == pytest.approx(1.1 ** (1 / math.log2(100)), abs=1e-3)
    text = "\n".join(bench_sparse_cost.render(merged))
    assert "| subgraphs, S = 1,000 (N <= S: whole windows) | 1,000 |" in text
    assert "| subgraphs, S = 1,000 | 100,000 | 1,000,000 | 1 | 2.20 |" in text
    assert text.count("read as the time of the whole epoch met") == 1
    assert text.count("read as the time of the whole epoch not met") == 1


def test_a_negative_pool_series_grows_and_merges_beside_the_preset(monkeypatch):
    """Rows trained with ``negative_pool = K`` (and with ``queries_by=sources``) form their
    own series (merged beside the preset's rows of the same N and subgraph setting, not
    over them), labelled with their settings; the preset's series comes first."""
    monkeypatch.setattr(bench_sparse_cost, "preset_series", lambda: (1000, 0, "links"))
    preset = [{**r, "subgraph_nodes": 1000, "commit": "new", "train_seconds_per_epoch": [9.0, t]}
              for r, t in zip(COST["synthetic"], (2.0, 4.0))]
    pooled = [{**r, "negative_pool": 1000, "train_seconds_per_epoch": [9.0, t, t + 1.0, t]}
              for r, t in zip(preset, (2.0, 2.2))]
    grouped = [{**r, "negative_pool": 500, "queries_by": "sources",
                "train_seconds_per_epoch": [9.0, t]} for r, t in zip(preset, (2.0, 2.1))]
    new = {"date": "2026-12-06", "commit": "new", "wall_seconds": 30.0,
           "settings": COST["settings"], "synthetic": preset + grouped + pooled,
           "growth": [], "twitter": []}
    merged = bench_sparse_cost.merge_cost(copy.deepcopy(COST), new)
    links, sources = "links", "sources"
    assert [(bench_sparse_cost.series(r), r["num_nodes"]) for r in merged["synthetic"]] == \
        [((1000, 0, links), 1000), ((1000, 0, links), 100000),
         ((1000, 500, sources), 1000), ((1000, 500, sources), 100000),
         ((1000, 1000, links), 1000), ((1000, 1000, links), 100000),
         ((0, 0, links), 1000), ((0, 0, links), 100000)]
    pool = [g for g in merged["growth"] if g.get("negative_pool") == 1000]
    assert len(pool) == 1 and pool[0]["time_ratio"] == pytest.approx(1.1)   # medians 2.0, 2.2
    (by_source,) = [g for g in merged["growth"] if g.get("queries_by") == "sources"]
    assert by_source["time_ratio"] == pytest.approx(1.05)
    text = "\n".join(bench_sparse_cost.render(merged))
    assert "| subgraphs, S = 1,000; queries by sources; negative pool K = 500 | 100,000 |" in text
    assert ("each target's queries the links of whole sources (`queries_by=sources`), with "
            "each target's uniform negatives from one shared pool of 500 nodes") in text
    assert "(`subgraph_nodes=1000`): the preset:" in text
    assert "| subgraphs, S = 1,000 (N <= S: whole windows); negative pool K = 1,000 (N <= K: " \
           "no pool) | 1,000 |" in text
    assert "| subgraphs, S = 1,000; negative pool K = 1,000 | 100,000 |" in text
    assert "shared pool of 1,000 nodes (`negative_pool=1000`):" in text


def _gpu_rows(seconds=(0.2, 0.26)) -> list:
    """GPU rows as ``--device cuda`` writes them (the synthetic sizes of COST, on a GPU)."""
    return [{**r, "subgraph_nodes": 1000, "device": "cuda", "clock": "wall",
             "gpu": "NVIDIA H100 80GB HBM3", "peak_cuda_mib": 900.0 + i,
             "train_seconds_per_epoch": [1.0, t], "commit": "gpu"}
            for i, (r, t) in enumerate(zip(COST["synthetic"], seconds))]


def test_gpu_rows_merge_apart_from_the_cpu_rows_and_render_their_own_table(monkeypatch):
    """Rows measured with ``--device cuda`` are kept under ``gpu`` (not over the CPU rows
    of the same series and N), grow on their own, survive a later CPU-only merge, and are
    rendered as their own table; without them the section says no GPU was measured."""
    monkeypatch.setattr(bench_sparse_cost, "preset_series", lambda: (1000, 0, "links"))
    assert "No GPU was available: no GPU epoch times were measured." in \
        "\n".join(bench_sparse_cost.render(COST))
    gpu = {"date": "2026-12-07", "commit": "gpu", "wall_seconds": 50.0,
           "settings": {**COST["settings"], "sizes": [], "twitter_topk": []},
           "synthetic": [], "growth": [], "twitter": [], "gpu": _gpu_rows(),
           "gpu_growth": bench_sparse_cost.growth(_gpu_rows())}
    merged = bench_sparse_cost.merge_cost(copy.deepcopy(COST), gpu)
    assert merged["synthetic"] == [{**r, "commit": "abc"} for r in COST["synthetic"]]
    assert merged["growth"] == COST["growth"]
    assert [r["num_nodes"] for r in merged["gpu"]] == [1000, 100000]
    (g,) = merged["gpu_growth"]
    assert g["time_ratio"] == pytest.approx(1.3)
    # a later CPU-only run replaces CPU rows and keeps the GPU's
    again = bench_sparse_cost.merge_cost(copy.deepcopy(merged), copy.deepcopy(COST))
    assert again["gpu"] == merged["gpu"] and again["gpu_growth"] == merged["gpu_growth"]
    text = "\n".join(bench_sparse_cost.render(again))
    assert "No GPU was available" not in text and "GPU epoch times: the next table." in text
    assert "#### Cost of the sparse model on the GPU" in text
    assert "`--device cuda` on NVIDIA H100 80GB HBM3 (model code `gpu`)" in text
    assert "| subgraphs, S = 1,000 | 100,000 | 1,000,000 | 2 | 1.00 / 0.26 | 0.065 | 5.00 | " \
           "901 | 6,144 | `gpu` |" in text
    assert "on the GPU, from E = 10,000 to 1,000,000 links per snapshot the time of an epoch " \
           "grows 1.30x" in text
    assert "- N = 100,000 on the GPU: 0.26 s per epoch (median after the first), 901 MiB" in text


def test_device_cuda_trains_with_the_flag_and_times_on_the_wall_clock(tmp_path, monkeypatch):
    """``synthetic_row(device='cuda')`` passes ``--device cuda`` to ``train``, times it on
    the wall clock (CPU time does not see the GPU) and records the peak CUDA memory."""
    calls = []

    def fake(args, *, rss_file, threads, code, cwd, env=None, clock="cpu"):
        args = list(map(str, args))
        calls.append((args, clock))
        if args[:2] == ["data", "synth"]:
            Path(args[args.index("--out") + 1]).write_text("t,src,dst,weight\n")
        if args[:2] == ["data", "inspect"]:
            return json.dumps({"num_nodes": 1000, "num_snapshots": 16,
                               "num_nonzero": 160000}), 1.0, 10.0, 1.0
        if args[0] == "train":
            run = Path(args[args.index("--out") + 1])
            run.mkdir()
            (run / "config.json").write_text(json.dumps({"train": {
                "subgraph_nodes": 1000, "max_links": 200, "negatives": 20}}))
            (run / "log.csv").write_text("epoch,train_seconds,val_seconds,peak_cuda_mb\n"
                                         "1,2.0,0.5,812.25\n2,0.5,0.5,820.5\n")
        return "", 1.0, 500.0, 1.0

    monkeypatch.setattr(bench_sparse_cost, "gcngan_process", fake)
    kw = dict(links_per_node=10, window=10, train_targets=4, epochs=2, threads=1, code=None)
    rec = bench_sparse_cost.synthetic_row(1000, tmp_path, device="cuda", **kw)
    (train, clock), = [(a, c) for a, c in calls if a[0] == "train"]
    assert train[-2:] == ["--device", "cuda"] and clock == "wall"
    assert rec["device"] == "cuda" and rec["clock"] == "wall"
    assert rec["peak_cuda_mib"] == 820.5 and rec["train_seconds_per_epoch"] == [2.0, 0.5]
    calls.clear()
    (tmp_path / "cpu").mkdir()
    cpu = bench_sparse_cost.synthetic_row(1000, tmp_path / "cpu", **kw)
    (train, clock), = [(a, c) for a, c in calls if a[0] == "train"]
    assert "--device" not in train and clock == bench_sparse_cost.CLOCK
    assert "device" not in cpu and "clock" not in cpu


def test_device_cuda_without_a_gpu_is_one_line_and_exit_2(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    assert bench_sparse_cost.main(["--device", "cuda", "--sizes", "1000",
                                   "--twitter-topk", ""]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--device cuda: no CUDA device is visible" in err
    with pytest.raises(bench_sparse_cost.NoDevice, match="expected cpu or cuda"):
        bench_sparse_cost.run_cost(device="tpu", sizes=(), twitter_topk=())
    with pytest.raises(SystemExit):                      # argparse: exit status 2
        bench_sparse_cost.main(["--commit", "abc", "--sizes", "", "--twitter-topk", ""])


def test_label_commit_names_the_working_tree_measured():
    report = {"commit": None, "synthetic": [{"num_nodes": 1}], "gpu": [{"num_nodes": 2}],
              "twitter": [{"num_nodes": 3, "commit": "kept"}]}
    out = bench_sparse_cost.label_commit(report, "sha")
    assert out["commit"] == "sha" and out["synthetic"][0]["commit"] == "sha"
    assert out["gpu"][0]["commit"] == "sha" and out["twitter"][0]["commit"] == "kept"
