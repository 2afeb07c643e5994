"""Atomic writes (:mod:`gcngan.io`): a failure — an exception, a full disk, ``kill -9`` — leaves
the previous file (or none), never a half-written one, and no temporary file behind.

Covered: the primitive, checkpoints killed mid-save in a real process, and every ``--out``
of the CLI (``predict``, ``data synth``, ``data inspect --plot``).
"""
from __future__ import annotations

import errno
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import torch

from gcngan.cli import main
from gcngan.io import atomic_path, atomic_write_json, atomic_write_text
from gcngan.train import load_checkpoint, save_checkpoint


def listing(directory) -> set:
    return {p.name for p in directory.iterdir()}


def test_atomic_path_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "out.txt"
    atomic_write_text(path, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("half of the n")
            raise RuntimeError("crash while writing")
    assert path.read_text() == "old\n" and listing(tmp_path) == {"out.txt"}
    atomic_write_json(path, {"new": 1})
    assert path.read_text().startswith("{") and listing(tmp_path) == {"out.txt"}


def test_atomic_path_creates_nothing_when_the_first_write_fails(tmp_path):
    with pytest.raises(OSError):
        with atomic_path(tmp_path / "new.csv") as tmp:
            tmp.write_text("t,src")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert listing(tmp_path) == set()


KILL_DURING_SAVE = textwrap.dedent("""
    import os, signal, sys, torch
    from gcngan.train import save_checkpoint
    path = sys.argv[1]
    save_checkpoint(path, {"weights": torch.ones(1000), "epoch": 1})
    real_save = torch.save

    def dying_save(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)
        with open(f, "r+b") as fh:                 # the new file is half on disk ...
            fh.truncate(os.path.getsize(f) // 2)
        os.kill(os.getpid(), signal.SIGKILL)       # ... when the process is killed

    torch.save = dying_save
    save_checkpoint(path, {"weights": torch.zeros(1000), "epoch": 2})
""")


def test_kill_9_during_a_checkpoint_save_keeps_the_previous_one(tmp_path):
    path = tmp_path / "last.pt"
    proc = subprocess.run([sys.executable, "-c", KILL_DURING_SAVE, str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    state = torch.load(path, weights_only=True)
    assert state["epoch"] == 1 and torch.equal(state["weights"], torch.ones(1000))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "last.pt"]
    assert all(name.startswith(".last.pt.") for name in leftovers)   # only the dead temp file


def test_checkpoint_save_failure_keeps_the_previous_one(tmp_path, monkeypatch):
    path = tmp_path / "best.pt"
    good = {"config": {}, "data": {"fingerprint": "x", "num_nodes": 1, "node_ids": [0],
                                   "directed": True, "scaler": {}},
            "generator": {"w": torch.ones(3)}, "epoch": 1, "step": 1}
    save_checkpoint(path, good)

    def full_disk(obj, f, *args, **kwargs):
        with open(f, "wb") as fh:
            fh.write(b"PK\x03\x04 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError):
        save_checkpoint(path, dict(good, epoch=2))
    assert load_checkpoint(path)["epoch"] == 1 and listing(tmp_path) == {"best.pt"}


# ----- every --out of the CLI -----------------------------------------------------------------
@pytest.fixture
def disk_full(monkeypatch):
    """``disk_full()``: from then on ``DataFrame.to_csv`` writes half of its text, then the
    disk is full; ``disk_full(False)`` undoes it."""
    real = pd.DataFrame.to_csv

    def half_then_fail(self, path_or_buf=None, *args, **kwargs):
        text = real(self, None, *args, **kwargs)
        with open(path_or_buf, "w") as fh:
            fh.write(text[: len(text) // 2])
        raise OSError(errno.ENOSPC, "No space left on device", str(path_or_buf))

    def switch(on: bool = True) -> None:
        monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail if on else real)
    return switch


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("gcngan: error:"), err
    return err


def test_data_synth_out_is_atomic(tmp_path, capsys, disk_full):
    disk_full()
    out = tmp_path / "mesh.csv"
    out.write_text("previous content\n")
    rc = main(["data", "synth", "--out", str(out), "--nodes", "5", "--snapshots", "6"])
    assert rc == 1 and "No space left on device" in one_line(capsys)
    assert out.read_text() == "previous content\n" and listing(tmp_path) == {"mesh.csv"}


def test_predict_out_is_atomic(tmp_path, capsys, disk_full):
    from gcngan.data import MeshSpec, generate_mesh
    from gcngan.data.edgelist import write_edges

    data = tmp_path / "mesh.csv"
    seq = generate_mesh(MeshSpec(num_nodes=5, num_snapshots=20, seed=0))
    write_edges(data, seq.adj, seq.node_ids)
    run = tmp_path / "run"
    assert main(["train", str(data), "--out", str(run), "--epochs", "1", "--quiet",
                 "--preset", "paper", "--device", "cpu", "--window", "3", "--val", "3",
                 "--test", "3", "--set", "noise_dim=4", "--set", "gcn_channels=4,3",
                 "--set", "lstm_hidden=16", "--set", "critic_hidden=12,6"]) == 0
    capsys.readouterr()
    disk_full()
    pred = tmp_path / "preds" / "pred.csv"
    pred.parent.mkdir()
    rc = main(["predict", str(run), "--data", str(data), "--out", str(pred)])
    assert rc == 1 and "No space left on device" in one_line(capsys)
    assert listing(pred.parent) == set()                   # nothing, not half a CSV
    disk_full(False)
    assert main(["predict", str(run), "--data", str(data), "--out", str(pred)]) == 0
    assert listing(pred.parent) == {"pred.csv"} and len(pd.read_csv(pred)) > 0


def test_data_inspect_plot_is_atomic(tmp_path, capsys, monkeypatch, tiny_csv):
    import matplotlib.figure

    def broken_savefig(self, fname, *args, **kwargs):
        with open(fname, "wb") as fh:
            fh.write(b"\x89PNG half")
        raise OSError(errno.EIO, "Input/output error", str(fname))

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken_savefig)
    png = tmp_path / "plots" / "overview.png"
    png.parent.mkdir()
    rc = main(["data", "inspect", str(tiny_csv), "--plot", str(png)])
    assert rc == 1 and "Input/output error" in one_line(capsys)
    assert listing(png.parent) == set()


def test_unwritable_out_is_one_line(tmp_path, capsys, tiny_csv):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(["data", "synth", "--out", str(blocker / "sub" / "mesh.csv"), "--nodes", "4",
               "--snapshots", "4"])
    assert rc == 1 and "Not a directory" in one_line(capsys)
