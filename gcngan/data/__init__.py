"""Data: edge lists -> :class:`SnapshotSequence` -> windows and splits."""
from gcngan.data.ingest import load_snapshots
from gcngan.data.snapshots import Scaler, SnapshotSequence
from gcngan.data.windows import Split, WindowDataset, chronological_split

__all__ = ["Scaler", "SnapshotSequence", "Split", "WindowDataset", "chronological_split",
           "load_snapshots"]
