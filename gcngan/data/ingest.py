"""The one entry point from a file to a :class:`SnapshotSequence`: :func:`load_snapshots`.

Pipeline (every option is a :class:`~gcngan.config.DataConfig` field):

1. read the rows (:func:`gcngan.data.edgelist.read_columns`, format auto-detected; long
   CSV/TSV files are streamed in chunks into numeric columns, so memory stays ``O(E)``);
2. events: bucket timestamps into snapshots of width ``granularity``; the snapshot
   count ``T`` is fixed here from all rows (or ``snapshots``), before steps 3-5 drop any;
3. negative weights: refuse, or ``abs`` / ``drop`` them, or ``shift`` (``negative``; the
   shift is applied to the combined weights after step 6 and kept as
   :attr:`SnapshotSequence.weight_offset`);
4. ``self_loops="drop"`` removes ``src == dst`` rows;
5. map node ids to ``0..N-1`` (``nodes``; ``top_k`` keeps the most active nodes);
6. aggregate duplicate ``(t, src, dst)`` rows with ``agg``;
7. the sorted edge table ``(t, src, dst, weight)`` (row = source), direction detected or
   imposed (undirected = every link mirrored with the same weight; ``directed=False``
   symmetrises with ``max(w_ij, w_ji)``);
8. clip at ``max_threshold`` and fit the :class:`Scaler` (denominator = the cap if
   given, else the largest weight).

No ``N x N`` tensor is built: the dense view ``seq.adj`` comes on request and is refused
beyond :data:`~gcngan.data.snapshots.MAX_DENSE_ENTRIES` entries (naming ``--top-k``).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import torch

from gcngan.arrays import unique
from gcngan.config import DataConfig
from gcngan.data.edgelist import (EVENT_NAMES, MAX_SNAPSHOT_INDEX, EdgeColumns, EdgeTable,
                                   columns_from_table, looks_like_seconds, read_columns,
                                   time_name_with_unit)
from gcngan.data.events import (AUTO_SNAPSHOTS, TIME_UNIT_NAMES, TIME_UNITS, auto_granularity,
                                bucket, granularity_label, is_auto, parse_granularity,
                                resolve_time_unit, time_grid)
from gcngan.data.snapshots import MAX_DENSE_ENTRIES, Scaler, SnapshotSequence
from gcngan.errors import InputError

log = logging.getLogger(__name__)

__all__ = ["MAX_DENSE_ENTRIES", "load_snapshots", "table_to_snapshots", "columns_to_snapshots"]

#: Snapshots are float32: larger (aggregated) weights would silently become inf.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def load_snapshots(path: str | Path, cfg: Optional[DataConfig] = None,
                   chunk_rows: Optional[int] = None) -> SnapshotSequence:
    """Read an edge-list file, directory or zip into a :class:`SnapshotSequence`.

    Args:
        path: long CSV/TSV (``t,src,dst,weight``), event stream
            (``timestamp,src,dst,weight``), or a directory / ``.zip`` of per-snapshot
            ``src dst weight`` files.
        cfg: ingestion options (default: ``DataConfig()``, everything auto-detected).
        chunk_rows: rows parsed per chunk of a long CSV/TSV (default
            :data:`gcngan.data.edgelist.CHUNK_ROWS`).

    Returns:
        The edges of ``T`` snapshots over ``N`` nodes (raw, clipped weights) with the
        node-id map, direction, scaler and snapshot labels; ``seq.adj`` is the dense
        :math:`(T, N, N)` view, built on request.

    Raises:
        InputError: one line naming the file, line, column and value of the first problem.

    Examples:
        >>> seq = load_snapshots("mesh1/mesh1.csv")                    # doctest: +SKIP
        >>> seq.num_nodes, seq.num_snapshots, seq.directed              # doctest: +SKIP
        (38, 445, False)
    """
    cfg = cfg or DataConfig()
    return columns_to_snapshots(read_columns(path, cfg, chunk_rows), cfg)


def table_to_snapshots(table: EdgeTable, cfg: DataConfig) -> SnapshotSequence:
    """Steps 2-8 of the pipeline on an :class:`EdgeTable` already read."""
    return columns_to_snapshots(columns_from_table(table, cfg), cfg)


#: Source and destination column names of a user -> item stream (JODIE's raw files), whose
#: two kinds of ids may both count from 0.
USER_ITEM_NAMES = (("user_id", "item_id"), ("user", "item"))


def _endpoint_names(table: EdgeColumns) -> tuple:
    """The source and destination column names of ``table``, lower case."""
    return tuple(str(table.columns.get(k, "")).strip().lower() for k in ("src", "dst"))


def two_id_spaces(table: EdgeColumns, cfg: DataConfig) -> bool:
    """Whether the sources and the destinations of ``table`` are counted apart
    (``cfg.bipartite``; ``None``: when the source and destination columns are named as a
    ``user -> item`` stream, :data:`USER_ITEM_NAMES`)."""
    if cfg.bipartite is not None:
        return bool(cfg.bipartite)
    return _endpoint_names(table) in USER_ITEM_NAMES


def _warn_shared_user_item_ids(table: EdgeColumns) -> None:
    """Warn when a ``user_id -> item_id`` stream read as one id space (``--one-id-space``)
    uses an id as both a user and an item: user 5 and item 5 become one node."""
    names = _endpoint_names(table)
    if names not in USER_ITEM_NAMES:
        return
    shared = np.intersect1d(unique(table.src), unique(table.dst), assume_unique=True).size
    if shared:
        log.warning("%s: %d ids are used as both %s and %s: read as one id space, each is "
                    "one node (without --one-id-space they are counted apart)",
                    table.source, shared, *names)


def columns_to_snapshots(table: EdgeColumns, cfg: DataConfig) -> SnapshotSequence:
    """Steps 2-8 of the pipeline on rows already read (see the module docstring). The
    columns of ``table`` are consumed (set to ``None``) so that each is freed once used.

    The snapshot count ``T`` comes from every row of the file (``--snapshots`` if given),
    before negative weights, self-loops or ``top_k`` drop rows, so the time axis does not
    depend on which rows or nodes are kept (trailing snapshots may be empty).
    :attr:`SnapshotSequence.num_rows` counts the rows kept.
    """
    src_name = table.source
    two_spaces = two_id_spaces(table, cfg)
    if two_spaces:
        _check_two_spaces(cfg, src_name)
    else:
        _warn_shared_user_item_ids(table)
    # take the columns over: the function drops each as soon as it is used (memory)
    cols = {k: getattr(table, k) for k in ("time", "src", "dst", "weight")}
    table.time = table.src = table.dst = table.weight = None
    if cfg.top_k is not None and cfg.nodes is not None:
        raise InputError("--top-k and --nodes cannot be combined (--top-k chooses the nodes)")
    if cfg.top_k is not None and cfg.top_k < 2:
        raise InputError(f"{src_name}: --top-k {cfg.top_k}: must be >= 2 (a link needs two "
                         f"nodes)")

    # 2. time -> snapshot index
    times: Optional[list] = None
    time_unit = None
    if table.kind == "events":
        secs = cols.pop("time")
        secs, time_unit = _in_seconds(table, secs, cfg)
        if is_auto(cfg.granularity):
            _refuse_unclear_times(table, secs, cfg)
            grid = time_grid(secs)
            label, width = auto_granularity(secs, grid)
            on_grid = (f", a multiple of its timestamps' {granularity_label(grid)} grid"
                       if grid > 1 else "")
            log.info("%s: event stream over %s: %s snapshots (chosen to give about %d%s; "
                     "--granularity sets the width)", src_name,
                     _duration(float(secs.max() - secs.min()) if len(secs) else 0.0), label,
                     AUTO_SNAPSHOTS, on_grid)
        else:
            width = parse_granularity(cfg.granularity)
        span = (float(secs.max()) - float(secs.min())) / width
        if span >= MAX_DENSE_ENTRIES:
            raise InputError(f"{src_name}: --granularity {cfg.granularity} splits "
                             f"{span:.3g} x {_num(width)} s of events into too many snapshots")
        t, t0 = bucket(secs, width)
        del secs
    else:
        for flag, value in (("--granularity", cfg.granularity),
                            ("--time-unit", None if cfg.time_unit == "s" else cfg.time_unit)):
            if not is_auto(value):
                raise InputError(f"{src_name}: {flag} {value} applies to event streams, but "
                                 f"column {table.columns['time']!r} holds snapshot indices "
                                 f"(force bucketing with --format events)")
        t = cols.pop("time")
        width, t0 = None, None
    w, src, dst = cols.pop("weight"), cols.pop("src"), cols.pop("dst")   # src/dst: into ids

    # snapshot count, from every row (before any row or node is dropped)
    needed = int(t.max()) + 1 if len(t) else 0
    if table.snapshots is not None and len(t):       # files: an empty last file counts
        needed = max(needed, table.snapshots)
    if cfg.snapshots is not None:
        if needed > cfg.snapshots:
            raise InputError(f"{table.where(int(np.argmax(t)))}: snapshot {needed - 1} is "
                             f"beyond --snapshots {cfg.snapshots}")
        num_t = cfg.snapshots
    else:
        num_t = needed

    # 3. negative weights
    neg = w < 0
    if neg.any():
        if cfg.negative == "error":
            pos = int(np.flatnonzero(neg)[0])
            col = table.columns.get("weight")
            label = f"column {col!r}" if isinstance(col, str) else f"column {int(col) + 1}"
            raise InputError(f"{table.where(pos)}: {label}: negative weight {_num(w[pos])} "
                             f"(choose --negative shift|abs|drop)")
        if cfg.negative == "drop":
            t, w, src, dst = _take(~neg, t, w, src, dst)
            log.info("%s: dropped %d rows with negative weights", src_name, int(neg.sum()))
        elif cfg.negative == "abs":
            w = np.abs(w)
        # shift: after duplicates are combined (step 6), so that one offset undoes it
    del neg

    # 4. self-loops (none between two id spaces: user 5 -> item 5 is not one)
    if cfg.self_loops == "drop" and not two_spaces:
        keep = src != dst
        if not keep.all():
            t, w, src, dst = _take(keep, t, w, src, dst)
    if len(t) == 0:
        raise InputError(f"{src_name}: no edges left after filtering "
                         f"(self-loops={cfg.self_loops}, negative={cfg.negative})")

    # 5. node ids (two id spaces: the sources first, then the destinations)
    num_sources = None
    if two_spaces:
        node_ids, s, d, num_sources = _two_space_index(table.ids, src, dst)
    else:
        node_ids, s, d = _node_index(table.ids, src, dst, cfg.nodes, src_name)
    del src, dst
    if cfg.top_k is not None and cfg.top_k < len(node_ids):
        node_ids, s, d, keep, chosen = _top_k(node_ids, s, d, cfg.top_k)
        t, w = t[keep], w[keep]
        if num_sources is not None:
            num_sources = int(np.searchsorted(chosen, num_sources))
        if len(t) == 0:
            raise InputError(f"{src_name}: no edges left after filtering: --top-k {cfg.top_k} "
                             f"keeps {len(node_ids)} node(s) with no link between them")
    n = len(node_ids)
    if num_sources is not None:
        log.info("%s: %s and %s ids counted apart (two id spaces: %d sources, %d "
                 "destinations; --one-id-space reads them as one)", src_name,
                 table.columns.get("src"), table.columns.get("dst"), num_sources,
                 n - num_sources)
    if num_t * n * n >= 2 ** 63:
        raise InputError(f"{src_name}: {num_t} snapshots x {n} x {n} nodes cannot be indexed; "
                         f"use fewer snapshots or --top-k")

    # 6. duplicates
    key = t.astype(np.int64, copy=True)                    # (t * N + s) * N + d, in place
    num_rows = len(t)
    del t
    key *= n
    key += s
    del s
    key *= n
    key += d
    del d
    key, w, first_row = _aggregate(key, w, cfg.agg)                    # sorted by key
    offset = 0.0
    if cfg.negative == "shift" and len(w) and (w < 0).any():
        step = 1.0 if np.all(w == np.round(w)) else max((w.max() - w.min()) / 1000.0, 1e-12)
        offset = -float(w.min()) + step
        w = w + offset
        log.warning("%s: shifted every weight by %s so the smallest is %s (predictions are "
                    "written back unshifted)", src_name, _num(offset), _num(step))
    cap = cfg.max_threshold
    big = np.abs(w) > (FLOAT32_MAX if cap is None else min(float(cap), FLOAT32_MAX))
    pre_clipped = 0
    if big.any():
        if cap is None or not np.isfinite(w).all():
            cand = np.flatnonzero(big)                      # the one met first in the file
            k = int(cand[np.argmin(first_row[cand])])
            tt, rest = divmod(int(key[k]), n * n)
            raise InputError(f"{src_name}: weight {w[k]:.6g} of snapshot {tt}, link "
                             f"{node_ids[rest // n]!r} -> {node_ids[rest % n]!r} (duplicates "
                             f"combined with --agg {cfg.agg}) is beyond the float32 range "
                             f"(3.4e38); rescale the weights or clip them with --max-threshold")
        pre_clipped = int(big.sum())
        w = np.where(big, float(cap), w)
    del big, first_row

    # 7. the sorted edge table (float32, zeros left out, as in a dense tensor) and direction
    w32 = torch.from_numpy(np.asarray(w, dtype=np.float32))
    del w
    nonzero = (w32 != 0).numpy()
    if not nonzero.all():
        key, w32 = key[nonzero], w32[torch.from_numpy(nonzero)]
    del nonzero
    if cfg.directed is True or two_spaces:
        directed = True                          # imposed: no need to look at the mirror
    else:
        key_t = _mirror_keys(key, n)
        symmetric = _is_symmetric(key, key_t, w32, n)
        if cfg.directed is None:
            directed = not symmetric
        else:
            directed = False
            if not symmetric:
                key, w32 = _symmetrise(key, key_t, w32)
                log.info("%s: symmetrised links with max(w_ij, w_ji)", src_name)
        del key_t

    # 8. clip and scale
    if cap is not None:
        clipped = int((w32 > cap).sum()) + pre_clipped
        if clipped:
            w32 = w32.clamp(max=float(cap))
            log.info("%s: clipped %d weights above %s", src_name, clipped, _num(cap))
    wmax = float(w32.max()) if w32.numel() else 0.0
    if w32.numel() < num_t * n * n:                   # zero entries count, as in a dense max
        wmax = max(wmax, 0.0)
    denom = float(cap) if cap is not None else (wmax if wmax > 0 else 1.0)
    if width is not None:
        times = [_num_value(t0 + k * width) for k in range(num_t)]
    tk, rest = np.divmod(key, n * n)
    del key
    seq = SnapshotSequence.from_edges(
        tk, rest // n, rest % n, w32.numpy(), num_t, list(node_ids), directed,
        Scaler(cfg.scale, denom), times=times, source=src_name, num_rows=num_rows,
        weight_offset=offset, granularity=width, presorted=True, num_sources=num_sources,
        time_unit=time_unit)
    log.info("%s: %d nodes, %d snapshots, %d rows kept, %s", src_name, n, num_t, num_rows,
             "directed" if directed else "undirected")
    return seq


def _symmetrise(key: np.ndarray, key_t: np.ndarray, w32: torch.Tensor):
    """Union of the entries and their mirrors, ``max(w_ij, w_ji)`` where both exist; keys
    sorted and unique (weights are positive here, so a missing mirror is ``max(w, 0) = w``)."""
    both = np.concatenate([key, key_t])
    wb = torch.cat([w32, w32])
    order = np.argsort(both, kind="stable")
    both, wb = both[order], wb[torch.from_numpy(order)].numpy()
    first = np.concatenate([[True], both[1:] != both[:-1]])
    starts = np.flatnonzero(first)
    return both[starts], torch.from_numpy(np.maximum.reduceat(wb, starts))


def _node_index(ids: list, src: np.ndarray, dst: np.ndarray, num_nodes: Optional[int],
                source: str) -> tuple[list, np.ndarray, np.ndarray]:
    """:func:`gcngan.data.edgelist.node_index` on id codes: ``ids`` are the sorted distinct
    ids of the file, ``src``/``dst`` index them; only the ids of the rows kept become nodes."""
    integer = bool(ids) and isinstance(ids[0], int)
    if integer and num_nodes is not None:
        vals = np.asarray(ids, dtype=np.int64)
        lo = min(int(vals[src].min()), int(vals[dst].min())) if len(src) else 0
        hi = max(int(vals[src].max()), int(vals[dst].max())) if len(src) else -1
        if len(src) and lo >= 0 and hi < num_nodes:
            return list(range(num_nodes)), vals[src], vals[dst]
    node_ids, remap = _used_ids(ids, src, dst)
    if num_nodes is not None and len(node_ids) != num_nodes:
        hint = (f"ids are not the integers 0..{num_nodes - 1}" if len(node_ids) < num_nodes
                else "more ids than that")
        raise InputError(f"{source}: --nodes {num_nodes} but the data has {len(node_ids)} "
                         f"distinct node ids ({hint})")
    return node_ids, remap[src], remap[dst]


def _used_ids(ids: list, *codes: np.ndarray, offset: int = 0) -> tuple[list, np.ndarray]:
    """The ids that ``codes`` (indices into ``ids``) use, in id order, and the map from a
    code to its node, ``offset + rank`` (-1: unused)."""
    used = np.zeros(len(ids), dtype=bool)
    for c in codes:
        used[c] = True
    chosen = np.flatnonzero(used)
    remap = np.full(len(ids), -1,
                    dtype=np.int32 if len(ids) + offset < 2 ** 31 else np.int64)
    remap[chosen] = offset + np.arange(len(chosen))
    return [ids[i] for i in chosen], remap


def _check_two_spaces(cfg: DataConfig, source: str) -> None:
    """Refuse the settings that need one id space (``--nodes``: ids ``0..N-1`` of both
    sides; ``--undirected``: links both ways) when the sides are counted apart."""
    why = ("the sources and destinations are counted apart (two id spaces: --bipartite, or "
           "columns named user_id/item_id); add --one-id-space to read them as one set of "
           "nodes")
    if cfg.nodes is not None:
        raise InputError(f"{source}: --nodes {cfg.nodes} needs one id space, but {why}")
    if cfg.directed is False:
        raise InputError(f"{source}: --undirected needs one id space (a link user -> item "
                         f"has no reverse), but {why}")


def _two_space_index(ids: list, src: np.ndarray, dst: np.ndarray
                     ) -> tuple[list, np.ndarray, np.ndarray, int]:
    """Two id spaces on id codes (``ids`` the sorted distinct ids of both columns,
    ``src``/``dst`` index them): the ``U`` distinct sources are nodes ``0..U-1`` and the
    distinct destinations ``U..N-1``, each side in id order; an id on both sides is two
    nodes. Returns ``(node_ids, s, d, U)``."""
    sources, src_map = _used_ids(ids, src)
    dests, dst_map = _used_ids(ids, dst, offset=len(sources))
    return sources + dests, src_map[src], dst_map[dst], len(sources)


def _take(keep: np.ndarray, t, w, src: np.ndarray, dst: np.ndarray):
    return t[keep], w[keep], src[keep], dst[keep]


def _top_k(node_ids: list, s: np.ndarray, d: np.ndarray, k: int):
    """Keep the ``k`` nodes with most rows (ties: smaller index first); re-index them in
    their order. Returns ``(node_ids, s, d, rows kept, chosen old indices (sorted))``."""
    n = len(node_ids)
    activity = np.bincount(s, minlength=n) + np.bincount(d, minlength=n)
    chosen = np.sort(np.argsort(-activity, kind="stable")[:k])
    remap = np.full(n, -1, dtype=np.int32 if n < 2 ** 31 else np.int64)
    remap[chosen] = np.arange(len(chosen))
    s2, d2 = remap[s], remap[d]
    keep = (s2 >= 0) & (d2 >= 0)
    return [node_ids[i] for i in chosen], s2[keep], d2[keep], keep, chosen


def _aggregate(key: np.ndarray, w: np.ndarray, agg: str
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Combine rows with the same flat key.

    Returns:
        ``(keys, weights, first_row)``: the distinct keys sorted, their combined weights and
        the row where each key first occurs. One stable sort finds the groups; only rows
        whose key repeats go through ``pandas.groupby`` (in file order, so ``sum``/``mean``
        round exactly as a groupby over every row, and ``last`` is the last in the file).
    """
    order = np.argsort(key, kind="stable")
    ks = key[order]
    start = np.ones(len(ks), dtype=bool)
    start[1:] = ks[1:] != ks[:-1]
    starts = np.flatnonzero(start)
    first_row = order[starts]
    if len(starts) == len(ks):                                   # no duplicates
        out = np.ones(len(ks)) if agg == "count" else w[order]
        return ks, out, first_row
    if agg == "count":
        sizes = np.diff(np.append(starts, len(ks)))
        return ks[starts], sizes.astype(np.float64), first_row
    out = w[order[starts]]                                       # singletons: the weight
    rep = ~start                                                 # sorted rows of a repeated key
    rep[:-1] |= ~start[1:]
    pos = np.flatnonzero(rep)
    group = np.searchsorted(starts, pos, side="right") - 1
    rows = order[pos]                                            # grouped by key, file order
    g = pd.Series(w[rows]).groupby(group, sort=True)
    res = {"sum": g.sum, "mean": g.mean, "max": g.max, "last": g.last}[agg]()
    out[res.index.to_numpy(dtype=np.int64)] = res.to_numpy(dtype=np.float64)
    return ks[starts], out, first_row


def _mirror_keys(key: np.ndarray, n: int) -> np.ndarray:
    """Flat key of the mirror ``(t, dst, src)`` of each entry ``(t * N + src) * N + dst``."""
    tk, rest = np.divmod(key, n * n)
    return (tk * n + rest % n) * n + rest // n


def _is_symmetric(key: np.ndarray, key_t: np.ndarray, w32: torch.Tensor, n: int) -> bool:
    """Whether every entry's mirror is present with the same weight (``adj == adj^T``);
    unequal counts above and below the diagonal decide without a sort."""
    rest = key % (n * n)
    upper = int(np.count_nonzero(rest // n < rest % n))
    lower = int(np.count_nonzero(rest // n > rest % n))
    if upper != lower:
        return False
    order_t = np.argsort(key_t, kind="stable")
    return bool(np.array_equal(key_t[order_t], key)
                and torch.equal(w32[torch.from_numpy(order_t)], w32))


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _num_value(x: float):
    return int(x) if float(x).is_integer() else float(x)


def _duration(seconds: float) -> str:
    """``"31.0 days"``, ``"5.2 hours"``, ``"40 s"``: a stream's span for messages."""
    for unit, size in (("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if seconds >= 2 * size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:g} s"


def _in_seconds(table: EdgeColumns, secs: np.ndarray,
                cfg: DataConfig) -> tuple[np.ndarray, str]:
    """An event stream's times in seconds and their unit as read
    (:func:`~gcngan.data.events.resolve_time_unit`); a unit other than seconds is logged
    with how it was decided."""
    name = table.columns["time"]
    unit, why = resolve_time_unit(cfg.time_unit, name, secs, table.numeric_times,
                                  table.source)
    if unit == "s":
        return secs, unit
    secs = secs / TIME_UNITS[unit]
    first = pd.Timestamp(float(secs.min()), unit="s") if len(secs) else None
    log.info("%s: column %r read as Unix %s (from %s)%s; --time-unit sets the unit",
             table.source, str(name), TIME_UNIT_NAMES[unit], why,
             f", from {first:%Y-%m-%d %H:%M}" if first is not None else "")
    return secs, unit


def _refuse_unclear_times(table: EdgeColumns, secs: np.ndarray, cfg: DataConfig) -> None:
    """Without a granularity, a time column is bucketed automatically only when it surely
    holds times: named as a timestamp (``timestamp``, ``ts`` ..., or a time name with a unit
    suffix such as ``time_ms``), forced with
    ``--format events``, or datetimes / Unix seconds (values above
    :data:`~gcngan.data.edgelist.MAX_SNAPSHOT_INDEX`, or integers as sparse as seconds:
    :func:`~gcngan.data.edgelist.looks_like_seconds`). Small numbers that are negative or
    fractional are as likely a broken snapshot index, so they need ``--granularity``."""
    name = table.columns["time"]
    if (cfg.format == "events" or str(name).strip().lower() in EVENT_NAMES
            or time_name_with_unit(name)):
        return
    if len(secs) and float(secs.min()) >= 0 and float(secs.max()) > MAX_SNAPSHOT_INDEX:
        return
    if len(secs) and float(secs.min()) >= 0 and np.all(secs == np.round(secs)) and \
            looks_like_seconds(float(secs.min()), float(secs.max()), int(unique(secs).size)):
        return                                            # sparse integers: seconds
    raise InputError(f"{table.source}: column {name!r} holds small negative or fractional "
                     f"numbers, neither snapshot indices nor Unix times; if they are seconds, "
                     f"give --granularity (e.g. 3600, 1h, 1d)")
