"""``gcngan train`` in several processes on the CPU (gloo): under ``torchrun`` and with
``--nproc``; one set of outputs, resume, SIGTERM (every process stops, rank 0 saves
last.pt, exit 143), a refusal printed once; the sparse path in two processes."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gcngan.train import distributed

pytestmark = pytest.mark.slow           # each test starts 2-3 fresh Python processes

SMALL = ["--preset", "dense", "--device", "cpu", "--quiet", "--window", "4", "--val", "4",
         "--test", "4", "--set", "lstm_hidden=16", "--set", "gcn_channels=8,8",
         "--set", "noise_dim=8", "--set", "critic_hidden=32,16", "--set", "eval_samples=1"]


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    for key in distributed.ENV + (distributed.LAUNCHER_ENV,):
        env.pop(key, None)
    return env


def _gcngan(*args, **kw):
    return subprocess.run([sys.executable, "-m", "gcngan", *args], capture_output=True,
                          text=True, env=_env(), timeout=240, **kw)


def _torchrun(*args):
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node",
                           "2", "--master_port", str(distributed.free_port()), "-m", "gcngan",
                           *args], capture_output=True, text=True, env=_env(), timeout=240)


@pytest.fixture(scope="module")
def mesh(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "mesh.csv"
    assert _gcngan("data", "synth", "--out", str(path), "--nodes", "10",
                   "--snapshots", "60").returncode == 0
    return path


def _rows(run: Path) -> list:
    with open(run / "log.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_torchrun_trains_then_nproc_resumes_with_one_set_of_outputs(mesh, tmp_path):
    run = tmp_path / "run"
    res = _torchrun("train", str(mesh), "--out", str(run), "--epochs", "1", *SMALL)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("trained 1 epochs") == 1           # printed by rank 0 only
    assert sorted(p.name for p in run.iterdir()) == sorted(
        ["config.json", "best.pt", "last.pt", "log.csv", "metrics.json", "losses.png",
         "metrics.png", "prediction.png"])                      # no temp files, no copies
    assert json.loads((run / "metrics.json").read_text())["processes"] == 2
    state = torch.load(run / "last.pt", weights_only=True)
    assert state["world_size"] == 2 and len(state["rng_ranks"]) == 2
    res = _gcngan("train", str(mesh), "--out", str(run), "--resume", "--epochs", "2",
                  "--nproc", "2", *SMALL)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("trained 2 epochs") == 1
    rows = _rows(run)
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert float(rows[1]["allreduce_seconds"]) > 0


def test_sigterm_stops_every_process_and_resume_finishes(mesh, tmp_path):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "gcngan", "train", str(mesh), "--out", str(run), "--epochs",
           "200", "--batch-size", "2", "--nproc", "2", *SMALL]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env())
    deadline = time.monotonic() + 120
    while not (run / "log.csv").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (run / "log.csv").exists(), proc.stderr.read() if proc.poll() is not None else ""
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    assert err.count("state saved to") == 1 and "--nproc 2" in err
    state = torch.load(run / "last.pt", weights_only=True)
    assert 1 <= state["epoch"] < 200
    res = _gcngan("train", str(mesh), "--out", str(run), "--resume", "--epochs",
                  str(state["epoch"] + 1), "--nproc", "2", "--quiet")
    assert res.returncode == 0, res.stderr[-2000:]
    assert len(_rows(run)) == state["epoch"] + 1


def test_a_refusal_is_printed_once_with_exit_2(tmp_path):
    bad = tmp_path / "bad.csv"              # refused while loading, after the processes met
    bad.write_text("t,src,dst,weight\n0,0,1,2.5\n1,0,1,abc\n")
    res = _gcngan("train", str(bad), "--out", str(tmp_path / "run"), "--nproc", "2", *SMALL)
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("gcngan: error:"), res.stderr
    assert not (tmp_path / "run").exists()


def test_sparse_preset_in_two_processes(tmp_path):
    data = tmp_path / "social.csv"
    assert _gcngan("data", "synth", "--kind", "social", "--out", str(data), "--nodes", "60",
                   "--snapshots", "10", "--links-per-node", "2").returncode == 0
    run = tmp_path / "run"
    res = _torchrun("train", str(data), "--granularity", "1d", "--preset", "sparse",
                    "--out", str(run), "--epochs", "1", "--device", "cpu", "--quiet",
                    "--window", "3", "--val", "2", "--test", "1", "--set", "max_links=40",
                    "--set", "negatives=5", "--set", "val_q=20", "--set", "val_queries=40")
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("val MRR") == 1
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["processes"] == 2 and 0 < metrics["val"]["mrr"]["mean"] <= 1
    assert metrics["refit"] == {"skipped": "distributed"}                # one process only
    assert not (run / "refit.pt").exists()
    state = torch.load(run / "last.pt", weights_only=True)
    assert state["world_size"] == 2
