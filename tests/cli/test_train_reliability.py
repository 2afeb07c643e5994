"""``gcngan train`` under stress: real signals to a real subprocess, ``--resume`` (and what it
refuses), ``kill -9``, NaN/inf, CUDA out-of-memory, and a memory budget that is too small.

The subprocess runs ``python -m gcngan train`` with ``--epochs 1000``; the test waits until
``log.csv`` has a row (training has started, ``last.pt`` exists), sends the signal, and then
resumes with ``--epochs 4`` (a training-length field may change on resume). On CPU with a
fixed seed the resumed run must end exactly where an uninterrupted 4-epoch run ends.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from gcngan.cli import main
from gcngan.train import Trainer, load_checkpoint

FLAGS = ["--preset", "paper", "--device", "cpu", "--batch-size", "2", "--quiet",
         "--window", "3", "--val", "3", "--test", "4",
         "--set", "noise_dim=4", "--set", "gcn_channels=4,3", "--set", "lstm_hidden=16",
         "--set", "critic_hidden=12,6", "--set", "patience=100"]
TIMING = {"windows_per_s", "train_seconds", "val_seconds"}


@pytest.fixture(scope="module")
def data(string_id_graph_csv) -> Path:
    """6 nodes (string ids), 20 snapshots, undirected, as a long CSV."""
    return string_id_graph_csv


def start_training(data: Path, run: Path) -> subprocess.Popen:
    """A real ``gcngan train`` process, long enough to be interrupted."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "gcngan", "train", str(data), "--out",
                             str(run), "--epochs", "1000", *FLAGS],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for_epochs(proc: subprocess.Popen, run: Path, rows: int, timeout: float = 90.0) -> None:
    """Block until ``log.csv`` (rewritten atomically after ``last.pt``) has ``rows`` rows."""
    deadline = time.monotonic() + timeout
    log = run / "log.csv"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"training ended early (rc {proc.returncode}): {err[-2000:]}")
        if log.exists() and len(log.read_text().splitlines()) > rows:
            return
        time.sleep(0.01)
    proc.kill()
    pytest.fail("training did not reach the expected epoch in time")


def log_rows(run: Path) -> list[dict]:
    with open(run / "log.csv", newline="") as fh:
        return [{k: v for k, v in r.items() if k not in TIMING} for r in csv.DictReader(fh)]


def metrics(run: Path) -> dict:
    m = json.loads((run / "metrics.json").read_text())
    m.pop("windows_per_s")
    return m


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


# ----- signals -----------------------------------------------------------------------------
def interrupt_after_first_epoch(data: Path, run: Path, sig: int) -> tuple[int, str]:
    """Start ``gcngan train`` in a subprocess, send ``sig`` once an epoch is logged; returns
    its exit status and stderr."""
    proc = start_training(data, run)
    wait_for_epochs(proc, run, rows=1)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def test_sigint_then_resume_equals_uninterrupted_run(tmp_path, data, capsys):
    ref = tmp_path / "ref"
    assert main(["train", str(data), "--out", str(ref), "--epochs", "4", *FLAGS]) == 0

    run = tmp_path / "run"
    returncode, err = interrupt_after_first_epoch(data, run, signal.SIGINT)
    assert returncode == 130, err
    assert "stopped at a safe point" in err and "Traceback" not in err
    assert f"resume with: gcngan train {data} --out {run} --resume" in err
    state = load_checkpoint(run / "last.pt")
    assert 1 <= state["epoch"] < 4

    capsys.readouterr()
    assert main(["train", str(data), "--out", str(run), "--resume", "--epochs", "4"]) == 0
    assert metrics(run) == metrics(ref)
    assert log_rows(run) == log_rows(ref)
    for name in ("last.pt", "best.pt"):
        a, b = load_checkpoint(ref / name), load_checkpoint(run / name)
        assert_same_weights(a["generator"], b["generator"])
        assert_same_weights(a["critic"], b["critic"])
        assert (a["epoch"], a["step"]) == (b["epoch"], b["step"])
    assert json.loads((run / "config.json").read_text())["train"]["epochs"] == 4


def test_sigterm_exits_143_with_last_checkpoint(tmp_path, data):
    run = tmp_path / "run"
    returncode, err = interrupt_after_first_epoch(data, run, signal.SIGTERM)
    assert returncode == 143, err
    assert "--resume" in err and "Traceback" not in err
    state = load_checkpoint(run / "last.pt")
    assert state["epoch"] >= 1 and state["opt_g"] is not None


def test_kill_9_leaves_the_previous_checkpoint_intact(tmp_path, data):
    run = tmp_path / "run"
    proc = start_training(data, run)
    wait_for_epochs(proc, run, rows=2)            # last.pt has been replaced at least once
    proc.send_signal(signal.SIGKILL)              # at any moment, maybe mid-save
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    state = load_checkpoint(run / "last.pt")      # loads: complete, not half-written
    assert state["epoch"] >= 2 and state["opt_g"] is not None
    assert all(torch.isfinite(v).all() for v in state["generator"].values())
    assert load_checkpoint(run / "best.pt")["epoch"] >= 1
    assert {p.name for p in run.iterdir() if not p.name.startswith(".")} >= {
        "config.json", "last.pt", "best.pt", "log.csv"}


# ----- run directories and --resume refusals ---------------------------------------------------
@pytest.fixture(scope="module")
def trained_once(tmp_path_factory, data) -> Path:
    run = tmp_path_factory.mktemp("trained") / "run"
    assert main(["train", str(data), "--out", str(run), "--epochs", "1", *FLAGS]) == 0
    return run


@pytest.fixture
def trained(tmp_path, trained_once) -> Path:
    """A copy (per test) of a 1-epoch run directory."""
    return Path(shutil.copytree(trained_once, tmp_path / "trained"))


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    lines = [ln for ln in err.splitlines() if ln.startswith("gcngan: error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return err


def test_non_empty_out_refused_and_force_replaces(trained, data, capsys, monkeypatch):
    capsys.readouterr()
    assert main(["train", str(data), "--out", str(trained), "--epochs", "1", *FLAGS]) == 2
    err = one_line_error(capsys)
    assert "not empty" in err and "--resume" in err and "--force" in err
    (trained / "notes.txt").write_text("mine")
    stale = trained / ".last.pt.abc123.tmp"            # as left by a kill -9
    stale.write_bytes(b"half")
    before = {p.name: p.read_bytes() for p in trained.iterdir()}
    monkeypatch.setenv("GCNGAN_MEMORY_LIMIT", "1K")     # the new run cannot start ...
    assert main(["train", str(data), "--out", str(trained), "--epochs", "1", "--force",
                 *FLAGS]) == 2
    assert {p.name: p.read_bytes() for p in trained.iterdir()} == before   # ... old run intact
    monkeypatch.delenv("GCNGAN_MEMORY_LIMIT")
    assert main(["train", str(data), "--out", str(trained), "--epochs", "1", "--force",
                 *FLAGS]) == 0
    assert (trained / "notes.txt").read_text() == "mine"    # only run files are replaced
    assert not stale.exists()
    with pytest.raises(SystemExit):                          # argparse: mutually exclusive
        main(["train", str(data), "--out", str(trained), "--force", "--resume"])


def test_resume_refuses_model_and_data_changes_with_a_diff(trained, data, tmp_path, capsys):
    capsys.readouterr()
    rc = main(["train", str(data), "--out", str(trained), "--resume", "--set", "lstm_hidden=32",
               "--window", "4", "--seed", "7", "--set", "alpha=2"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    for line in ("model.lstm_hidden: 16 -> 32", "data.window: 3 -> 4", "train.seed: 0 -> 7",
                 "train.alpha: 10.0 -> 2.0"):
        assert line in err, err

    df = pd.read_csv(data)
    other = tmp_path / "other.csv"
    df.assign(weight=df.weight + 1).to_csv(other, index=False)       # same nodes, other weights
    assert main(["train", str(other), "--out", str(trained), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "data.fingerprint:" in err and "not the data" in err
    df.assign(src=df.src.str.replace("n5", "n9"), dst=df.dst.str.replace("n5", "n9")) \
        .to_csv(other, index=False)                                   # another node mapping
    assert main(["train", str(other), "--out", str(trained), "--resume"]) == 2
    assert "data.node_ids: node 5 is 'n5' -> 'n9'" in capsys.readouterr().err
    df[(df.src != "n5") & (df.dst != "n5")].to_csv(other, index=False)  # another N
    assert main(["train", str(other), "--out", str(trained), "--resume"]) == 2
    assert "data.num_nodes: 6 -> 5" in capsys.readouterr().err

    assert main(["train", str(data), "--out", str(tmp_path / "new"), "--resume"]) == 2
    assert "nothing to resume" in one_line_error(capsys)


def test_resume_allows_training_length_and_lr(trained, data, capsys):
    capsys.readouterr()
    assert main(["train", str(data), "--out", str(trained), "--resume", "--epochs", "2",
                 "--set", "lr=1e-5", "--set", "patience=3"]) == 0
    state = load_checkpoint(trained / "last.pt")
    assert state["epoch"] == 2 and state["config"]["train"]["lr"] == 1e-5
    assert state["opt_g"]["param_groups"][0]["lr"] == 1e-5


@pytest.mark.parametrize("damage", ["truncated", "garbage", "missing-key", "wrong-shapes"])
def test_resume_from_a_broken_checkpoint_is_one_line_exit_2(trained, data, capsys, damage):
    last = trained / "last.pt"
    if damage == "truncated":
        last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    elif damage == "garbage":
        last.write_bytes(os.urandom(4096))
    else:
        state = load_checkpoint(last)
        if damage == "missing-key":
            del state["generator"]
        else:
            state["generator"] = {k: v[..., :1] if v.dim() else v
                                  for k, v in state["generator"].items()}
        torch.save(state, last)
    capsys.readouterr()
    assert main(["train", str(data), "--out", str(trained), "--resume"]) == 2
    err = one_line_error(capsys)
    assert str(last) in err


# ----- numerical faults ----------------------------------------------------------------------
def test_nan_weights_stop_training_and_keep_the_last_good_checkpoint(trained, data, tmp_path,
                                                                      monkeypatch, capsys):
    run = tmp_path / "nan"
    orig = Trainer.generator_step

    def poisoned(self, *args, **kwargs):
        out = orig(self, *args, **kwargs)
        if self.epoch >= 1:                        # the second epoch goes wrong
            with torch.no_grad():
                next(self.generator.parameters()).fill_(float("inf"))
        return out

    monkeypatch.setattr(Trainer, "generator_step", poisoned)
    capsys.readouterr()
    assert main(["train", str(data), "--out", str(run), "--epochs", "3", *FLAGS]) == 2
    err = one_line_error(capsys)
    assert "non-finite weights in the generator" in err and "at epoch 2, step" in err
    assert "--set lr=1e-05" in err and f"--out {run} --resume --set lr=1e-05" in err
    state = load_checkpoint(run / "last.pt")
    assert state["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in state["generator"].values())


def test_huge_learning_rate_stops_with_epoch_step_and_advice(data, tmp_path, capsys):
    capsys.readouterr()
    rc = main(["train", str(data), "--out", str(tmp_path / "lr"), "--epochs", "2", *FLAGS,
               "--set", "lr=1e30"])
    err = one_line_error(capsys)
    assert rc == 2 and "non-finite" in err and "at epoch 1, step" in err
    assert "lower learning rate" in err and "no checkpoint was written yet" in err


def test_cuda_out_of_memory_suggests_a_batch_size(data, tmp_path, monkeypatch, capsys):
    def oom(self, *args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(Trainer, "train_batch", oom)
    capsys.readouterr()
    rc = main(["train", str(data), "--out", str(tmp_path / "oom"), "--epochs", "1", *FLAGS])
    err = one_line_error(capsys)
    assert rc == 2 and "CUDA out of memory at epoch 1" in err
    assert "with batch size 2; try --batch-size 1" in err


def test_cuda_out_of_memory_after_training_points_to_cpu_evaluation(data, tmp_path,
                                                                   monkeypatch, capsys):
    def oom(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    fit = Trainer.fit

    def fit_then_run_out(self, *args, **kwargs):        # training itself goes through
        summary = fit(self, *args, **kwargs)
        self.evaluate = oom
        return summary

    monkeypatch.setattr(Trainer, "fit", fit_then_run_out)
    run = tmp_path / "late-oom"
    capsys.readouterr()
    rc = main(["train", str(data), "--out", str(run), "--epochs", "1", *FLAGS,
               "--set", "patience=100"])
    err = one_line_error(capsys)
    assert rc == 2 and "in the final evaluation, after training finished" in err
    assert f"gcngan evaluate {run} --data {data} --device cpu" in err
    assert (run / "best.pt").is_file() and not (run / "metrics.json").exists()


def test_cuda_out_of_memory_elsewhere_is_one_line(data, tmp_path, monkeypatch, capsys):
    run = tmp_path / "ok"
    assert main(["train", str(data), "--out", str(run), "--epochs", "1", *FLAGS]) == 0

    def oom(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr("gcngan.predict.predict_split", oom)
    capsys.readouterr()
    rc = main(["predict", str(run), "--data", str(data), "--out", str(tmp_path / "p.csv")])
    err = one_line_error(capsys)
    assert rc == 1 and "CUDA out of memory; run it with --device cpu" in err
    assert not (tmp_path / "p.csv").exists()


def test_too_little_memory_is_refused_with_the_largest_n(data, tmp_path, monkeypatch, capsys):
    from gcngan.config import build_config
    from gcngan.resources import estimate_training_memory

    cfg = build_config("paper", overrides=["noise_dim=4", "gcn_channels=4,3", "lstm_hidden=16",
                                           "critic_hidden=12,6", "window=3", "batch_size=2"])
    fits_4 = estimate_training_memory(cfg, 4, 20).total
    monkeypatch.setenv("GCNGAN_MEMORY_LIMIT", str(fits_4 + 1))
    capsys.readouterr()
    rc = main(["train", str(data), "--out", str(tmp_path / "mem"), "--epochs", "1", *FLAGS])
    err = one_line_error(capsys)
    assert rc == 2 and "not enough memory for N=6" in err
    assert "N at most 4" in err and "--top-k 4" in err
    assert not (tmp_path / "mem").exists()                 # refused before anything was built
