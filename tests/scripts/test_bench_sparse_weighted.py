"""Issue 15's weighted-data target in the split protocol: the ``sparse`` method of
:data:`bench.METHODS` trains the sparse preset, selects by validation MRR and is scored on
all ``N x N`` pairs of the test targets with the same five weighted metrics as the dense
methods (:func:`gcngan.predict.evaluate_sparse_split`); its row sits in the dataset's table."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

import bench as bm
from gcngan.data import generate_mesh, load_snapshots, write_edges
from gcngan.errors import ConfigError


@pytest.fixture
def tiny_root(tmp_path, monkeypatch):
    """An 8-node, 20-snapshot synthetic mesh registered as benchmark dataset ``tiny``."""
    seq = generate_mesh(num_nodes=8, num_snapshots=20, seed=0)
    write_edges(tmp_path / "tiny.csv", seq.adj)
    monkeypatch.setitem(bm.DATASETS, "tiny",
                        bm.DatasetCase("tiny", "tiny.csv", {"window": 3, "val": 2, "test": 3},
                                       criterion=True))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield tmp_path
    torch.set_num_threads(threads)


def test_sparse_method_is_registered_with_its_cost_caps():
    m = bm.METHODS["sparse"]
    cfg = m.config()
    assert m.trained and m.preset == "sparse" and cfg.model.family == "sparse"
    assert cfg.train.max_targets == 200 and cfg.train.epochs == 5
    # the description states what ran: the caps and the selection
    assert "200 most recent training targets" in m.description
    assert "5 epochs" in m.description and "validation MRR" in m.description


def test_sparse_record_has_the_weighted_metrics_of_all_pairs(tiny_root):
    from gcngan.config import merge_dict
    from gcngan.predict import evaluate_sparse_split
    from gcngan.train import Trainer

    profile = replace(bm.PROFILES["quick"], datasets=("tiny",), methods=("median", "sparse"),
                      seeds=(0,), max_epochs=1)
    records = bm.run_split(profile, root=tiny_root)
    assert [(r["method"], r["seed"]) for r in records] == [("median", None), ("sparse", 0)]
    rec = records[1]
    assert set(rec["metrics"]) == set(bm.CRITERION_METRICS)
    assert all(math.isfinite(v) for v in rec["metrics"].values())
    assert 0.0 < rec["val_mrr"] <= 1.0 and "val_rmse" not in rec
    assert rec["train"]["epochs"] == 1 and rec["train"]["windows_per_s"] > 0
    assert rec["train"]["train_windows"] == 12           # targets 3..14 (max_targets keeps all)

    # the same numbers as training the same config and scoring all pairs of the test split
    case = bm.DATASETS["tiny"]
    cfg = bm.run_config(bm.METHODS["sparse"], case, 0, max_epochs=1)
    seq = load_snapshots(tiny_root / "tiny.csv", cfg.data)
    trainer = Trainer(merge_dict(cfg, {}), seq, run_dir=None, quiet=True)
    trainer.fit()
    bm.restore_best(trainer)
    want = evaluate_sparse_split(trainer.generator, seq, [17, 18, 19], 3,
                                 epsilon=cfg.train.epsilon, metrics=list(bm.CRITERION_METRICS),
                                 samples=cfg.train.eval_samples, seed=0)
    assert rec["metrics"] == pytest.approx({k: v["mean"] for k, v in want.items()})

    # its row in the dataset's table, the selection stated, the dense model's verdict unchanged
    doc = {"generated": "2026-01-01T00:00:00", "command": "c", "profile": "quick",
           "environment": bm.environment("cpu"),
           "protocol": {"datasets": {"tiny": {"name": "tiny", "data": case.data}},
                        "methods": {m: {"description": bm.METHODS[m].description,
                                        "baseline": bm.METHODS[m].baseline,
                                        "preset": bm.METHODS[m].preset,
                                        "overrides": list(bm.METHODS[m].overrides)}
                                    for m in ("median", "sparse")},
                        "seeds": [0], "max_epochs": 1},
           "split": records}
    text = bm.render_markdown(doc)
    assert "| sparse |" in text and "`sparse` `train.max_targets=200` `train.epochs=5`" in text
    assert "Sparse-family methods (sparse) select their epoch by validation MRR" in text
    assert "wins of dense vs each baseline" not in text            # no dense: no verdict
    assert "sparse model beside the dense model" not in text

    # beside a (hand-made) dense run: sparse / dense per metric and the metrics it wins
    worse = {k: v + 1.0 for k, v in rec["metrics"].items()}
    worse["rmse"] = rec["metrics"]["rmse"] / 2
    doc["split"] = records + [{**rec, "method": "dense", "metrics": worse}]
    text = bm.render_markdown(doc)
    section = text.split("## The sparse model beside the dense model on weighted data")[1]
    line = next(x for x in section.splitlines() if x.startswith("| tiny |"))
    assert "| RMSE 2.000, MAE " in line and line.endswith("| 4/5 |")


def test_online_protocol_refuses_the_sparse_method_before_any_work(tmp_path):
    with pytest.raises(ConfigError, match="method 'sparse' is a sparse-family model"):
        bm.run_online(bm.OnlineSettings(methods=("dense", "sparse")), root=tmp_path)
