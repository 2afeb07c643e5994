"""Hostile and broken checkpoints through ``predict``, ``evaluate`` and ``train --resume``, and
predictions that never hold NaN/inf or negative weights.

A hostile checkpoint is a real run's checkpoint with one extra entry whose unpickling would
run code (``os.system`` / ``open`` creating a marker file). ``torch.load(weights_only=True)``
refuses it before any code runs: each command exits 2 with one line, the marker never exists.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from gcngan.cli import main
from gcngan.errors import InputError
from gcngan.predict import predict_split, refine, write_predictions
from gcngan.train import load_checkpoint

FLAGS = ["--preset", "paper", "--device", "cpu", "--batch-size", "4", "--quiet",
         "--window", "3", "--val", "3", "--test", "4", "--epochs", "1",
         "--set", "noise_dim=4", "--set", "gcn_channels=4,3", "--set", "lstm_hidden=16",
         "--set", "critic_hidden=12,6"]


@pytest.fixture(scope="module")
def run_once(tmp_path_factory, graph_csv_writer):
    root = tmp_path_factory.mktemp("safety")
    data = graph_csv_writer(root / "tiny.csv")
    run = root / "run"
    assert main(["train", str(data), "--out", str(run), *FLAGS]) == 0
    return data, run


@pytest.fixture
def run(tmp_path, run_once):
    """``(data, copy of the run directory)``."""
    data, run = run_once
    return data, Path(shutil.copytree(run, tmp_path / "run"))


class SystemCall:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class OpenCall:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    lines = [ln for ln in err.splitlines() if ln.startswith("gcngan: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("payload", [SystemCall, OpenCall])
def test_malicious_checkpoint_refused_everywhere_and_runs_nothing(run, tmp_path, capsys,
                                                                  payload):
    data, run_dir = run
    marker = tmp_path / "pwned"
    for name in ("best.pt", "last.pt"):
        state = torch.load(run_dir / name, weights_only=True)
        state["extra"] = payload(marker)
        torch.save(state, run_dir / name)               # pickling does not call it
    assert not marker.exists()
    capsys.readouterr()
    commands = [
        ["predict", str(run_dir), "--data", str(data), "--out", str(tmp_path / "p.csv")],
        ["predict", str(run_dir / "last.pt"), "--data", str(data), "--out",
         str(tmp_path / "p.csv")],
        ["evaluate", str(run_dir), "--data", str(data)],
        ["train", str(data), "--out", str(run_dir), "--resume"],
    ]
    for argv in commands:
        assert main(argv) == 2, argv
        err = one_line(capsys)
        assert "unsafe" in err and "nothing was run" in err, err
        assert not marker.exists(), argv
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("damage", ["truncated", "empty", "zip-garbage", "missing-key",
                                    "missing-data-key", "nan-weights"])
def test_broken_checkpoint_is_one_line_exit_2(run, tmp_path, capsys, damage):
    data, run_dir = run
    best = run_dir / "best.pt"
    if damage == "truncated":
        best.write_bytes(best.read_bytes()[:1000])
    elif damage == "empty":
        best.write_bytes(b"")
    elif damage == "zip-garbage":
        raw = bytearray(best.read_bytes())
        raw[len(raw) // 2: len(raw) // 2 + 64] = os.urandom(64)
        best.write_bytes(bytes(raw))
    else:
        state = load_checkpoint(best)
        if damage == "missing-key":
            del state["config"]
        elif damage == "missing-data-key":
            del state["data"]["node_ids"]
        else:
            state["generator"] = {k: torch.full_like(v, float("nan")) if v.is_floating_point()
                                  else v for k, v in state["generator"].items()}
        torch.save(state, best)
    capsys.readouterr()
    for argv in (["predict", str(run_dir), "--data", str(data), "--out", str(tmp_path / "p.csv")],
                 ["evaluate", str(run_dir), "--data", str(data)]):
        rc = main(argv)
        err = one_line(capsys)
        assert rc == 2 and (str(best) in err or "checkpoint" in err), err
    assert not (tmp_path / "p.csv").exists()


def test_checkpoint_from_other_data_is_one_line_exit_2(run, tmp_path, capsys, graph_csv_writer):
    _, run_dir = run
    capsys.readouterr()
    cases = {"trained on 6 nodes, the data has 7": graph_csv_writer(tmp_path / "n7.csv", n=7),
             "node ids differ": graph_csv_writer(tmp_path / "m.csv", prefix="m"),
             "differ from the training data": graph_csv_writer(tmp_path / "s.csv", seed=1)}
    for fragment, other in cases.items():
        for argv in (["predict", str(run_dir), "--data", str(other), "--out",
                      str(tmp_path / "p.csv")],
                     ["evaluate", str(run_dir), "--data", str(other)]):
            assert main(argv) == 2
            assert fragment in one_line(capsys)


# ----- predictions are finite and non-negative ------------------------------------------------
class Wild(torch.nn.Module):
    """A predictor gone wrong: NaN, +-inf, negatives and huge values."""

    def predict(self, adj_seq, samples=1, generator=None):
        b, _, n, _ = adj_seq.shape
        vals = torch.tensor([float("nan"), float("inf"), -float("inf"), -3.0, 1e30, 0.5])
        return vals.repeat(b * n * n // len(vals) + 1)[: b * n * n].view(b, n, n)


def test_predictions_never_hold_nan_inf_or_negative_weights(tmp_path):
    from gcngan.data import Scaler, SnapshotSequence

    adj = torch.rand(8, 4, 4) * 10
    seq = SnapshotSequence(adj=adj, node_ids=list(range(4)), directed=True,
                           scaler=Scaler("log1p", 10.0))
    pred, _ = predict_split(Wild(), seq, [5, 6, 7], 3, epsilon=0.01)
    assert torch.isfinite(pred).all() and (pred >= 0).all()
    assert torch.isfinite(refine(torch.tensor([[float("nan"), -1.0], [float("inf"), 2.0]]))).all()
    path = tmp_path / "p.csv"
    write_predictions(path, pred, [5, 6, 7], seq.node_ids)
    df = pd.read_csv(path)
    assert np.isfinite(df.weight).all() and (df.weight > 0).all()
    bad = pred.clone()
    bad[0, 0, 1] = float("nan")
    with pytest.raises(InputError, match="NaN/inf or negative"):
        write_predictions(tmp_path / "q.csv", bad, [5, 6, 7], seq.node_ids)
    bad[0, 0, 1] = -1.0
    with pytest.raises(InputError, match="NaN/inf or negative"):
        write_predictions(tmp_path / "q.csv", bad, [5, 6, 7], seq.node_ids)
    assert not (tmp_path / "q.csv").exists()


def test_cli_predictions_are_finite_and_non_negative(run, tmp_path):
    data, run_dir = run
    for extra in ([], ["--steps", "3"]):
        out = tmp_path / f"p{len(extra)}.csv"
        assert main(["predict", str(run_dir), "--data", str(data), "--out", str(out),
                     *extra]) == 0
        df = pd.read_csv(out)
        assert np.isfinite(df.weight).all() and (df.weight > 0).all()
