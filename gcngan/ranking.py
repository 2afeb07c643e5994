r"""Ranking evaluation with fixed negatives (TGB-style one-vs-many link prediction).

For each target snapshot ``t``, a **query** is a true link ``u -> v`` of ``A_t`` (``u != v``)
with ``q`` negative destinations ``v'`` (``A_t[u, v'] = 0``, ``v' != u``): up to ``q/2``
*historical* ones (``u -> v'`` linked in some snapshot before ``t``), the rest uniform
over all nodes. Candidates are generated once (:func:`generate_negatives`), written as CSV
``query,t,src,dst,label`` with its sha256 (:func:`write_negatives`), and every predictor
ranks the same rows (:func:`read_negatives` reads a supplied file).

The rank of the true link counts ties half, as TGB's evaluator (the mean of the
optimistic and pessimistic ranks):

.. math::
    \text{rank} = 1 + \#\{s_{v'} > s_v\} + \tfrac12\,\#\{s_{v'} = s_v\}

MRR is the mean of ``1 / rank``, Hits@k the share of queries with ``rank <= k``, for all
queries, **new** links (``u -> v`` never linked before ``t``) and **repeated** ones. AUC
(ties average-ranked) and AP (ties as one threshold) pool every candidate row; for
weighted data RMSE/MAE compare the predicted raw weights with ``A_t`` at the same rows
(0 for the negatives). For a predictor that forecasts weights (the trained model:
:func:`forecasts_weights`), :func:`link_diagnostics` compares the links it predicts on the
candidate pairs (weight > 0) with the true ones: counts, existence precision / recall / F1,
and W1 / KS of its weights on the true links.
"""
from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from gcngan.config import QUERY_DRAWS, UNIFORM_NEGATIVES   # how queries / negatives are drawn
from gcngan.errors import InputError
from gcngan.structural import PairIndex, PairPredictor, as_index, fit_predictors

log = logging.getLogger(__name__)

COLUMNS = ("query", "t", "src", "dst", "label")
HITS = (1, 3, 10)
HIGHER_IS_BETTER = {"mrr": True, "hits@1": True, "hits@3": True, "hits@10": True,
                    "auc": True, "ap": True, "rmse": False, "mae": False}


@dataclass
class Candidates:
    """Candidate rows of a ranking evaluation, node indices (not original ids).

    Shapes:
        - **query, t, src, dst:** :math:`(R,)` int64; ``query`` in ``0 .. Q-1``, rows of a
          query contiguous or not
        - **label:** :math:`(R,)` bool, exactly one ``True`` per query
    """

    query: np.ndarray
    t: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    label: np.ndarray
    sha256: str = ""
    path: str = ""

    @property
    def num_queries(self) -> int:
        return int(self.query.max()) + 1 if self.query.size else 0

    def __len__(self) -> int:
        return int(self.query.size)


# ----- negatives ------------------------------------------------------------------------
def _sample_from(rng: np.random.Generator, pool: np.ndarray, need: int,
                 excluded: np.ndarray) -> np.ndarray:
    """``need`` distinct nodes of ``pool`` (sorted unique) outside ``excluded`` (sorted
    unique), uniform; fewer distinct ones than asked -> all of them, then repeats drawn
    from them."""
    avail = np.setdiff1d(pool, excluded, assume_unique=True)
    if need <= 0 or avail.size == 0:
        return np.zeros(0, dtype=np.int64)
    if avail.size >= need:
        return rng.choice(avail, size=need, replace=False)
    return np.concatenate([rng.permutation(avail),
                           rng.choice(avail, size=need - avail.size, replace=True)])


def _sample_uniform(rng: np.random.Generator, n: int, need: int,
                    excluded: np.ndarray, nodes: Optional[np.ndarray] = None) -> np.ndarray:
    """``need`` distinct nodes of ``0 .. n-1`` (or of ``nodes``, sorted unique, when given)
    outside ``excluded`` (sorted unique), uniform; fewer distinct ones than asked -> all of
    them, then repeats drawn from them."""
    size = n if nodes is None else nodes.size
    available = size - excluded.size                       # a lower bound with ``nodes``
    if need <= 0 or size == 0 or (nodes is None and available <= 0):
        return np.zeros(0, dtype=np.int64)
    if available < max(2 * need, size // 2):               # crowded: draw from the complement
        pool = np.arange(n, dtype=np.int64) if nodes is None else nodes
        return _sample_from(rng, pool, need, excluded)
    out = np.zeros(0, dtype=np.int64)
    while out.size < need:
        draw = rng.integers(0, size, size=2 * (need - out.size) + 8)
        if nodes is not None:
            draw = nodes[draw]
        draw = draw[~np.isin(draw, excluded)]
        _, first = np.unique(draw, return_index=True)
        draw = draw[np.sort(first)]
        draw = draw[~np.isin(draw, out)]
        out = np.concatenate([out, draw[:need - out.size]])
    return out


def _shared_pools(rng: np.random.Generator, n: int, among: Optional[np.ndarray], pool: int,
                  uniform_from: str, everyone: Optional[np.ndarray] = None):
    """The nodes a target's queries draw their uniform negatives from when they share a pool
    of ``pool`` nodes (``generate_negatives(pool=K)``), or ``None`` when they do not: ``K``
    sorted nodes drawn uniformly from all ``n`` nodes (``uniform_from='all'``; ``everyone``,
    sorted, instead of ``0 .. n-1`` when given) or from the destinations ``among``
    (``'destinations'``); for ``'both'``, a pair ``(K // 2`` of the destinations, the other
    ``K - K // 2`` of all nodes``)``, the halves each query draws from (all of the
    destinations when there are fewer). Shared only when ``0 < K`` and ``K`` is fewer than
    the nodes drawn from (all nodes for ``'all'`` and ``'both'``): a pool as large as its
    nodes draws nothing, so the negatives are those of ``pool=0``."""
    if uniform_from == "destinations":
        if not 0 < pool < among.size:
            return None
        return among[np.sort(rng.choice(among.size, size=pool, replace=False))]
    size = n if everyone is None else everyone.size
    if not 0 < pool < size:
        return None

    def draw(k: int) -> np.ndarray:
        pick = np.sort(rng.choice(size, size=k, replace=False))
        return pick if everyone is None else everyone[pick]

    if uniform_from == "all":
        return draw(pool)
    half = pool // 2
    dest = (among if among.size <= half
            else among[np.sort(rng.choice(among.size, size=half, replace=False))])
    return dest, draw(pool - half)


def _draw_queries(rng: np.random.Generator, src: np.ndarray, size: int,
                  by: str) -> np.ndarray:
    """Sorted positions of ``size`` of a target's links (sources ``src``, more than
    ``size``): uniform among the links (``by='links'``), or whole sources
    (``by='sources'``): every link of the sources in a uniform random order until ``size``
    links, the last source's links drawn uniformly to fill exactly ``size``."""
    if by == "links":
        return np.sort(rng.choice(src.size, size=size, replace=False))
    sources, count = np.unique(src, return_counts=True)
    perm = rng.permutation(sources.size)
    order, count = sources[perm], count[perm]                         # sources, drawn order
    whole = int(np.searchsorted(np.cumsum(count), size, side="right"))  # sources kept whole
    kept = np.flatnonzero(np.isin(src, order[:whole]))
    if kept.size < size:                                  # part of the next source's links
        rest = np.flatnonzero(src == order[whole])
        kept = np.concatenate([kept, rng.choice(rest, size=size - kept.size, replace=False)])
    return np.sort(kept)


def generate_negatives(seq, targets: Sequence[int], *, q: int = 100, max_queries: int = 1000,
                       seed: int = 0, pool: int = 0, uniform_from: str = "all",
                       queries_by: str = "links") -> Candidates:
    """Queries and negatives for ``targets`` (see the module docstring).

    Queries of a target are its links ``u -> v`` with ``u != v`` in ``(src, dst)`` order;
    when there are more than ``max_queries``, that many are drawn without replacement
    (then kept in order). Negatives of a query: ``min(q // 2, #history)`` historical
    destinations drawn without replacement from ``u``'s links before ``t`` that are not
    links of ``A_t`` (and not ``u``), then uniform ones from the other nodes, no duplicates
    while the node count allows. A query whose source links to every other node has no
    negative and is skipped. Undirected data store both directions of a link, so each
    link gives two queries (``u -> v`` and ``v -> u``), as in its snapshots.

    Args:
        seq (SnapshotSequence | PairIndex): The data.
        targets (Sequence[int]): Target snapshot indices, each ``< T``.
        q (int, optional): Negatives per query. (default: ``100``)
        max_queries (int, optional): Queries per target at most. (default: ``1000``)
        seed (int, optional): Seed of ``numpy.random.default_rng``. (default: ``0``)
        pool (int, optional): ``0``: each query's uniform negatives come from all nodes
            (the evaluation's). ``K`` (``0 < K < N``): a target's queries share one pool
            of ``K`` nodes drawn uniformly for the target, and draw their uniform
            negatives from it (PyTorch-BigGraph's batched negatives; each query's are
            still uniform over the nodes, but a target's candidates then have at most
            ``K`` uniform endpoints: the sparse family's training candidates,
            ``train.negative_pool``); with ``uniform_from='both'`` half the pool comes
            from the destinations, half from all nodes, and each query draws half its
            uniform negatives from each half. A pool at least as large as the nodes it is
            drawn from is no pool (the negatives of ``pool=0``). (default: ``0``)
        uniform_from (str, optional): Where the uniform negatives come from: ``"all"`` nodes
            (default), or ``"destinations"``: the nodes that are the destination of some
            link in a snapshot ``<= t`` (:meth:`PairIndex.destinations`), as TGB draws its
            random negatives from the destination ids only; on a bipartite user -> item
            stream that keeps users out of a query's negatives. With two id spaces
            (:attr:`SnapshotSequence.num_sources`) "all" nodes are every destination-side
            node: a source is never a negative destination.
        queries_by (str, optional): How a target with more than ``max_queries`` links
            draws its queries: uniform ``"links"`` (default, the evaluation's), or whole
            ``"sources"`` (every next link of sources drawn in a uniform random order, the
            last one's in part): its queries then share their sources and with them the
            historical negatives' endpoints (the sparse family's ``train.queries_by``).

    Returns:
        Candidates: ``1 + q`` rows per query, the positive first.
    """
    if q < 1:
        raise InputError(f"--q {q} must be >= 1")
    if max_queries < 1:
        raise InputError(f"--max-queries {max_queries} must be >= 1")
    if pool < 0:
        raise InputError(f"negative pool {pool} must be >= 0")
    if uniform_from not in UNIFORM_NEGATIVES:
        raise InputError(f"uniform negatives from {uniform_from!r}: expected one of "
                         f"{', '.join(UNIFORM_NEGATIVES)}")
    if queries_by not in QUERY_DRAWS:
        raise InputError(f"queries drawn by {queries_by!r}: expected one of "
                         f"{', '.join(QUERY_DRAWS)}")
    index = as_index(seq)
    n, T = index.num_nodes, index.num_snapshots
    rng = np.random.default_rng(seed)
    u_count = index.seq.num_sources            # two id spaces: a destination is never a source
    everyone = None if u_count is None else np.arange(u_count, n, dtype=np.int64)
    rows_t, rows_src, rows_dst, rows_q = [], [], [], []
    qid = 0
    for t in targets:
        t = int(t)
        if not 0 <= t < T:
            raise InputError(f"target snapshot {t} out of range 0 .. {T - 1}")
        keys, _ = index.snapshot(t)
        s, d = keys // n, keys % n
        off = s != d
        qs, qd = s[off], d[off]
        if qs.size > max_queries:
            pick = _draw_queries(rng, qs, max_queries, queries_by)
            qs, qd = qs[pick], qd[pick]
        among = index.destinations(t) if uniform_from != "all" else None  # (D,)
        shared = (_shared_pools(rng, n, among, pool, uniform_from, everyone) if qs.size
                  else None)
        for u, v in zip(qs.tolist(), qd.tolist()):
            lo, hi = np.searchsorted(keys, [u * n, (u + 1) * n])
            excl = np.union1d(keys[lo:hi] - u * n, [u])                 # links of A_t, u
            hist = np.setdiff1d(index.history(u, t), excl, assume_unique=True)
            k = min(q // 2, hist.size)
            neg_h = rng.choice(hist, size=k, replace=False) if k else np.zeros(0, np.int64)
            taken = np.union1d(excl, neg_h)
            if shared is not None and uniform_from == "both":   # half each, from its pool
                neg_d = _sample_from(rng, shared[0], (q - k) // 2, taken)
                neg_u = np.concatenate([neg_d, _sample_from(
                    rng, shared[1], q - k - neg_d.size, np.union1d(taken, neg_d))])
            elif shared is not None:
                neg_u = _sample_from(rng, shared, q - k, taken)
            elif uniform_from == "both":          # half from the destinations, half from all
                neg_d = _sample_uniform(rng, n, (q - k) // 2, taken, among)
                neg_u = np.concatenate([neg_d, _sample_uniform(
                    rng, n, q - k - neg_d.size, np.union1d(taken, neg_d), everyone)])
            else:
                neg_u = _sample_uniform(rng, n, q - k, taken,
                                        among if among is not None else everyone)
            neg = np.concatenate([neg_h, neg_u]).astype(np.int64)
            if neg.size == 0:
                continue
            m = 1 + neg.size
            rows_q.append(np.full(m, qid, dtype=np.int64))
            rows_t.append(np.full(m, t, dtype=np.int64))
            rows_src.append(np.full(m, u, dtype=np.int64))
            rows_dst.append(np.concatenate([[v], neg]))
            qid += 1
    cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0, np.int64))
    query = cat(rows_q)
    label = np.zeros(query.size, dtype=bool)
    if query.size:
        label[np.r_[0, np.flatnonzero(np.diff(query)) + 1]] = True
    return Candidates(query=query, t=cat(rows_t), src=cat(rows_src), dst=cat(rows_dst),
                      label=label)


def negatives_csv(cands: Candidates, node_ids: Sequence) -> bytes:
    """The candidates as CSV bytes ``query,t,src,dst,label`` (original node ids, ``\\n``)."""
    import pandas as pd

    ids = np.asarray([str(x) for x in node_ids], dtype=object)
    df = pd.DataFrame({"query": cands.query, "t": cands.t, "src": ids[cands.src],
                       "dst": ids[cands.dst], "label": cands.label.astype(np.int8)})
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def write_negatives(path: str | Path, cands: Candidates, node_ids: Sequence) -> str:
    """Write the candidates CSV and ``PATH.sha256`` (``sha256sum`` format) atomically;
    sets and returns ``cands.sha256``."""
    from gcngan.io import atomic_path, atomic_write_text

    path = Path(path)
    data = negatives_csv(cands, node_ids)
    digest = hashlib.sha256(data).hexdigest()
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    atomic_write_text(sha256_path(path), f"{digest}  {path.name}\n")
    cands.sha256, cands.path = digest, str(path)
    return digest


def sha256_path(path: str | Path) -> Path:
    """``PATH.sha256`` beside a negatives file."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def read_negatives(path: str | Path, seq, window: int) -> Candidates:
    """Read and validate a candidates CSV written by :func:`write_negatives` (or by hand).

    Checks, each failing with a one-line :class:`InputError` naming the file and line:
    the columns ``query,t,src,dst,label`` (on event data an event-time column such as
    ``timestamp`` may stand for ``t``: each row at the snapshot its time falls in, as
    :func:`read_pairs` reads it); integer ``t`` with a full window before it and a true
    snapshot (``window <= t < T``); node ids of the data; ``label`` 0 or 1; one
    ``t`` per query and exactly one ``label = 1`` per query. A ``PATH.sha256`` beside it
    must match the file's digest.

    Returns:
        Candidates: With ``sha256`` of the file's bytes and ``path``.
    """
    import pandas as pd

    from gcngan.data.edgelist import compression_of, open_bytes

    path = Path(path)
    try:
        data = path.read_bytes()
        text = data
        if compression_of(path):                 # a .gz: the digest is the file's
            with open_bytes(path) as fh:
                text = fh.read()
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read negatives file "
                         f"({getattr(exc, 'strerror', None) or exc})") from None
    digest = hashlib.sha256(data).hexdigest()
    side = sha256_path(path)
    if side.is_file():
        want = side.read_text(encoding="utf-8").split()
        if want and want[0].lower() != digest:
            raise InputError(f"{path}: sha256 {digest} does not match {side.name} ({want[0]})")
    df = _canonical_columns(_read_pair_table(io.BytesIO(text), text[:4096], path), seq)
    time_col = _time_column(df)
    missing = [c for c in COLUMNS if c not in df.columns and not (c == "t" and time_col)]
    if missing:
        raise InputError(f"{path}:1: missing column(s) {', '.join(missing)}; expected "
                         f"{','.join(COLUMNS)} (or timestamp for t, on event data)")
    if df.empty:
        raise InputError(f"{path}: no candidate rows")
    index = as_index(seq)
    line = np.arange(len(df)) + 2                                      # header is line 1
    t = _snapshot_column(df, time_col, index.seq, path, line)
    T = index.num_snapshots
    bad = (t < window) | (t >= T)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{path}:{line[i]}: {_given_time(df, time_col, t, i)} out of range: "
                         f"needs a full window of {window} before it and a true snapshot "
                         f"({window} .. {T - 1})")
    src = map_node_ids(df["src"], index.seq, path, line, "src")
    dst = map_node_ids(df["dst"], index.seq, path, line, "dst")
    lab = df["label"].str.strip()
    bad = ~lab.isin(["0", "1"]).to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{path}:{line[i]}: label {df['label'].iloc[i]!r} must be 0 or 1")
    label = (lab == "1").to_numpy()
    qcodes, _ = pd.factorize(df["query"].str.strip())
    query = qcodes.astype(np.int64)
    npos = np.bincount(query, weights=label.astype(np.float64))
    bad_q = np.flatnonzero(npos != 1)
    if bad_q.size:
        i = int(np.flatnonzero(query == bad_q[0])[0])
        raise InputError(f"{path}:{line[i]}: query {df['query'].iloc[i]!r} has "
                         f"{int(npos[bad_q[0]])} rows with label=1 (exactly one expected)")
    _, first = np.unique(query, return_index=True)
    tq = t[first]                                          # t of each query's first row
    bad = tq[query] != t
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{path}:{line[i]}: query {df['query'].iloc[i]!r} mixes snapshots "
                         f"(t={t[i]} and t={tq[query[i]]})")
    return Candidates(query=query, t=t, src=src, dst=dst, label=label, sha256=digest,
                      path=str(path))


#: Columns of a pairs file that give an event time instead of a snapshot index ``t``
#: (the first present is read; ``t`` wins when present).
PAIR_TIME_NAMES = ("timestamp", "ts", "time", "datetime", "date", "unix_time", "unixtime",
                   "created_at", "time_stamp", "unix_timestamp", "created", "day", "week",
                   "month", "year", "period")


def read_pairs(path: str | Path, seq, window: int, *, strict: bool = True,
               data_time_col: Optional[str] = None):
    """Read a pairs CSV for :func:`score_pairs_file`: columns ``t,src,dst`` (original node
    ids; other columns are ignored), or ``timestamp,src,dst`` for event data.

    ``t`` is a snapshot index with a full window before it: ``window <= t <= T``
    (``t = T`` is the snapshot after the data; with ``strict=False`` any ``t >= window``,
    and a node id that is not in the data reads as ``-1``). Instead of ``t``, a column of
    :data:`PAIR_TIME_NAMES`, or named as the data's own time column (``data_time_col``),
    or a time name with a unit suffix, holds event times in the data's own units (Unix
    times in its unit, or ISO datetimes, as the event stream was read): each is scored at the snapshot its time
    falls in (:func:`event_snapshots`), from the window before it, so the links of that
    snapshot are not seen — TGB's queries, each with its event's timestamp, score as they
    are. Errors name the file, line and value.

    Returns:
        tuple: ``(frame, t, src, dst, time_column)``: the raw rows (strings), three (P,)
        int64 arrays of snapshot and node indices, and the column ``t`` was read from.
    """
    import pandas as pd

    from gcngan.data.edgelist import compression_of, open_bytes

    path = Path(path)
    try:
        if path.is_file() and compression_of(path):            # pairs.csv.gz: read whole
            with open_bytes(path) as fh:
                source = io.BytesIO(fh.read())
            head = source.getvalue()[:4096]
        else:
            with open(path, "rb") as fh:
                head = fh.read(4096)
                # a pipe (``--pairs <(...)``, /dev/stdin) can be read once only: keep it
                source = path if path.is_file() else io.BytesIO(head + fh.read())
    except FileNotFoundError:
        raise InputError(f"{path}: pairs file not found") from None
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read pairs file "
                         f"({getattr(exc, 'strerror', None) or exc})") from None
    df = _canonical_columns(_read_pair_table(source, head, path), seq)
    time_col = _time_column(df, data_time_col)
    missing = [c for c, ok in (("t", time_col), ("src", "src" in df.columns),
                               ("dst", "dst" in df.columns)) if not ok]
    if missing:
        raise InputError(f"{path}:1: missing column(s) {', '.join(missing)}; expected t,src,dst "
                         f"(t a snapshot index) or timestamp,src,dst (event times)")
    index = as_index(seq)
    line = np.arange(len(df)) + 2
    T = index.num_snapshots
    t = _snapshot_column(df, time_col, index.seq, path, line)
    bad = (t < window) | ((t > T) if strict else False)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{path}:{line[i]}: {_given_time(df, time_col, t, i)} out of range: "
                         f"a target needs a full window of {window} before it ({window} .. "
                         f"{T}){_index_hint(time_col, index.seq)}")
    unknown = None if strict else -1
    src = map_node_ids(df["src"], index.seq, path, line, "src", unknown=unknown)
    dst = map_node_ids(df["dst"], index.seq, path, line, "dst", unknown=unknown)
    return df, t, src, dst, time_col


def _read_pair_table(source, head: bytes, path):
    """A pairs or negatives table as strings, its separator (tab, comma, semicolon or
    whitespace) taken from the first line ``head`` starts with, as ingestion takes it. A
    row with more fields than the header is an error (pandas would silently shift it into
    an index), unless the header ends in a feature list, as JODIE's and TGB's raw files
    do (:data:`~gcngan.data.edgelist.FEATURE_LIST_NAMES`): then the fields past the named
    columns are ignored."""
    import warnings

    import pandas as pd

    from gcngan.data.edgelist import (FEATURE_LIST_NAMES, detect_separator, parser_message,
                                      split_fields)

    first = head.decode("utf-8", errors="replace").lstrip("\ufeff").split("\n", 1)[0]
    sep = detect_separator(first)
    names = split_fields(first.rstrip("\r"), sep)
    kw = dict(dtype=str, keep_default_na=False, sep=sep, engine="c", index_col=False)
    if len(names) > 1 and names[-1].lower() in FEATURE_LIST_NAMES:
        kw.update(header=None, skiprows=1, names=names[:-1], usecols=names[:-1])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(source, **kw)
    except pd.errors.ParserWarning:
        raise InputError(f"{path}:2: more fields than the {len(names)} header columns") \
            from None
    except pd.errors.ParserError as exc:
        raise InputError(f"{path}: {parser_message(exc)}") from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a CSV ({str(exc).splitlines()[0]})") from None


def _canonical_columns(df, seq):
    """``df`` with its source, destination and snapshot-index columns named ``src``, ``dst``
    and ``t`` when it names them as an edge list may (``source,target``, ``u,i``,
    ``snapshot``, ...: the names ingestion recognises, any case); on event data a column
    named ``time``/``day``/... holds event times and keeps its name. Names already
    canonical are left alone."""
    from gcngan.data.edgelist import (AMBIGUOUS_TIME_NAMES, DST_NAMES, PAIRED_DST_NAMES,
                                      SNAPSHOT_NAMES, SRC_NAMES)

    lowered = {str(c).strip().lower(): c for c in df.columns}

    def first(names):
        return next((lowered[n] for n in names if n in lowered), None)

    rename = {}
    if "src" not in df.columns and "dst" not in df.columns:
        src, dst = first(SRC_NAMES), first(DST_NAMES)
        if dst is None and src is not None:
            paired = PAIRED_DST_NAMES.get(str(src).strip().lower())
            dst = lowered.get(paired) if paired else None
        if src is not None and dst is not None and src != dst:
            rename.update({src: "src", dst: "dst"})
    if "t" not in df.columns:
        events = getattr(as_index(seq).seq, "granularity", None) is not None
        index_names = SNAPSHOT_NAMES + (() if events else AMBIGUOUS_TIME_NAMES)
        found = first(index_names)
        if found is not None and found not in rename:
            rename[found] = "t"
    return df.rename(columns=rename) if rename else df


def _time_column(df, data_time_col: Optional[str] = None) -> Optional[str]:
    """``t`` when the frame has it, else its first column of :data:`PAIR_TIME_NAMES`, else
    the data's own time column (``data_time_col``, as ``--time-col`` named it), else its
    first time column with a unit suffix (``created_at_ms``)."""
    from gcngan.data.edgelist import time_name_with_unit

    if "t" in df.columns:
        return "t"
    lowered = {str(c).strip().lower(): c for c in df.columns}
    names = (*PAIR_TIME_NAMES, *([str(data_time_col).strip().lower()] if data_time_col else []))
    found = next((lowered[c] for c in names if c in lowered), None)
    return found if found is not None else next(
        (c for c in df.columns if time_name_with_unit(c)), None)


def _snapshot_column(df, time_col: str, seq, path, line) -> np.ndarray:
    """The snapshot index of each row (P,) int64: ``t`` as given, or the snapshot an event
    time falls in (:func:`event_snapshots`)."""
    if time_col == "t":
        return _int_column(df["t"], path, line, "t")
    return event_snapshots(seq, df[time_col], path, line, time_col)


def _index_hint(time_col: str, seq) -> str:
    """On event data, a ``t`` out of range may be a time given as ``t``: say which is which."""
    if time_col == "t" and getattr(seq, "granularity", None) is not None:
        return "; t is a snapshot index: give event times in a column named timestamp"
    return ""


def _given_time(df, time_col: str, t: np.ndarray, i: int) -> str:
    """Row ``i``'s time as given, for messages (an event time with its snapshot)."""
    if time_col == "t":
        return f"t={df['t'].iloc[i]}"
    return f"{time_col}={df[time_col].iloc[i]} (snapshot {t[i]})"


def event_snapshots(seq, col, path, line, name: str) -> np.ndarray:
    r"""Event times (strings: Unix times or ISO datetimes) -> the snapshot index each falls
    in, :math:`\lfloor (s - t_0) / \text{width} \rfloor` with the origin and width the
    event stream was bucketed with (as ingestion buckets its events), int64 (P,). Numeric
    times are in the unit the stream's were read in (``seq.time_unit``: a stream of Unix
    milliseconds is queried in milliseconds).

    Raises:
        InputError: the data are snapshots, not an event stream; or a time does not parse.
    """
    from gcngan.data.edgelist import numeric_times
    from gcngan.data.events import TIME_UNITS, bucket, parse_timestamps

    width = getattr(seq, "granularity", None)
    if width is None or not seq.times:
        raise InputError(f"{path}:1: column {name!r} holds event times, but the data are "
                         f"snapshots, not an event stream read with --granularity: give "
                         f"t (the snapshot index) instead")
    col = col.str.strip()
    secs = parse_timestamps(col, lambda i: f"{path}:{line[i]}", name)
    unit = getattr(seq, "time_unit", None) or "s"
    if unit != "s" and numeric_times(col):
        secs = secs / TIME_UNITS[unit]
    return bucket(secs, float(width), origin=seq.times[0])[0]


def score_pairs_file(predictor, seq, pairs: str | Path, out: str | Path, window: int, *,
                     strict: bool = True, data_time_col: Optional[str] = None) -> int:
    """Score every row ``t,src,dst`` of ``pairs`` (:func:`read_pairs`; or
    ``timestamp,src,dst``) and write ``t,src,dst,score,weight`` to ``out`` atomically
    (nothing is written when a row is invalid); rows given by event time keep that column
    first: ``timestamp,t,src,dst,score,weight``.

    ``weight`` is in the data's own units: :attr:`SnapshotSequence.weight_offset` is
    subtracted from non-zero predicted weights (as ``gcngan predict`` does).

    ``strict=False`` scores what ``strict`` refuses, with a warning each (an external
    evaluator's queries may reach past the data it gave, its negatives name nodes the data
    never saw): a row past the snapshot after the data (``t > T``) is scored from the last
    window the data hold (snapshots ``T-W .. T-1``: the newest there is, as a forecaster
    without newer observations would; the predictor is told how far past ``T`` the row
    lies, ``horizon = t - T``, which a model trained with ``model.max_horizon`` reads),
    and a row naming a node that is not in the data is ranked below every other row —
    score ``min(0, lowest other score) - 1``, weight 0 (no history: it can be nothing but
    last). ``t`` is written as given.

    Returns:
        int: Rows written.
    """
    import pandas as pd

    from gcngan.io import atomic_path

    index = as_index(seq)
    df, t, src, dst, time_col = read_pairs(pairs, index, window, strict=strict,
                                           data_time_col=data_time_col)
    T = index.num_snapshots
    known = (src >= 0) & (dst >= 0)                                    # (P,)
    at = np.minimum(t, T)                                  # the window each row is read from
    _warn_lenient(df, time_col, t, src, known, index.seq, window, pairs)
    score = np.zeros(t.size, dtype=np.float64)
    weight = np.zeros(t.size, dtype=np.float64)
    ahead = np.minimum(t - at, predictor.max_horizon)   # gap past the data, as told apart
    ts = np.unique(at[known])
    if ts.size:
        predictor.prepare(index, ts.tolist(), window)
    for tt, h in sorted({(int(a), int(b)) for a, b in zip(at[known], ahead[known])}):
        rows = np.flatnonzero(known & (at == tt) & (ahead == h))
        score[rows], weight[rows] = predictor.score_pairs(index, tt, src[rows], dst[rows],
                                                          window, horizon=h)
    if not known.all():
        score[~known] = min(0.0, float(score[known].min()) if known.any() else 0.0) - 1.0
    offset = float(getattr(index.seq, "weight_offset", 0.0) or 0.0)
    weight = np.where(weight != 0, weight - offset, 0.0)
    cols = {} if time_col == "t" else {time_col: df[time_col].str.strip()}
    frame = pd.DataFrame({**cols, "t": t, "src": df["src"].str.strip(),
                          "dst": df["dst"].str.strip(), "score": score, "weight": weight})
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n", float_format="%.10g")
    return len(frame)


def _warn_lenient(df, time_col: str, t: np.ndarray, src: np.ndarray, known: np.ndarray,
                  seq, window: int, path) -> None:
    """One warning line each for the rows :func:`score_pairs_file` scores leniently: past
    the snapshot after the data, and naming a node that is not in the data (the first such
    row's line and value, and how many there are)."""
    T = seq.num_snapshots
    late = np.flatnonzero(t > T)
    if late.size:
        i = int(late[0])
        log.warning("%s:%d: %s is past the snapshot after the data (%d) (%d row%s): scored "
                    "from the last window, snapshots %d .. %d%s", path, i + 2,
                    _given_time(df, time_col, t, i), T, late.size, "" if late.size == 1 else "s",
                    T - window, T - 1, _index_hint(time_col, seq))
    lost = np.flatnonzero(~known)
    if lost.size:
        i = int(lost[0])
        node = df["src" if src[i] < 0 else "dst"].iloc[i]
        log.warning("%s:%d: node id %r is not in the data (%d row%s name such nodes): ranked "
                    "below every other row (score min(0, lowest) - 1, weight 0)", path, i + 2,
                    node.strip(), lost.size, "" if lost.size == 1 else "s")


def _int_column(col, path, line, name: str) -> np.ndarray:
    import pandas as pd

    x = pd.to_numeric(col.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(x) | (x != np.round(x))
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{path}:{line[i]}: {name}={col.iloc[i]!r} is not an integer")
    return x.astype(np.int64)


def map_node_ids(col, seq, path, line, name: str, *,
                 unknown: Optional[int] = None) -> np.ndarray:
    """Original node ids (strings, as read) of column ``name`` (``'src'`` or ``'dst'``) ->
    node indices (P,) int64, in that side's id space (:meth:`SnapshotSequence.id_space`:
    with two id spaces a ``src`` id names a source, a ``dst`` id a destination); an unknown
    id raises ``InputError`` naming the file, line and value (or, with ``unknown`` given,
    reads as that index)."""
    import pandas as pd

    node_ids, offset = seq.id_space(name)
    lookup = pd.Series(offset + np.arange(len(node_ids), dtype=np.int64),
                       index=[str(x) for x in node_ids])
    if not lookup.index.is_unique:
        lookup = lookup[~lookup.index.duplicated()]
    idx = col.str.strip().map(lookup)
    bad = idx.isna().to_numpy()
    if bad.any():
        if unknown is not None:
            return idx.fillna(unknown).to_numpy(dtype=np.int64)
        i = int(np.argmax(bad))
        among = ("" if seq.num_sources is None else
                 f" (not among the {'sources' if name == 'src' else 'destinations'}: two id "
                 f"spaces)")
        raise InputError(f"{path}:{line[i]}: unknown node id {col.iloc[i]!r} in column "
                         f"{name}{among}")
    return idx.to_numpy(dtype=np.int64)


# ----- metrics ----------------------------------------------------------------------------
def query_ranks(score: np.ndarray, query: np.ndarray, label: np.ndarray) -> np.ndarray:
    r"""Rank of each query's true candidate, ties counting half.

    Args:
        score (ndarray): :math:`(R,)` scores of every candidate row.
        query (ndarray): :math:`(R,)` query index in ``0 .. Q-1``.
        label (ndarray): :math:`(R,)` bool, exactly one ``True`` per query.

    Returns:
        ndarray: :math:`(Q,)` float64 ranks ``1 + #(neg > pos) + 0.5 #(neg == pos)``.

    Examples:
        >>> query_ranks(np.array([.5, .9, .5, .1]), np.zeros(4, int),
        ...             np.array([True, False, False, False])).tolist()
        [2.5]
    """
    score = np.asarray(score, dtype=np.float64)
    query = np.asarray(query, dtype=np.int64)
    label = np.asarray(label, dtype=bool)
    nq = int(query.max()) + 1 if query.size else 0
    pos = np.full(nq, np.nan)
    pos[query[label]] = score[label]
    p = pos[query]                                                       # (R,)
    neg = ~label
    higher = np.bincount(query, weights=(neg & (score > p)).astype(np.float64), minlength=nq)
    equal = np.bincount(query, weights=(neg & (score == p)).astype(np.float64), minlength=nq)
    return 1.0 + higher + 0.5 * equal


def rank_summary(ranks: np.ndarray, hits: Sequence[int] = HITS) -> dict:
    """``{"mrr", "hits@k"..., "queries"}`` of ranks (Q,); NaN metrics when Q = 0."""
    ranks = np.asarray(ranks, dtype=np.float64)
    out = {"mrr": float(np.mean(1.0 / ranks)) if ranks.size else float("nan")}
    for k in hits:
        out[f"hits@{k}"] = float(np.mean(ranks <= k)) if ranks.size else float("nan")
    out["queries"] = int(ranks.size)
    return out


def auc_score(score: np.ndarray, label: np.ndarray) -> float:
    """ROC AUC, ties average-ranked (Mann-Whitney U); NaN without both classes."""
    label = np.asarray(label, dtype=bool)
    n_pos = int(label.sum())
    n_neg = int(label.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    r = average_ranks(np.asarray(score, dtype=np.float64))
    return float((r[label].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks of ``x`` (R,), ties sharing their average rank (as
    ``scipy.stats.rankdata``).

    Examples:
        >>> average_ranks(np.array([3., 1., 3.])).tolist()
        [2.5, 1.0, 2.5]
    """
    order = np.argsort(x, kind="stable")
    xs = x[order]
    start = np.r_[True, xs[1:] != xs[:-1]]
    group = np.cumsum(start) - 1                                         # (R,)
    first = np.flatnonzero(start)                                        # 0-based starts
    last = np.r_[first[1:], xs.size] - 1
    ranks = np.empty(x.size, dtype=np.float64)
    ranks[order] = ((first + last) / 2.0 + 1.0)[group]
    return ranks


def ap_score(score: np.ndarray, label: np.ndarray) -> float:
    r"""Average precision :math:`\sum_n (R_n - R_{n-1}) P_n` over the distinct score
    thresholds, high to low (tied scores are one threshold, as scikit-learn)."""
    label = np.asarray(label, dtype=bool)
    n_pos = int(label.sum())
    if n_pos == 0:
        return float("nan")
    score = np.asarray(score, dtype=np.float64)
    order = np.argsort(-score, kind="stable")
    s, y = score[order], label[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]          # end of each group
    tp = np.cumsum(y)[last]
    fp = (last + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


# ----- evaluation ------------------------------------------------------------------------
def score_candidates(predictor, index: PairIndex, cands: Candidates,
                     window: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and predicted weights (R,) of every candidate row, one call per target."""
    score = np.zeros(len(cands), dtype=np.float64)
    weight = np.zeros(len(cands), dtype=np.float64)
    ts = np.unique(cands.t)
    predictor.prepare(index, ts.tolist(), window)
    for t in ts.tolist():
        rows = np.flatnonzero(cands.t == t)
        s, w = predictor.score_pairs(index, t, cands.src[rows], cands.dst[rows], window)
        score[rows], weight[rows] = s, w
    return score, weight


def forecasts_weights(predictor) -> bool:
    """Whether ``predictor`` forecasts link weights (a trained model) rather than ranking
    only: its ``forecasts_weights`` attribute when it has one (:class:`DensePredictor`:
    ``True``), else whether it is a :class:`~gcngan.nn.sparse_model.SparsePredictor`. The
    heuristics of :mod:`gcngan.structural` rank; their weight is the window's mean."""
    flag = getattr(predictor, "forecasts_weights", None)
    if flag is not None:
        return bool(flag)
    from gcngan.nn.sparse_model import SparsePredictor

    return isinstance(predictor, SparsePredictor)


def link_diagnostics(index: PairIndex, cands: Candidates, weight: np.ndarray,
                     truth: Optional[np.ndarray] = None) -> dict:
    r"""What a weight-forecasting predictor emits on the evaluation's candidate pairs: the
    links it predicts against the true ones, and its weights on the true links.

    Over the distinct pairs ``(t, src, dst)`` of the candidates (a pair repeated as a
    negative of several queries counts once), per target ``t``: predicted links = pairs with
    ``weight > 0``, true links = pairs linked in ``A_t`` (the queries' positives: negatives
    are never links of ``A_t``). Existence precision / recall / F1 pool the targets. On the
    true links (a missed one contributes weight 0), the 1-Wasserstein distance and the
    two-sample Kolmogorov-Smirnov statistic between the predicted and the true raw weights
    (:func:`scipy.stats.wasserstein_distance`, :func:`scipy.stats.ks_2samp`).

    Args:
        index (PairIndex): The data.
        cands (Candidates): The candidates, :math:`R` rows.
        weight (ndarray): :math:`(R,)` predicted raw weights of the rows (as
            :func:`score_candidates` returns them).
        truth (ndarray, optional): :math:`(R,)` true raw weights of the rows (0 where
            unlinked); read from ``index`` when ``None``.

    Returns:
        dict: ``predicted_links``, ``true_links`` (totals over targets), ``link_ratio``
        (predicted / true), ``precision``, ``recall``, ``f1`` (``None`` when undefined),
        ``w1``, ``ks`` (on the true links), ``per_target`` ``{t: [predicted, true]}``.
    """
    from scipy.stats import ks_2samp, wasserstein_distance

    weight = np.asarray(weight, dtype=np.float64)
    if truth is None:
        truth = np.zeros(len(cands), dtype=np.float64)
        for t in np.unique(cands.t).tolist():
            rows = np.flatnonzero(cands.t == t)
            truth[rows] = index.gather(t, index.keys(cands.src[rows], cands.dst[rows]))
    truth = np.asarray(truth, dtype=np.float64)
    n = index.num_nodes
    pair = cands.t.astype(np.int64) * n * n + cands.src * n + cands.dst        # (R,) no N^2 array
    _, first = np.unique(pair, return_index=True)                              # distinct pairs
    w, y, t = weight[first], truth[first] > 0, cands.t[first]
    pred = w > 0
    per_target = {int(k): [int(pred[t == k].sum()), int(y[t == k].sum())]
                  for k in np.unique(t).tolist()}
    n_pred, n_true, tp = int(pred.sum()), int(y.sum()), int((pred & y).sum())
    precision = tp / n_pred if n_pred else None
    recall = tp / n_true if n_true else None
    f1 = (2 * tp / (n_pred + n_true)) if n_pred + n_true else None
    wt, tt = w[y], truth[first][y]
    return {"predicted_links": n_pred, "true_links": n_true,
            "link_ratio": n_pred / n_true if n_true else None,
            "precision": precision, "recall": recall, "f1": f1,
            "w1": float(wasserstein_distance(wt, tt)) if n_true else None,
            "ks": float(ks_2samp(wt, tt).statistic) if n_true else None,
            "per_target": per_target}


def format_link_diagnostics(name: str, d: dict) -> str:
    """One line of :func:`link_diagnostics` for the printed report."""
    def f(v):
        return "n/a" if v is None else f"{v:.3f}"

    return (f"{name}: {d['predicted_links']} links predicted (weight > 0) among the candidate "
            f"pairs, {d['true_links']} true (ratio {f(d['link_ratio'])}); existence precision "
            f"{f(d['precision'])}, recall {f(d['recall'])}, F1 {f(d['f1'])}; on the true "
            f"links, predicted vs true weights: W1 {f(d['w1'])}, KS {f(d['ks'])}")


def evaluate_ranking(predictors: dict, seq, cands: Candidates, window: int,
                     train_targets: Optional[Sequence[int]] = None) -> dict:
    """Rank metrics of every predictor on the same candidates.

    Args:
        predictors (dict): name -> object with ``score_pairs(seq, t, src, dst, window)``
            (:mod:`gcngan.structural`, :class:`DensePredictor`).
        seq (SnapshotSequence | PairIndex): The data.
        cands (Candidates): The candidates (every ``t`` with a full window).
        window (int): :math:`W`.
        train_targets (Sequence[int], optional): The training targets: pair predictors
            that declare ``needs_fit`` (``stacked-heuristics``) are fitted on them first
            (:func:`gcngan.structural.fit_predictors`). ``None``: they must be fitted
            already. (default: ``None``)

    Returns:
        dict: ``{"predictors": {name: {"all": {...}, "new": {...}, "repeated": {...},
        "auc", "ap"[, "rmse", "mae"]}}, "best": {metric: [names]}, "queries", "new",
        "repeated", "candidates", "sha256", "weighted", "diagnostics": {name: {...}}}``;
        ``diagnostics`` holds :func:`link_diagnostics` of each predictor that forecasts
        weights (:func:`forecasts_weights`: the trained model), none for the heuristics.
    """
    index = as_index(seq)
    if train_targets is not None:
        fit_predictors(predictors, index, train_targets, window)
    pos_rows = np.flatnonzero(cands.label)
    pos_rows = pos_rows[np.argsort(cands.query[pos_rows], kind="stable")]  # (Q,) by query
    pkeys = index.keys(cands.src[pos_rows], cands.dst[pos_rows])
    repeated = np.zeros(pos_rows.size, dtype=bool)
    truth = np.zeros(len(cands), dtype=np.float64)
    for t in np.unique(cands.t).tolist():
        sel = cands.t[pos_rows] == t
        repeated[sel] = index.seen_before(t, pkeys[sel])
        rows = np.flatnonzero(cands.t == t)
        truth[rows] = index.gather(t, index.keys(cands.src[rows], cands.dst[rows]))
    weighted = index.weighted
    out: dict = {}
    diagnostics: dict = {}
    for name, predictor in predictors.items():
        score, weight = score_candidates(predictor, index, cands, window)
        if forecasts_weights(predictor):
            diagnostics[name] = link_diagnostics(index, cands, weight, truth)
        ranks = query_ranks(score, cands.query, cands.label)
        res = {"all": rank_summary(ranks), "new": rank_summary(ranks[~repeated]),
               "repeated": rank_summary(ranks[repeated]),
               "auc": auc_score(score, cands.label), "ap": ap_score(score, cands.label)}
        if weighted:
            err = weight - truth
            res["rmse"] = float(np.sqrt(np.mean(err ** 2)))
            res["mae"] = float(np.mean(np.abs(err)))
        out[name] = res
    return {"predictors": out, "best": best_predictors(out),
            "queries": int(pos_rows.size), "new": int((~repeated).sum()),
            "repeated": int(repeated.sum()), "candidates": len(cands),
            "sha256": cands.sha256, "weighted": bool(weighted), "diagnostics": diagnostics}


def flat_metrics(res: dict) -> dict:
    """One predictor's result as flat columns: ``mrr``, ``hits@k``, ``mrr_new``,
    ``hits@10_new`` ..., ``auc``, ``ap``, ``rmse``, ``mae``."""
    flat = {k: v for k, v in res["all"].items() if k != "queries"}
    for part in ("new", "repeated"):
        for k, v in res[part].items():
            if k != "queries":
                flat[f"{k}_{part}"] = v
    for k in ("auc", "ap", "rmse", "mae"):
        if k in res:
            flat[k] = res[k]
    return flat


def best_predictors(results: dict) -> dict:
    """``{column: [names of the best predictors]}`` (ties all listed; NaN ignored)."""
    cols: dict[str, list] = {}
    flats = {name: flat_metrics(r) for name, r in results.items()}
    for name, f in flats.items():
        for col in f:
            cols.setdefault(col, [])
    best = {}
    for col in cols:
        base = col.split("_")[0]
        hi = HIGHER_IS_BETTER.get(base, True)
        vals = {n: f[col] for n, f in flats.items()
                if col in f and f[col] is not None and np.isfinite(f[col])}
        if not vals:
            continue
        target = max(vals.values()) if hi else min(vals.values())
        best[col] = sorted(n for n, v in vals.items() if v == target)
    return best


def format_ranking_table(result: dict, columns: Optional[Sequence[str]] = None,
                         markdown: bool = True) -> str:
    """A table by predictor, best value of each column in bold (``**x**``)."""
    preds = result["predictors"]
    flats = {name: flat_metrics(r) for name, r in preds.items()}
    if columns is None:
        columns = ["mrr", "hits@1", "hits@3", "hits@10", "mrr_new", "hits@10_new",
                   "mrr_repeated", "hits@10_repeated", "auc", "ap", "rmse", "mae"]
    columns = [c for c in columns if any(c in f for f in flats.values())]
    best = result.get("best") or best_predictors(preds)
    header = ["predictor", *columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, f in flats.items():
        cells = [name]
        for c in columns:
            v = f.get(c)
            txt = "-" if v is None or not np.isfinite(v) else f"{v:.4f}"
            if name in best.get(c, ()) and len(flats) > 1:
                txt = f"**{txt}**"
            cells.append(txt)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----- dense models ---------------------------------------------------------------------
class DensePredictor(PairPredictor):
    """A trained generator (or a dense baseline of :mod:`gcngan.baselines`) as a pair
    predictor: its dense one-step-ahead output for each target, read at the pairs.

    ``score`` is the link score of :func:`gcngan.predict.score_split` (the default model's
    existence probability), ``weight`` the refined raw-scale prediction of
    :func:`gcngan.predict.predict_split`; both for all targets of :meth:`prepare` at once,
    so the evaluation noise matches ``gcngan evaluate`` on the same targets. ``t = T``
    (past the end) uses :func:`gcngan.predict.forecast` with one step. Needs the dense
    ``(T, N, N)`` view of the data: only where ``N`` fits.

    Args:
        predictor: The generator or a dense baseline.
        epsilon (float): Zero threshold of :func:`gcngan.predict.refine`.
        samples (int, optional): Noise draws averaged. (default: ``1``)
        seed (int, optional): Evaluation-noise seed. (default: ``0``)
        device (str, optional): (default: ``"cpu"``)
    """

    name = "model"
    #: a trained model forecasts weights: :func:`evaluate_ranking` reports its
    #: :func:`link_diagnostics`
    forecasts_weights = True

    def __init__(self, predictor, *, epsilon: float, samples: int = 1, seed: int = 0,
                 device="cpu") -> None:
        self.predictor, self.epsilon, self.samples = predictor, epsilon, samples
        self.seed, self.device = seed, device
        self._cache: dict[int, tuple] = {}

    def prepare(self, seq, targets: Sequence[int], window: int) -> None:
        """Predict every target in one pass (cached; targets already predicted are kept)."""
        from gcngan.predict import forecast, keeps_self_loops, predict_split, score_split

        index = as_index(seq)
        data = index.seq
        todo = sorted({int(t) for t in targets} - set(self._cache))
        for t in todo:
            index.check_target(t, window)
        past = [t for t in todo if t < index.num_snapshots]
        kw = dict(samples=self.samples, seed=self.seed, device=self.device)
        if past:
            pred, _ = predict_split(self.predictor, data, past, window, epsilon=self.epsilon, **kw)
            sc = score_split(self.predictor, data, past, window, **kw)
            for i, t in enumerate(past):
                self._cache[t] = (sc[i].double().numpy(), pred[i].double().numpy())
        if index.num_snapshots in todo:
            adj = data.scaled().to(self.device)
            p, s = forecast(self.predictor, adj, 1, window, scaler=data.scaler,
                            epsilon=self.epsilon, directed=data.directed,
                            samples=self.samples, seed=self.seed, scores=True,
                            self_loops=keeps_self_loops(data))
            self._cache[index.num_snapshots] = (s[0].cpu().double().numpy(),
                                                p[0].cpu().double().numpy())

    def score_pairs(self, seq, t: int, src, dst, window: int,
                    horizon: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Scores and weights (P,) read from the dense output of target ``t`` (the dense
        models predict the next snapshot: ``horizon`` is ignored)."""
        t = int(t)
        if t not in self._cache:
            self.prepare(seq, [t], window)
        s, w = self._cache[t]
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        return s[src, dst].astype(np.float64), w[src, dst].astype(np.float64)

    def __repr__(self) -> str:
        return f"DensePredictor({type(self.predictor).__name__})"
