"""Plots (gcngan/plots.py): valid PNGs from a history, from predictions and from a dataset;
the module never switches matplotlib's backend."""
import csv
import subprocess
import sys

import numpy as np
import pytest
import torch

from gcngan.errors import InputError
from gcngan.data.snapshots import Scaler, SnapshotSequence
from gcngan.plots import (plot_history, plot_metrics, plot_prediction, plot_run, plot_snapshots,
                          read_log, snapshot_profile)

PNG = b"\x89PNG\r\n\x1a\n"


def history(bce=False, epochs=4):
    rows = []
    for e in range(1, epochs + 1):
        row = {"epoch": e, "phase": "adversarial", "d_loss": 1.3 / e, "g_loss": 80.0 / e,
               "g_adv": 0.7, "g_rec": 8.0 / e, "d_real": 0.1 * e, "d_fake": -0.1 * e,
               "grad_norm_g": 50.0 / e, "grad_norm_d": 2.0, "diversity_noise": 1e-3,
               "diversity_history": 0.5 / e, "val_rmse": 100.0 / e, "val_mae": 30.0 / e,
               "val_auc": 0.5 + 0.1 * e, "val_seconds": 0.1}
        if not bce:
            row["wasserstein"] = row["d_real"] - row["d_fake"]
        rows.append(row)
    return rows


def is_png(path):
    data = path.read_bytes()
    return data[:8] == PNG and len(data) > 5000


@pytest.mark.parametrize("bce", [False, True])
def test_history_and_metrics_png(tmp_path, bce):
    h = history(bce)
    assert is_png(plot_history(h, tmp_path / "losses.png", best_epoch=4))
    assert is_png(plot_metrics(h, tmp_path / "metrics.png", best_epoch=4))
    assert not list(tmp_path.glob(".*"))                  # no temporary files left
    with pytest.raises(InputError):
        plot_history([], tmp_path / "x.png")
    with pytest.raises(InputError, match="validation metrics"):
        plot_metrics([{"epoch": 1, "d_loss": 1.0}], tmp_path / "x.png")


def test_prediction_png_and_validation(tmp_path):
    g = torch.Generator().manual_seed(0)
    target = torch.rand(5, 7, 7, generator=g) * 1000 * (torch.rand(5, 7, 7, generator=g) < 0.3)
    pred = target * 0.8 + 1.0
    assert is_png(plot_prediction(pred, target, tmp_path / "p.png", index=2,
                                  label="test snapshot 12", title="tiny"))
    assert is_png(plot_prediction(pred.numpy() * 0, target.numpy() * 0, tmp_path / "z.png"))
    with pytest.raises(InputError, match="not in"):
        plot_prediction(pred, target, tmp_path / "p.png", index=5)
    with pytest.raises(InputError, match="must both be"):
        plot_prediction(pred[:, :3], target, tmp_path / "p.png")


def test_read_log_and_plot_run(tmp_path):
    h = history()
    cols = list(h[0])
    with open(tmp_path / "log.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(h)
    rows = read_log(tmp_path / "log.csv")
    assert rows[0]["epoch"] == 1 and rows[0]["phase"] == "adversarial"
    assert rows[1]["val_rmse"] == pytest.approx(50.0)
    pred = np.ones((3, 4, 4))
    written = plot_run(tmp_path, prediction=(pred, pred * 2), target_index=1)
    assert [p.name for p in written] == ["losses.png", "metrics.png", "prediction.png"]
    assert all(is_png(p) for p in written)
    with pytest.raises(InputError, match="cannot read"):
        read_log(tmp_path / "missing.csv")


def test_snapshot_profile_and_png(tmp_path):
    adj = torch.zeros(3, 4, 4)
    adj[0, 0, 1], adj[0, 1, 2], adj[0, 2, 3], adj[0, 3, 0] = 1.0, 2.0, 3.0, 4.0
    adj[2, 1, 0] = 7.0                                    # snapshot 1 stays empty
    seq = SnapshotSequence(adj=adj, node_ids=list("abcd"), directed=True,
                           scaler=Scaler("linear", 7.0), source=str(tmp_path / "x.csv"))
    prof = snapshot_profile(seq)
    np.testing.assert_allclose(prof["density"], [4 / 16, 0.0, 1 / 16])
    np.testing.assert_allclose(prof["quantiles"][0], np.quantile([1, 2, 3, 4],
                                                                 [0.05, 0.25, 0.5, 0.75, 0.95]))
    assert np.isnan(prof["quantiles"][1]).all()
    np.testing.assert_allclose(prof["quantiles"][2], [7.0] * 5)
    out = plot_snapshots(seq, tmp_path / "data.png")
    assert out == tmp_path / "data.png" and is_png(out)
    assert not list(tmp_path.glob(".*"))                  # no temporary files left


def test_import_and_plot_leave_the_backend_alone(tmp_path):
    """Importing gcngan.plots or writing a PNG does not call matplotlib.use: a program that
    chose an interactive backend keeps it."""
    code = f"""
import matplotlib
matplotlib.use("svg")
import numpy as np
import gcngan.plots as plots
class Seq:                                # what plot_snapshots reads of a SnapshotSequence
    num_snapshots, num_nodes, directed, source = 2, 3, False, "x.csv"
    def edges(self, t):
        return np.array([0, 1]), np.array([1, 0]), np.array([2.0, 2.0], dtype=np.float32)
plots.plot_prediction(np.ones((2, 3, 3)), np.ones((2, 3, 3)), {str(tmp_path / "p.png")!r})
plots.plot_snapshots(Seq(), {str(tmp_path / "d.png")!r})
print(matplotlib.get_backend())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "svg"
    assert is_png(tmp_path / "p.png") and is_png(tmp_path / "d.png")
