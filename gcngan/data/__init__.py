"""Data: edge lists -> :class:`SnapshotSequence` -> windows and splits.

``load_snapshots(path, cfg)`` is the one entry point from a file to snapshots; the
registry (``fetch``) gets public datasets with verified checksums; ``generate_mesh``
makes the synthetic default dataset.
"""
from gcngan.data.edgelist import EdgeTable, node_index, read_edges, write_edges
from gcngan.data.ingest import load_snapshots
from gcngan.data.registry import DatasetSpec, DownloadError, fetch, load_manifest, verify
from gcngan.data.snapshots import Scaler, SnapshotSequence
from gcngan.data.synthetic import MeshSpec, generate_mesh
from gcngan.data.windows import Split, WindowDataset, chronological_split, split_of

__all__ = ["DatasetSpec", "DownloadError", "EdgeTable", "MeshSpec", "Scaler",
           "SnapshotSequence", "Split", "WindowDataset", "chronological_split", "fetch",
           "generate_mesh", "load_manifest", "load_snapshots", "node_index", "read_edges",
           "split_of", "verify", "write_edges"]
