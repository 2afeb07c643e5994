"""PNG overview of a :class:`SnapshotSequence`: density and weight distribution per snapshot."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gcngan.data.snapshots import SnapshotSequence
from gcngan.io import atomic_path


def snapshot_profile(seq: SnapshotSequence) -> dict:
    """Per-snapshot density and weight quantiles (p5, p25, p50, p75, p95) of non-zero links.

    Returns:
        ``{"density": (T,), "quantiles": (T, 5)}`` numpy arrays; quantiles are NaN for an
        empty snapshot.
    """
    adj = seq.adj
    n = seq.num_nodes
    density = ((adj > 0).flatten(1).sum(1).double() / (n * n)).numpy()
    qs = np.full((seq.num_snapshots, 5), np.nan)
    levels = [0.05, 0.25, 0.5, 0.75, 0.95]
    for t in range(seq.num_snapshots):                 # loop over snapshots, not rows
        nz = adj[t][adj[t] > 0].numpy()
        if nz.size:
            qs[t] = np.quantile(nz, levels)
    return {"density": density, "quantiles": qs}


def plot_snapshots(seq: SnapshotSequence, path: str | Path) -> Path:
    """Write a two-panel PNG (density; weight p5-p95 band, IQR and median) atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prof = snapshot_profile(seq)
    t = np.arange(seq.num_snapshots)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
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
    fig.tight_layout()
    path = Path(path)
    try:
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, format="png", dpi=100)
    finally:
        plt.close(fig)
    return path
