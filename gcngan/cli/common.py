"""Flags shared by every command that reads data or splits it, and their mapping to configs."""
from __future__ import annotations

import argparse

from gcngan.config import AGGREGATIONS, FORMATS, NEGATIVE_POLICIES, SCALES, SELF_LOOPS


def add_data_args(parser: argparse.ArgumentParser, split: bool = True) -> None:
    """Add the ingestion flags (and, with ``split``, ``--window/--val/--test``)."""
    g = parser.add_argument_group("data ingestion")
    g.add_argument("--format", choices=FORMATS, default=None,
                   help="input format (default: auto-detect)")
    g.add_argument("--time-col", dest="time_col", default=None,
                   help="name of the snapshot-index / timestamp column")
    g.add_argument("--src-col", dest="src_col", default=None, help="name of the source column")
    g.add_argument("--dst-col", dest="dst_col", default=None,
                   help="name of the destination column")
    g.add_argument("--weight-col", dest="weight_col", default=None,
                   help="name of the weight column (missing: every row weighs 1)")
    g.add_argument("--nodes", type=int, default=None, help="total number of nodes N")
    g.add_argument("--snapshots", type=int, default=None,
                   help="total number of snapshots T (empty trailing snapshots)")
    d = g.add_mutually_exclusive_group()
    d.add_argument("--directed", dest="directed", action="store_true", default=None,
                   help="treat links as directed (default: detected from the data)")
    d.add_argument("--undirected", dest="directed", action="store_false",
                   help="symmetrise links")
    g.add_argument("--self-loops", dest="self_loops", choices=SELF_LOOPS, default=None)
    g.add_argument("--top-k", dest="top_k", type=int, default=None,
                   help="keep only the K most active nodes")
    g.add_argument("--granularity", default=None,
                   help="event streams: snapshot width in seconds or with a unit (3600, 1h, 7d)")
    g.add_argument("--agg", choices=AGGREGATIONS, default=None,
                   help="how duplicate rows / events in one snapshot combine (default: sum)")
    g.add_argument("--max-threshold", dest="max_threshold", type=float, default=None,
                   help="clip weights above this value (default: no clipping)")
    g.add_argument("--scale", choices=SCALES, default=None,
                   help="normalisation to [0, 1] (default: linear)")
    g.add_argument("--negative", choices=NEGATIVE_POLICIES, default=None,
                   help="what to do with negative weights (default: error)")
    if split:
        s = parser.add_argument_group("windows and splits")
        s.add_argument("--window", type=int, default=None, help="history length W (default 10)")
        s.add_argument("--val", type=int, default=None,
                       help="validation targets (default 10)")
        s.add_argument("--test", type=int, default=None, help="test targets (default 50)")


DATA_KEYS = ("format", "time_col", "src_col", "dst_col", "weight_col", "nodes", "snapshots",
             "directed", "self_loops", "top_k", "granularity", "agg", "max_threshold", "scale",
             "negative", "window", "val", "test")


def data_updates(args: argparse.Namespace) -> dict:
    """The data-config fields the user set explicitly (``None`` = not given)."""
    return {k: getattr(args, k) for k in DATA_KEYS if getattr(args, k, None) is not None}


def data_config(args: argparse.Namespace):
    """A :class:`~gcngan.config.DataConfig` from defaults + the flags given."""
    from gcngan.config import DataConfig

    return DataConfig(**data_updates(args))
