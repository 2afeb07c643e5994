"""Self-loops: ingestion and prediction agree on the diagonal.

Data that keeps large self-loops (``--self-loops keep``, the default) is predicted and
scored on its diagonal by every predictor; data without them (none in the file, or
``--self-loops drop``) has a zero diagonal on both sides. Before this rule, ``refine``
zeroed the predicted diagonal of every predictor, so on self-loop-heavy data every
predictor's RMSE was the same number, the size of the diagonal.
"""
import numpy as np
import pandas as pd
import pytest
import torch

from gcngan.baselines import get_baseline
from gcngan.config import DataConfig, ModelConfig
from gcngan.data import load_snapshots
from gcngan.metrics import evaluate_predictions
from gcngan.nn import build_generator
from gcngan.predict import (evaluate_split, forecast, keeps_self_loops, predict_split, refine,
                            self_loop_entries)

N, T, W = 8, 60, 5
TARGETS = list(range(40, T))
BASELINES = ("copy-last", "mean", "median", "ewma")


def loop_heavy_csv(path, n=N, t=T, seed=0):
    """A directed long CSV: off-diagonal weights 1-50, persistent with noise; every node has
    a self-loop of about 1e4 (movement within a region) that drifts slowly."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(1, 50, (n, n)) * (rng.random((n, n)) < 0.5)
    loops = rng.uniform(5e3, 2e4, n)
    rows = []
    for k in range(t):
        adj = base * rng.lognormal(0.0, 0.3, (n, n)) * (rng.random((n, n)) < 0.9)
        np.fill_diagonal(adj, loops * (1 + 0.002 * k) * rng.lognormal(0.0, 0.01, n))
        src, dst = np.nonzero(adj)
        rows.append(pd.DataFrame({"t": k, "src": src, "dst": dst,
                                  "weight": np.round(adj[src, dst], 3)}))
    pd.concat(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def loop_csv(tmp_path_factory):
    return loop_heavy_csv(tmp_path_factory.mktemp("loops") / "loops.csv")


def rmse(predictor, seq):
    return evaluate_split(predictor, seq, TARGETS, W, epsilon=0.01,
                          metrics=["rmse"])["rmse"]["mean"]


def test_refine_keeps_the_diagonal_only_when_asked():
    p = torch.tensor([[[5.0, 0.004], [2.0, -1.0]], [[float("nan"), 3.0], [1.0, 7.0]]])
    kept = refine(p, 0.01, True, self_loops=True)
    assert kept.diagonal(dim1=1, dim2=2).tolist() == [[5.0, 0.0], [0.0, 7.0]]
    assert refine(p, 0.01, True).diagonal(dim1=1, dim2=2).abs().sum() == 0
    off = ~torch.eye(2, dtype=torch.bool)
    assert torch.equal(kept[:, off], refine(p, 0.01, True)[:, off])   # off-diagonal unchanged


def test_ingestion_setting_decides(loop_csv):
    keep = load_snapshots(loop_csv, DataConfig())
    drop = load_snapshots(loop_csv, DataConfig(self_loops="drop"))
    assert self_loop_entries(keep) == N * T and keeps_self_loops(keep)
    assert self_loop_entries(drop) == 0 and not keeps_self_loops(drop)


def test_every_predictor_predicts_and_is_scored_on_kept_self_loops(loop_csv):
    seq = load_snapshots(loop_csv, DataConfig())
    old, new = {}, {}
    for name in BASELINES:
        pred, target = predict_split(get_baseline(name), seq, TARGETS, W, epsilon=0.01)
        assert (pred.diagonal(dim1=1, dim2=2) > 1000).all()      # the diagonal is predicted
        new[name] = rmse(get_baseline(name), seq)
        assert new[name] == pytest.approx(
            evaluate_predictions(pred, target, ["rmse"])["rmse"]["mean"])
        zeroed = pred.clone()                                     # the old rule: diagonal 0
        zeroed.diagonal(dim1=1, dim2=2).zero_()
        old[name] = evaluate_predictions(zeroed, target, ["rmse"])["rmse"]["mean"]
    # the old rule: one number for every predictor, the size of the diagonal
    assert max(old.values()) / min(old.values()) < 1.01
    assert min(old.values()) > 2000
    # the new rule: predictors that get the diagonal right score far better, and differ
    assert all(new[k] < old[k] / 5 for k in BASELINES)
    assert max(new.values()) / min(new.values()) > 1.2


def test_dropped_self_loops_are_zero_on_both_sides(loop_csv):
    seq = load_snapshots(loop_csv, DataConfig(self_loops="drop"))
    scores = {}
    for name in BASELINES:
        pred, target = predict_split(get_baseline(name), seq, TARGETS, W, epsilon=0.01)
        assert pred.diagonal(dim1=1, dim2=2).abs().sum() == 0
        assert target.diagonal(dim1=1, dim2=2).abs().sum() == 0
        scores[name] = rmse(get_baseline(name), seq)
    assert max(scores.values()) < 50 and len(set(scores.values())) == len(BASELINES)


def test_the_model_and_forecasts_follow_the_same_rule(loop_csv):
    keep = load_snapshots(loop_csv, DataConfig())
    drop = load_snapshots(loop_csv, DataConfig(self_loops="drop"))
    torch.manual_seed(0)
    cfg = ModelConfig(gcn_channels=[4], lstm_hidden=8, noise_dim=4, dropout=0.0)
    gen = build_generator(cfg, N).eval()
    for seq, kept in ((keep, True), (drop, False)):
        pred, _ = predict_split(gen, seq, TARGETS[:3], W, epsilon=0.0)
        assert bool((pred.diagonal(dim1=1, dim2=2) > 0).any()) is kept
        out = forecast(get_baseline("copy-last"), seq.scaled(), 2, W, scaler=seq.scaler,
                       directed=seq.directed, self_loops=keeps_self_loops(seq))
        torch.testing.assert_close(out[0].diagonal(), seq.adj[-1].diagonal())


def test_data_inspect_reports_self_loops_and_the_setting(loop_csv, tiny_csv, capsys):
    import json

    from gcngan.cli import main

    assert main(["data", "inspect", str(loop_csv), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)["self_loops"]
    assert (s["setting"], s["entries"]) == ("keep", N * T) and 0.9 < s["weight_share"] < 1
    assert main(["data", "inspect", str(loop_csv)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("self-loops"))
    assert line.startswith(f"self-loops  {N * T} diagonal entries, ") and \
        "kept (--self-loops keep), so every predictor predicts and is scored on them" in line
    assert main(["data", "inspect", str(loop_csv), "--self-loops", "drop"]) == 0
    assert "self-loops  dropped (--self-loops drop): the diagonal is zero" in \
        capsys.readouterr().out
    assert main(["data", "inspect", str(tiny_csv)]) == 0
    assert "self-loops  none" in capsys.readouterr().out.splitlines()
