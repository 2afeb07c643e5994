"""train.refit: refit.pt trained on every target; score and predict --steps read it past the
data, best.pt everywhere else."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gcngan.cli import main
from gcngan.config import build_config
from gcngan.train import load_checkpoint
from gcngan.train.refit import REFIT_NAME, FutureRouted, future_model_path, refit_config

SMALL = ["--set", "noise_dim=4", "--set", "gcn_channels=4,3", "--set", "lstm_hidden=8",
         "--set", "critic_hidden=8", "--set", "decoder_hidden=8", "--set", "max_links=20"]
START = 1_082_000_000


def _stream(path, days: int = 40, seed: int = 1) -> None:
    """A growing message stream: node ``k`` joins on day ``2 k`` and then messages nodes
    near it, so the last days hold nodes no early target saw."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(days):
        active = max(3, d // 2 + 2)
        for _ in range(8):
            a = int(rng.integers(0, active))
            b = (a + int(rng.integers(1, 3))) % active
            rows.append((START + d * 86_400 + int(rng.integers(0, 86_400)), a, b))
    rows.sort()
    rows[0] = (START, *rows[0][1:])
    path.write_text("timestamp,src,dst\n" + "".join(f"{s},{a},{b}\n" for s, a, b in rows))


@pytest.fixture(scope="module")
def refit_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("refit")
    data = root / "stream.csv"
    _stream(data)
    out = root / "run"
    assert main(["train", str(data), "--out", str(out), "--epochs", "2", "--quiet",
                 "--granularity", "1d", "--val", "4", "--test", "6", *SMALL]) == 0
    return data, out


def test_refit_config_makes_every_target_a_training_target():
    """The sparse preset refits; refit_config makes every target a training target."""
    cfg = refit_config(build_config("sparse"))
    assert (cfg.data.val, cfg.data.test, cfg.train.refit) == (0, 0, True)
    assert not build_config("dense").train.refit


def test_train_writes_a_refit_model_on_every_target(refit_run):
    """refit.pt is the run's model trained again on all 30 targets (20 training + 4
    validation + 6 test) for the epochs validation chose; best.pt is still the selected
    model that the metrics are of."""
    data, out = refit_run
    metrics = json.loads((out / "metrics.json").read_text())
    refit = metrics["refit"]
    assert refit["saved"] == REFIT_NAME and refit["epochs"] == metrics["best_epoch"]
    assert refit["targets"] == 40 - 10
    state = load_checkpoint(out / REFIT_NAME)
    assert (state["config"]["data"]["val"], state["config"]["data"]["test"]) == (0, 0)
    assert json.loads((out / "config.json").read_text())["data"]["test"] == 6
    assert future_model_path(out) == out / REFIT_NAME
    assert future_model_path(out / "best.pt") is None          # a file: used as it is
    best = load_checkpoint(out / "best.pt")["generator"]
    assert any(not np.array_equal(best[k].numpy(), v.numpy())
               for k, v in state["generator"].items())          # learned from more targets


def test_score_uses_the_refit_model_past_the_data_only(refit_run, tmp_path):
    """Rows inside the data are scored by best.pt (never trained on validation and test),
    rows past it by refit.pt: each as that checkpoint alone scores it."""
    data, out = refit_run
    inside = START + 35 * 86_400 + 5                                # test target 35
    past = START + 41 * 86_400                                      # t = 41 > T = 40
    rows = [(s, a, b) for s in (inside, past) for a, b in ((18, 19), (19, 0), (5, 6))]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("timestamp,src,dst\n" + "".join(f"{s},{a},{b}\n" for s, a, b in rows))
    got = {}
    for name, run in (("run", out), ("best", out / "best.pt"), ("refit", out / REFIT_NAME)):
        scores = tmp_path / f"{name}.csv"
        assert main(["score", str(run), "--pairs", str(pairs), "--out", str(scores)]) == 0
        got[name] = pd.read_csv(scores)
    inside_rows, past_rows = slice(0, 3), slice(3, 6)
    pd.testing.assert_frame_equal(got["run"][inside_rows], got["best"][inside_rows])
    pd.testing.assert_frame_equal(got["run"][past_rows], got["refit"][past_rows])
    assert not np.allclose(got["best"]["score"][past_rows], got["refit"]["score"][past_rows])


def test_predict_steps_forecasts_with_the_refit_model(refit_run, tmp_path):
    data, out = refit_run
    got = {}
    for name, run in (("run", out), ("refit", out / REFIT_NAME)):
        path = tmp_path / f"{name}.csv"
        assert main(["predict", str(run), "--steps", "2", "--scores", "--out",
                     str(path)]) == 0
        got[name] = pd.read_csv(path)
    pd.testing.assert_frame_equal(got["run"], got["refit"])


def test_force_removes_a_previous_runs_refit_model(refit_run, tmp_path):
    """A run started over without refit leaves no refit.pt of the run before (score would
    read it)."""
    import shutil

    data, out = refit_run
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    assert main(["train", str(data), "--out", str(copy), "--force", "--epochs", "1",
                 "--quiet", "--granularity", "1d", "--val", "4", "--test", "6",
                 "--set", "refit=false", *SMALL]) == 0
    assert not (copy / REFIT_NAME).exists()


class _Const:
    max_horizon, name = 0, "const"

    def __init__(self, value: float) -> None:
        self.value, self.prepared = value, []

    def prepare(self, seq, targets, window):
        self.prepared.append(sorted(targets))

    def score_pairs(self, seq, t, src, dst, window, horizon=0):
        return np.full(len(src), self.value), np.zeros(len(src))


def test_future_routed_sends_each_target_by_time():
    past, future = _Const(1.0), _Const(2.0)
    routed = FutureRouted(past, future, first_future=10)
    routed.prepare(None, [9, 10, 3, 12], window=3)
    assert (past.prepared, future.prepared) == ([[3, 9]], [[10, 12]])
    assert routed.score_pairs(None, 9, [0], [1], 3)[0].tolist() == [1.0]
    assert routed.score_pairs(None, 10, [0], [1], 3, horizon=2)[0].tolist() == [2.0]
    assert (routed.name, routed.max_horizon) == ("const", 0)


def test_a_stopped_refit_leaves_the_run_and_resume_refits(tmp_path, monkeypatch):
    """A stop during the refit: exit 130, best.pt and metrics.json as a run without refit,
    no refit.pt; ``--resume`` (the run is complete) does the refit."""
    import gcngan.train.refit as refit_module
    from gcngan.train import TrainingInterrupted

    data, out = tmp_path / "stream.csv", tmp_path / "run"
    _stream(data)
    flags = ["--out", str(out), "--epochs", "1", "--quiet", "--granularity", "1d", "--val",
             "4", "--test", "6", *SMALL]

    def stopped(trainer, epochs):
        trainer.stop_signal = None
        raise TrainingInterrupted("stopped")

    with monkeypatch.context() as m:
        m.setattr(refit_module, "run_refit", stopped)
        assert main(["train", str(data), *flags]) == 130
    assert (out / "best.pt").is_file() and not (out / REFIT_NAME).exists()
    assert json.loads((out / "metrics.json").read_text())["refit"]["skipped"] == "stopped"
    assert main(["train", str(data), *flags, "--resume"]) == 0
    assert (out / REFIT_NAME).is_file()
    assert json.loads((out / "metrics.json").read_text())["refit"]["saved"] == REFIT_NAME


def test_the_dense_family_refuses_a_refit(tmp_path):
    """The dense model's selection sets its residual hedge on validation, which a refit
    without validation would lose: refused in one line before anything is written."""
    out = tmp_path / "run"
    mesh = Path(__file__).resolve().parents[2] / "datasets" / "synthetic_mesh.csv"
    assert main(["train", str(mesh), "--preset", "dense", "--epochs", "1", "--out", str(out),
                 "--set", "refit=true", "--quiet"]) == 2
    assert not out.exists()


def test_refit_trainer_refuses_the_dense_family():
    """Through the Python API too: the refit's config says it is one."""
    from gcngan.data import load_snapshots
    from gcngan.errors import ConfigError
    from gcngan.train.refit import refit_trainer

    mesh = Path(__file__).resolve().parents[2] / "datasets" / "synthetic_mesh.csv"
    cfg = build_config("dense")
    with pytest.raises(ConfigError, match="train.refit applies to the sparse family"):
        refit_trainer(cfg, load_snapshots(mesh, cfg.data))
