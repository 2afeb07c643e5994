"""The sparse family's user-facing parts (issue 15): ``gcngan predict`` writes an edge list
``t,src,dst,weight`` (original ids, raw weights, no zeros; --steps autoregressive;
--scores ranked), ``gcngan evaluate`` scores small graphs on the weighted protocol by
predicting all pairs (the same links as predict), large ones are refused with one line,
bad input is one line with exit 2 and nothing written, ``train`` says its path once and
warns about too few training targets, SIGINT saves ``last.pt`` and exits 130.

The runs are built with the Trainer and saved untrained (a checkpoint in the run format, as
``train`` writes it; the pair decoder's start already ranks), so the tests stay fast.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from gcngan.cli import main
from gcngan.data.synthetic import generate_social

SMALL = ["max_links=40", "negatives=6", "val_queries=40", "val_q=20", "gcn_channels=8,8",
         "lstm_hidden=8", "noise_dim=8", "decoder_hidden=16", "critic_hidden=16"]
REPO = Path(__file__).resolve().parents[2]


def _save_run(csv: Path, run: Path, test: int) -> Path:
    from gcngan.config import build_config
    from gcngan.data import load_snapshots
    from gcngan.train import Trainer

    cfg = build_config("sparse", overrides=SMALL, data={"window": 3, "val": 2, "test": test},
                       train={"epochs": 1, "device": "cpu"})
    trainer = Trainer(cfg, load_snapshots(str(csv), cfg.data), run_dir=run, quiet=True)
    run.mkdir(parents=True, exist_ok=True)
    trainer.save("last.pt")
    trainer.save("best.pt")
    return run


@pytest.fixture(scope="module")
def social(tmp_path_factory):
    """Directed, string node ids (u0 .. u39), 10 snapshots; a sparse run on it."""
    root = tmp_path_factory.mktemp("sparse_social")
    df = generate_social(num_nodes=40, num_snapshots=10, links_per_node=3, seed=0)
    df["src"], df["dst"] = "u" + df["src"].astype(str), "u" + df["dst"].astype(str)
    csv = root / "social.csv"
    df.to_csv(csv, index=False)
    return csv, _save_run(csv, root / "run", test=2)


@pytest.fixture(scope="module")
def mesh(tmp_path_factory):
    """Undirected and weighted: the first 15 snapshots of datasets/synthetic_mesh.csv."""
    root = tmp_path_factory.mktemp("sparse_mesh")
    df = pd.read_csv(REPO / "datasets" / "synthetic_mesh.csv")
    csv = root / "mesh15.csv"
    df[df["t"] < 15].to_csv(csv, index=False)
    return csv, _save_run(csv, root / "run", test=3)


def _one_line_error(err: str) -> None:
    assert err.startswith("gcngan: error: ") and err.strip().count("\n") == 0, err
    assert "Traceback" not in err


def test_predict_writes_the_split_as_an_edge_list(social, tmp_path, capsys):
    from gcngan.predict import load_sparse_run, predict_sparse

    csv, run = social
    out = tmp_path / "pred.csv"
    assert main(["predict", str(run), "--data", str(csv), "--out", str(out)]) == 0
    msg = capsys.readouterr().out
    pred = pd.read_csv(out, dtype=str)
    assert list(pred.columns) == ["t", "src", "dst", "weight"]
    assert set(pred["t"].astype(int)) <= {8, 9} and len(pred) > 0
    assert pred["src"].str.startswith("u").all() and pred["dst"].str.startswith("u").all()
    assert (pred["src"] != pred["dst"]).all() and (pred["weight"].astype(float) > 0).all()
    assert f"wrote {len(pred)} links of 2 test snapshots" in msg
    # the Python API gives the same rows
    generator, config, seq = load_sparse_run(run, csv)
    api = predict_sparse(generator, seq, config.data.window, targets=[8, 9],
                         epsilon=config.train.epsilon, samples=config.train.eval_samples,
                         seed=config.train.seed)
    assert api.astype(str).values.tolist() == pred.values.tolist()

    # --scores: every candidate, ranked; a link exactly where the probability passes 0.5
    ranked = tmp_path / "ranked.csv"
    assert main(["predict", str(run), "--data", str(csv), "--out", str(ranked),
                 "--scores"]) == 0
    r = pd.read_csv(ranked)
    assert list(r.columns) == ["t", "src", "dst", "weight", "score"]
    assert len(r) == 2 * 40 * 39                           # N*N small: all pairs scored
    linked = r["weight"] > 0
    assert (r.loc[linked, "score"] > 0.5).all() and (r.loc[~linked, "score"] <= 0.5).all()
    assert linked.sum() == len(pred) and (~linked).any()


def test_steps_forecast_past_the_end(social, tmp_path, capsys):
    csv, run = social
    out = tmp_path / "f.csv"
    assert main(["predict", str(run), "--data", str(csv), "--out", str(out), "--steps", "3",
                 "--two-hop", "2"]) == 0
    assert "of 3 forecast snapshots" in capsys.readouterr().out
    f = pd.read_csv(out)
    assert set(f["t"]) <= {10, 11, 12} and 10 in set(f["t"])


def test_evaluate_weighted_protocol_matches_predict(mesh, tmp_path, capsys):
    """A small graph: the dense protocol's five weighted metrics (and AUC/AP) for the sparse
    run, computed from the very links ``predict`` writes."""
    from gcngan.metrics import evaluate_predictions
    from gcngan.predict import load_sparse_run

    csv, run = mesh
    assert main(["evaluate", str(run), "--data", str(csv), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    model = res["model"]
    for name in ("rmse", "mae", "kl", "mlsd", "mismatch_rate", "auc", "ap"):
        assert np.isfinite(model[name]["mean"]), name
    assert set(res["baselines"]) == {"copy-last", "mean", "median", "ewma"}

    out = tmp_path / "pm.csv"
    assert main(["predict", str(run), "--data", str(csv), "--out", str(out)]) == 0
    pred = pd.read_csv(out)
    _, _, seq = load_sparse_run(run, csv)
    targets = [12, 13, 14]
    dense = torch.zeros(3, seq.num_nodes, seq.num_nodes)
    pos = {str(i): k for k, i in enumerate(seq.node_ids)}
    for r in pred.itertuples():
        dense[targets.index(r.t), pos[str(r.src)], pos[str(r.dst)]] = r.weight
    assert torch.equal(dense, dense.transpose(1, 2))                  # undirected: symmetric
    again = evaluate_predictions(dense, seq.adj[targets], ["rmse", "mae", "mismatch_rate"])
    for name in ("rmse", "mae", "mismatch_rate"):
        assert again[name]["mean"] == pytest.approx(model[name]["mean"], rel=1e-5)


def test_evaluate_refuses_the_dense_view_of_a_large_graph(mesh, monkeypatch, capsys):
    import gcngan.candidates

    csv, run = mesh
    monkeypatch.setattr(gcngan.candidates, "ALL_PAIRS_LIMIT", 100)     # as if N were large
    assert main(["evaluate", str(run), "--data", str(csv)]) == 2
    err = capsys.readouterr().err
    _one_line_error(err)
    assert "--protocol ranking" in err and "N=24" in err


def test_bad_input_is_one_line_exit_2_and_nothing_written(social, mesh, tmp_path, capsys):
    csv, run = social
    mesh_csv, _ = mesh
    out = tmp_path / "pred.csv"
    out.write_text("previous\n")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("t,src,dst\n8,u1,u2\n8,u1,nobody\n")
    scores = tmp_path / "scores.csv"
    cases = {
        "--steps 0": ["predict", str(run), "--data", str(csv), "--out", str(out),
                      "--steps", "0"],
        "--two-hop -1": ["predict", str(run), "--data", str(csv), "--out", str(out),
                         "--two-hop", "-1"],
        "not the data": ["predict", str(run), "--data", str(mesh_csv), "--out", str(out)],
        "nobody": ["score", str(run), "--data", str(csv), "--pairs", str(pairs), "--out",
                   str(scores), "--strict"],
        "evaluate, not the data": ["evaluate", str(run), "--data", str(mesh_csv)],
    }
    for what, argv in cases.items():
        capsys.readouterr()
        assert main(argv) == 2, what
        err = capsys.readouterr().err
        _one_line_error(err)
        assert what.split(",")[0] in err or what.startswith(("not", "evaluate")), (what, err)
    assert out.read_text() == "previous\n" and not scores.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairs.csv", "pred.csv"]  # no temp


def test_train_says_its_path_once_and_warns_of_few_training_targets(tmp_path, capsys,
                                                                     monkeypatch):
    """On a terminal (progress bar, no INFO epoch lines) too: the path is printed once."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    df = generate_social(num_nodes=30, num_snapshots=9, links_per_node=2, seed=3)
    csv = tmp_path / "g.csv"
    df.to_csv(csv, index=False)
    argv = ["train", str(csv), "--out", str(tmp_path / "r"), "--preset", "sparse",
            "--device", "cpu", "--epochs", "1", "--window", "3", "--val", "2", "--test", "3",
            *[x for o in SMALL for x in ("--set", o)]]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert err.count("training the sparse GCN-GAN") == 1
    assert "epoch 1:" not in err                          # no INFO lines: printed by the CLI
    warn = [line for line in err.splitlines() if "training target" in line]
    assert len(warn) == 1 and "1 training target" in warn[0]
    assert "--val" in warn[0] and "--test" in warn[0] and "--window" in warn[0]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_during_sparse_training_saves_last_pt_and_exits_130(social, tmp_path):
    from gcngan.train import load_checkpoint

    csv, _ = social
    run = tmp_path / "run"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gcngan", "train", str(csv), "--out", str(run), "--preset",
         "sparse", "--device", "cpu", "--quiet", "--epochs", "1000", "--window", "3",
         "--val", "2", "--test", "2", "--set", "patience=1000",
         *[x for o in SMALL for x in ("--set", o)]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    log = run / "log.csv"
    while not (log.exists() and len(log.read_text().splitlines()) > 1):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"training did not log an epoch: {proc.communicate()[1][-2000:]}")
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "stopped at a safe point" in err and "--resume" in err and "Traceback" not in err
    assert load_checkpoint(run / "last.pt")["epoch"] >= 1
