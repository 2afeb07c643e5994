r"""Every PNG the package writes: the plots of a run and the overview of a dataset.

All figures are drawn on matplotlib's Agg canvas directly (:class:`matplotlib.figure.Figure`
with :class:`~matplotlib.backends.backend_agg.FigureCanvasAgg`): nothing here touches
``pyplot`` or calls ``matplotlib.use``, so importing or calling this module never changes
the backend of a program that imported it, and no screen is needed. Files are written
atomically.

A run (three files in the run directory):

- ``losses.png``: critic loss, generator loss split into its adversarial and reconstruction
  terms, critic outputs (Wasserstein estimate or D(real)/D(fake)), gradient norms, output
  diversity and validation RMSE, one point per epoch (from ``log.csv``);
- ``metrics.png``: every validation metric of ``log.csv`` per epoch;
- ``prediction.png``: for one target snapshot, heatmaps of the real snapshot, the prediction
  and their difference side by side, and predicted vs real weights (every entry of every
  target of the split, the chosen target highlighted).

:func:`plot_history` needs only the per-epoch rows; :func:`plot_prediction` needs
predictions; :func:`plot_run` does both for a run directory.

A dataset: :func:`plot_snapshots` (``gcngan data inspect --plot``) draws density and the
weight distribution per snapshot, from :func:`snapshot_profile`.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from gcngan.errors import InputError
from gcngan.io import atomic_path

LOSS_PNG, METRICS_PNG, PREDICTION_PNG = "losses.png", "metrics.png", "prediction.png"
LN2 = math.log(2.0)


def _figure(rows: int, cols: int, size: tuple, **subplots_kw):
    """A figure on the Agg canvas (no pyplot state, safe in threads and without a display);
    ``subplots_kw`` go to :meth:`Figure.subplots` (e.g. ``sharex=True``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False, **subplots_kw)
    return fig, axes


def _integer_epochs(axes) -> None:
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return path


def _series(history: Sequence[dict], key: str) -> np.ndarray:
    out = []
    for row in history:
        v = row.get(key, "")
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            out.append(float("nan"))
    return np.asarray(out, dtype=float)


def _has(history: Sequence[dict], key: str) -> bool:
    return bool(np.isfinite(_series(history, key)).any())


def read_log(path: str | Path) -> list[dict]:
    """Rows of a run's ``log.csv`` as dicts; numeric fields become floats (``epoch`` an int).

    Raises:
        InputError: the file is missing or has no rows.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the training log ({exc.strerror})") from None
    if not rows:
        raise InputError(f"{path}: the training log has no epochs yet")
    out = []
    for row in rows:
        parsed: dict = {}
        for k, v in row.items():
            if v is None or v == "":
                continue
            try:
                parsed[k] = float(v)
            except ValueError:
                parsed[k] = v
        if "epoch" in parsed:
            parsed["epoch"] = int(parsed["epoch"])
        out.append(parsed)
    return out


def _mark_best(ax, best_epoch: Optional[int]) -> None:
    if best_epoch is not None:
        ax.axvline(best_epoch, color="grey", linestyle=":", lw=1, label=f"selected epoch ({best_epoch})")


def _positive_log(ax, *series: np.ndarray) -> None:
    vals = np.concatenate([s[np.isfinite(s)] for s in series]) if series else np.array([])
    if vals.size and (vals > 0).all() and vals.max() / vals.min() > 50:
        ax.set_yscale("log")


def plot_history(history: Sequence[dict], path: str | Path,
                 best_epoch: Optional[int] = None) -> Path:
    """Write ``losses.png``: six panels of training health, one point per epoch.

    Args:
        history: Rows of ``log.csv`` (``epoch``, ``d_loss``, ``g_adv``, ``g_rec`` ...).
        path: Output PNG.
        best_epoch: Marked with a dotted line.

    Raises:
        InputError: ``history`` is empty.
    """
    if not history:
        raise InputError("no epochs to plot")
    ep = _series(history, "epoch")
    wasserstein = _has(history, "wasserstein")
    bce = _has(history, "d_real") and not wasserstein
    fig, axes = _figure(2, 3, (14, 7))
    mk = dict(marker=".", lw=1.2)

    ax = axes[0, 0]                                                   # critic loss
    if _has(history, "d_loss"):
        ax.plot(ep, _series(history, "d_loss"), color="tab:blue", label="critic loss", **mk)
        if bce:
            ax.axhline(2 * LN2, color="grey", ls="--", lw=1, label="equilibrium 2 ln 2")
        else:
            ax.axhline(0.0, color="grey", ls="--", lw=1)
        ax.legend(loc="best", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no critic (pre-training or adv_weight=0)", ha="center",
                transform=ax.transAxes)
    ax.set_title("critic loss")

    ax = axes[0, 1]                                                   # generator loss terms
    if _has(history, "g_rec"):
        ax.plot(ep, _series(history, "g_rec"), color="tab:orange", label="reconstruction", **mk)
        _positive_log(ax, _series(history, "g_rec"))
        ax.set_ylabel("reconstruction term (train.recon)", color="tab:orange")
    if _has(history, "g_adv"):
        ax2 = ax.twinx()
        ax2.plot(ep, _series(history, "g_adv"), color="tab:green", label="adversarial", **mk)
        if bce:
            ax2.axhline(LN2, color="grey", ls="--", lw=1)
        ax2.set_ylabel("adversarial term", color="tab:green")
    ax.set_title("generator loss terms (unweighted)")

    ax = axes[0, 2]                                                   # critic outputs
    if wasserstein:
        ax.plot(ep, _series(history, "wasserstein"), color="tab:purple",
                label="Wasserstein estimate", **mk)
    for key, label, color in (("d_real", "mean D(real)", "tab:blue"),
                              ("d_fake", "mean D(fake)", "tab:red")):
        if _has(history, key):
            ax.plot(ep, _series(history, key), color=color, label=label, lw=1, ls="--")
    if ax.lines:
        ax.legend(loc="best", fontsize=8)
    ax.set_title("critic scores" + (" (logits; 0 = undecided)" if bce else ""))

    ax = axes[1, 0]                                                   # gradient norms
    for key, label, color in (("grad_norm_g", "generator", "tab:orange"),
                              ("grad_norm_d", "critic", "tab:blue")):
        if _has(history, key):
            ax.plot(ep, _series(history, key), color=color, label=label, **mk)
    _positive_log(ax, _series(history, "grad_norm_g"), _series(history, "grad_norm_d"))
    if ax.lines:
        ax.legend(loc="best", fontsize=8)
    ax.set_title("gradient norms (before the step)")

    ax = axes[1, 1]                                                   # diversity
    for key, label, color in (("diversity_history", "across histories (÷ real spread)",
                               "tab:green"),
                              ("diversity_noise", "across noise draws", "tab:grey")):
        if _has(history, key):
            ax.plot(ep, _series(history, key), color=color, label=label, **mk)
    if _has(history, "diversity_history"):
        ax.axhline(0.05, color="tab:red", ls="--", lw=1, label="collapse warning")
    _positive_log(ax, _series(history, "diversity_history"), _series(history, "diversity_noise"))
    if ax.lines:
        ax.legend(loc="best", fontsize=8)
    ax.set_title("output diversity")

    ax = axes[1, 2]                                                   # validation RMSE
    ax.plot(ep, _series(history, "val_rmse"), color="tab:red", **mk)
    _mark_best(ax, best_epoch)
    if best_epoch is not None:
        ax.legend(loc="best", fontsize=8)
    ax.set_title("validation RMSE (raw scale)")

    for ax in axes.flat:
        ax.set_xlabel("epoch")
    _integer_epochs(axes.flat)
    return _save(fig, path)


def plot_metrics(history: Sequence[dict], path: str | Path,
                 best_epoch: Optional[int] = None) -> Path:
    """Write ``metrics.png``: one panel per ``val_*`` metric of ``history``, per epoch."""
    if not history:
        raise InputError("no epochs to plot")
    keys = []
    for row in history:
        keys += [k for k in row if k.startswith("val_") and k != "val_seconds" and k not in keys]
    keys = [k for k in keys if _has(history, k)]
    if not keys:
        raise InputError("the history has no validation metrics (val_*) to plot")
    cols = min(4, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig, axes = _figure(rows, cols, (3.6 * cols, 2.9 * rows))
    ep = _series(history, "epoch")
    for ax, key in zip(axes.flat, keys):
        ax.plot(ep, _series(history, key), marker=".", lw=1.2)
        _mark_best(ax, best_epoch)
        ax.set_title(key[4:])
        ax.set_xlabel("epoch")
    _integer_epochs(axes.flat)
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    fig.suptitle("validation metrics per epoch (raw scale; lower is better except auc, ap)",
                 fontsize=10)
    return _save(fig, path)


def _weight_norm(vmax: float, positive: np.ndarray):
    """Log-like colour scale for heavy-tailed weights (linear below the 10th percentile)."""
    from matplotlib.colors import Normalize, SymLogNorm

    if positive.size and vmax / max(float(np.quantile(positive, 0.1)), 1e-12) > 100:
        return SymLogNorm(linthresh=float(np.quantile(positive, 0.1)), vmin=0.0, vmax=vmax)
    return Normalize(vmin=0.0, vmax=vmax)


def plot_prediction(pred, target, path: str | Path, *, index: int = 0,
                    title: str = "", label: Optional[str] = None) -> Path:
    """Write ``prediction.png``: real | predicted | difference heatmaps of target ``index``
    and a predicted-vs-real scatter of every entry of every target.

    Args:
        pred (Tensor | ndarray): :math:`(K, N, N)` raw-scale predictions.
        target (Tensor | ndarray): :math:`(K, N, N)` true snapshots.
        path: Output PNG.
        index (int): Which of the ``K`` targets gets the heatmaps.
        title (str): Figure title.
        label (str, optional): Name of that target (e.g. ``"snapshot 395"``).

    Raises:
        InputError: shapes differ, are not :math:`(K, N, N)`, or ``index`` is out of range.
    """
    from matplotlib.colors import SymLogNorm, TwoSlopeNorm

    p = np.asarray(pred.detach().cpu() if hasattr(pred, "detach") else pred, dtype=float)
    t = np.asarray(target.detach().cpu() if hasattr(target, "detach") else target, dtype=float)
    if p.shape != t.shape or p.ndim != 3 or p.shape[1] != p.shape[2]:
        raise InputError(f"pred {p.shape} and target {t.shape} must both be (K, N, N)")
    if not 0 <= index < p.shape[0]:
        raise InputError(f"target index {index} is not in [0, {p.shape[0]})")
    a, b = t[index], p[index]
    diff = b - a
    label = label or f"target {index}"
    fig, axes = _figure(1, 4, (19, 4.6))
    vmax = max(float(a.max()), float(b.max()), 1e-12)
    norm = _weight_norm(vmax, np.concatenate([a[a > 0], b[b > 0]]))
    for ax, m, name in ((axes[0, 0], a, "real"), (axes[0, 1], b, "predicted")):
        im = ax.imshow(m, cmap="viridis", norm=norm, interpolation="nearest")
        ax.set_title(f"{name} ({label})")
        ax.set_xlabel("dst")
        ax.set_ylabel("src")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax = axes[0, 2]
    dmax = max(float(np.abs(diff).max()), 1e-12)
    nz = np.abs(diff[diff != 0])
    if nz.size and dmax / max(float(np.quantile(nz, 0.1)), 1e-12) > 100:
        dnorm = SymLogNorm(linthresh=float(np.quantile(nz, 0.1)), vmin=-dmax, vmax=dmax)
    else:
        dnorm = TwoSlopeNorm(vcenter=0.0, vmin=-dmax, vmax=dmax)
    im = ax.imshow(diff, cmap="RdBu_r", norm=dnorm, interpolation="nearest")
    rmse = float(np.sqrt((diff ** 2).mean()))
    ax.set_title(f"predicted − real (RMSE {rmse:.4g})")
    ax.set_xlabel("dst")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)

    ax = axes[0, 3]
    off = ~np.eye(p.shape[1], dtype=bool)
    xs, ys = t[:, off].ravel(), p[:, off].ravel()
    ax.scatter(xs, ys, s=3, alpha=0.25, color="tab:blue", lw=0, label="all targets")
    ax.scatter(a[off], b[off], s=5, alpha=0.7, color="tab:orange", lw=0, label=label)
    hi = max(float(xs.max(initial=0)), float(ys.max(initial=0)), 1e-12)
    ax.plot([0, hi], [0, hi], color="grey", ls="--", lw=1, label="y = x")
    pos = xs[xs > 0]
    if pos.size and hi / float(np.quantile(pos, 0.1)) > 100:
        lt = float(np.quantile(pos, 0.1))
        ax.set_xscale("symlog", linthresh=lt)
        ax.set_yscale("symlog", linthresh=lt)
    ax.set_xlabel("real weight")
    ax.set_ylabel("predicted weight")
    ax.set_title(f"predicted vs real ({p.shape[0]} targets, off-diagonal)")
    ax.legend(loc="upper left", fontsize=8, markerscale=3)
    if title:
        fig.suptitle(title, fontsize=11)
    return _save(fig, path)


def plot_run(run_dir: str | Path, *, history: Optional[Sequence[dict]] = None,
             best_epoch: Optional[int] = None, prediction: Optional[tuple] = None,
             target_index: int = 0, target_label: Optional[str] = None,
             title: str = "") -> list[Path]:
    """All plots of a run into ``run_dir``; returns the files written.

    Args:
        history: Per-epoch rows; default: read ``run_dir/log.csv``.
        best_epoch: Marked on the per-epoch plots; default: the epoch with the lowest
            ``val_rmse``.
        prediction: ``(pred, target)`` raw-scale :math:`(K, N, N)` pair for
            ``prediction.png``; skipped when ``None``.
    """
    run_dir = Path(run_dir)
    if history is None:
        history = read_log(run_dir / "log.csv")
    if best_epoch is None:
        rmse = _series(history, "val_rmse")
        if np.isfinite(rmse).any():
            best_epoch = int(_series(history, "epoch")[int(np.nanargmin(rmse))])
    written = [plot_history(history, run_dir / LOSS_PNG, best_epoch)]
    if any(k.startswith("val_") and k != "val_seconds" for row in history for k in row):
        written.append(plot_metrics(history, run_dir / METRICS_PNG, best_epoch))
    if prediction is not None:
        pred, target = prediction
        written.append(plot_prediction(pred, target, run_dir / PREDICTION_PNG,
                                       index=target_index, label=target_label, title=title))
    return written


# ----------------------------------------------------------------------------- datasets
def snapshot_profile(seq) -> dict:
    """Per-snapshot density and weight quantiles (p5, p25, p50, p75, p95) of the links.

    Reads the links of each snapshot through :meth:`SnapshotSequence.edges`, so nothing of
    size :math:`N^2` is built.

    Args:
        seq (SnapshotSequence): The data.

    Returns:
        dict: ``{"density": (T,), "quantiles": (T, 5)}`` numpy arrays; density is the
        share of the :math:`N^2` entries with a positive weight; quantiles are of those
        weights, NaN for an empty snapshot.
    """
    n = seq.num_nodes
    density = np.zeros(seq.num_snapshots)
    qs = np.full((seq.num_snapshots, 5), np.nan)
    levels = [0.05, 0.25, 0.5, 0.75, 0.95]
    for t in range(seq.num_snapshots):                 # loop over snapshots, not rows
        w = np.asarray(seq.edges(t)[2], dtype=np.float64)
        w = w[w > 0]
        density[t] = w.size / (n * n)
        if w.size:
            qs[t] = np.quantile(w, levels)
    return {"density": density, "quantiles": qs}


def plot_snapshots(seq, path: str | Path) -> Path:
    """Write a two-panel PNG of a dataset atomically: density per snapshot; the p5-p95
    band, interquartile range and median of the link weights per snapshot.

    Args:
        seq (SnapshotSequence): The data.
        path: Output PNG.
    """
    prof = snapshot_profile(seq)
    t = np.arange(seq.num_snapshots)
    fig, axes = _figure(2, 1, (9, 5.5), sharex=True)
    ax1, ax2 = axes[0, 0], axes[1, 0]
    ax1.plot(t, prof["density"], lw=1.0, color="tab:blue")
    ax1.set_ylabel("density")
    ax1.set_title(f"{Path(seq.source).name or 'data'}: {seq.num_nodes} nodes, "
                  f"{seq.num_snapshots} snapshots, {'directed' if seq.directed else 'undirected'}")
    q = prof["quantiles"]
    ax2.fill_between(t, q[:, 0], q[:, 4], alpha=0.2, color="tab:orange", label="p5-p95")
    ax2.fill_between(t, q[:, 1], q[:, 3], alpha=0.4, color="tab:orange", label="p25-p75")
    ax2.plot(t, q[:, 2], lw=1.0, color="tab:red", label="median")
    finite = q[np.isfinite(q)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        ax2.set_yscale("log")
    ax2.set_ylabel("non-zero weight")
    ax2.set_xlabel("snapshot")
    ax2.legend(loc="upper right", fontsize=8)
    return _save(fig, path)
