r"""Candidate pairs for a sparse model's prediction of one target snapshot (issue 15): which
``(u, v)`` the pair decoder is asked about when it predicts a whole next adjacency.

For a target ``t`` with the window ``t-W .. t-1`` (:func:`candidate_pairs`):

* **all pairs** when :math:`N^2 \le` ``all_pairs_limit`` (:data:`ALL_PAIRS_LIMIT` =
  250,000, i.e. :math:`N \le 500`): nothing is missed and scoring them all is cheap;
* otherwise the union of

  1. the window's **active pairs** — every ``u -> v`` linked in some window snapshot;
  2. the **2-hop pairs with the best structural scores per node** — for each node ``u``,
     the ``two_hop`` nodes ``v`` at distance 2 in the window's undirected binary union
     ``U`` (not linked to ``u`` in ``U``, ``v != u``) with the highest
     resource-allocation score :math:`\sum_k U_{uk} U_{kv} / d_k`
     (:class:`gcngan.structural.ResourceAllocation`; ties broken by the smaller ``v``);
  3. for undirected data, the reverse of every pair above (so that the prediction can be
     symmetrised as :func:`gcngan.predict.refine` does).

With two id spaces (a ``user -> item`` stream counted apart,
:attr:`gcngan.data.SnapshotSequence.num_sources`) a pair goes from a source to a
destination: every such pair when there are at most ``all_pairs_limit``, else the window's
active pairs and each source's best ``two_hop`` pairs three hops away
(:func:`three_hop_keys`: 2-hop pairs of a bipartite graph join two users or two items).

Memory is :math:`O(W E + N k)` (``k = two_hop``): the 2-hop rows are computed for blocks
of nodes whose 2-hop neighbourhoods together hold at most ``block_entries`` entries
(bounded by :math:`\sum_{k \in N(u)} d_k` per node), and only each row's best ``k`` are
kept. Nothing of size :math:`N^2` is built outside the all-pairs case, whose size the limit
bounds.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from gcngan.arrays import unique
from gcngan.errors import InputError
from gcngan.structural import inverse_degree, window_keys

#: Largest :math:`N^2` for which every pair is a candidate (:math:`N \le 500`).
ALL_PAIRS_LIMIT = 250_000
#: Default number of 2-hop candidates per node.
TWO_HOP = 10
#: Entries of 2-hop rows computed at once (a bound, not a cap on the result).
BLOCK_ENTRIES = 1 << 21


def all_pairs_fit(num_nodes: int, all_pairs_limit: int = ALL_PAIRS_LIMIT) -> bool:
    """Whether every pair of ``num_nodes`` nodes is a candidate (:math:`N^2 \\le` limit).

    Examples:
        >>> all_pairs_fit(38), all_pairs_fit(1000)
        (True, False)
    """
    return int(num_nodes) ** 2 <= int(all_pairs_limit)


def all_pairs(num_nodes: int, self_loops: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair ``(u, v)`` of ``num_nodes`` nodes in row-major order, the diagonal
    only with ``self_loops``.

    Returns:
        tuple: ``src``, ``dst`` :math:`(P,)` int64, :math:`P = N^2` or :math:`N(N-1)`.

    Examples:
        >>> all_pairs(3)
        (array([0, 0, 1, 1, 2, 2]), array([1, 2, 0, 2, 0, 1]))
    """
    n = int(num_nodes)
    src, dst = np.divmod(np.arange(n * n, dtype=np.int64), n)
    if not self_loops:
        keep = src != dst
        src, dst = src[keep], dst[keep]
    return src, dst


def active_keys(index, t: int, window: int) -> np.ndarray:
    """Sorted unique keys ``u * N + v`` (int64) of the pairs linked in some snapshot of the
    window ``t-W .. t-1``: :math:`O(W E)`."""
    index.check_target(int(t), int(window))
    return window_keys(index, int(t), int(window))


def two_hop_keys(index, t: int, window: int, k: int = TWO_HOP,
                 block_entries: int = BLOCK_ENTRIES) -> np.ndarray:
    r"""Keys ``u * N + v`` of each node's best ``k`` 2-hop pairs (see the module docstring),
    sorted and unique: at most :math:`N k` of them.

    Args:
        index (PairIndex): The data's index (:class:`gcngan.structural.PairIndex`).
        t (int): Target snapshot (``window <= t <= T``).
        window (int): :math:`W`.
        k (int, optional): Pairs per node; ``0`` gives none. (default: :data:`TWO_HOP`)
        block_entries (int, optional): Bound on the 2-hop entries computed at once.
            (default: :data:`BLOCK_ENTRIES`)

    Returns:
        ndarray: :math:`(\le N k,)` int64.
    """
    return _best_hop_keys(index, t, window, k, block_entries, hops=2)


def three_hop_keys(index, t: int, window: int, k: int = TWO_HOP,
                   block_entries: int = BLOCK_ENTRIES, sources: Optional[int] = None
                   ) -> np.ndarray:
    r"""Keys ``u * N + v`` of each node's best ``k`` pairs at the end of a path of length 3
    in the window's union ``U`` (not linked to ``u`` in ``U``), by the degree-discounted
    path sum :math:`\sum_{a, b} U_{ua} U_{ab} U_{bv} / (d_a d_b)` (resource allocation one
    hop further; ties: the smaller ``v``): the new pairs of a bipartite graph, where 2-hop
    pairs join two users or two items. ``sources``: only nodes ``0 .. sources-1`` (two id
    spaces' sources). Same bounded blocks as :func:`two_hop_keys` (bounded by
    :math:`\sum_{a \in N(u)} \sum_{b \in N(a)} d_b` per node)."""
    return _best_hop_keys(index, t, window, k, block_entries, hops=3, rows=sources)


def _best_hop_keys(index, t: int, window: int, k: int, block_entries: int, *, hops: int,
                   rows: Optional[int] = None) -> np.ndarray:
    """Each node's (of the first ``rows``, default all) best ``k`` pairs ``hops`` (2 or 3)
    steps away in ``U`` by their degree-discounted path sums, not linked in ``U``."""
    import scipy.sparse as sp

    if k < 0:
        raise InputError(f"two_hop={k} must be >= 0")
    n = index.num_nodes
    last = n if rows is None else int(rows)
    if k == 0 or n == 0 or last == 0:
        return np.zeros(0, np.int64)
    u, deg = index.union(int(t), int(window))                     # CSR (N, N), (N,)
    u_ra = u @ sp.diags(inverse_degree(deg))                                       # U diag(1/d), E entries
    bound = np.asarray(u @ deg).ravel()                            # (N,) >= 2-hop row sizes
    if hops == 3:
        bound = np.asarray(u @ bound).ravel()                      # >= 3-hop (and 2-hop)
    ends = np.cumsum(bound[:last])                                 # (rows,)
    out = []
    start = 0
    while start < last:
        done = ends[start - 1] if start else 0.0
        stop = int(np.searchsorted(ends, done + block_entries, side="right"))
        stop = min(max(stop, start + 1), last)                    # at least one row
        block = u_ra[start:stop]
        if hops == 3:
            block = block @ u_ra                                   # (b, N) 2-hop, discounted
        block = (block @ u).tocsr()                                # (b, N) path sums
        block = (block - block.multiply(u[start:stop])).tocsr()    # drop pairs linked in U
        block.eliminate_zeros()
        block.sort_indices()
        block = block.tocoo()
        rows_ = block.row.astype(np.int64) + start
        cols = block.col.astype(np.int64)
        score = np.round(block.data, 9)                            # equal sums tie
        keep = (rows_ != cols) & (score > 0)
        rows_, cols, score = rows_[keep], cols[keep], score[keep]
        # by row, best score first, then the smaller v: two stable sorts of a row-major,
        # column-sorted list (np.lexsort is ~10x slower here)
        order = np.argsort(-score, kind="stable")
        order = order[np.argsort(rows_[order], kind="stable")]
        rows_, cols = rows_[order], cols[order]
        new_row = np.flatnonzero(np.r_[True, rows_[1:] != rows_[:-1]]) if rows_.size else \
            np.zeros(0, np.int64)
        first = np.repeat(new_row, np.diff(np.r_[new_row, rows_.size]))
        sel = np.arange(rows_.size) - first < k
        out.append(rows_[sel] * n + cols[sel])
        start = stop
    keys = np.concatenate(out) if out else np.zeros(0, np.int64)
    return unique(keys)


def candidate_pairs(index, t: int, window: int, *, two_hop: int = TWO_HOP,
                    all_pairs_limit: int = ALL_PAIRS_LIMIT, symmetric: bool = False,
                    self_loops: bool = False,
                    block_entries: int = BLOCK_ENTRIES) -> tuple[np.ndarray, np.ndarray]:
    r"""The candidate pairs of target ``t`` (see the module docstring), sorted by
    ``(src, dst)``.

    Args:
        index (PairIndex): The data's index (:class:`gcngan.structural.PairIndex`; a
            sequence extended by predicted snapshots works as well).
        t (int): Target snapshot, ``window <= t <= T``.
        window (int): :math:`W`.
        two_hop (int, optional): 2-hop pairs per node. (default: :data:`TWO_HOP`)
        all_pairs_limit (int, optional): Every pair when :math:`N^2` is at most this.
            (default: :data:`ALL_PAIRS_LIMIT`)
        symmetric (bool, optional): Add the reverse of every candidate (undirected data).
            (default: ``False``)
        self_loops (bool, optional): Keep pairs ``(u, u)``. (default: ``False``)
        block_entries (int, optional): See :func:`two_hop_keys`.

    Returns:
        tuple: ``src``, ``dst`` :math:`(P,)` int64 node indices; :math:`P \le N^2` when all
        pairs fit, else :math:`P \le 2(E_{window} + N k)`. With two id spaces
        (:attr:`~gcngan.data.SnapshotSequence.num_sources` = ``U``) only pairs from a source
        to a destination: all :math:`U (N - U)` of them when that is at most
        ``all_pairs_limit``, else the window's links and each source's best ``two_hop``
        3-hop pairs (:func:`three_hop_keys`).

    Raises:
        InputError: ``t`` without a full window before it, or ``two_hop < 0``.
    """
    n = index.num_nodes
    index.check_target(int(t), int(window))
    if two_hop < 0:
        raise InputError(f"two_hop={two_hop} must be >= 0")
    u = index.seq.num_sources
    if u is not None:                # two id spaces: only sources -> destinations are pairs
        if u * (n - u) <= int(all_pairs_limit):
            src, dst = np.divmod(np.arange(u * (n - u), dtype=np.int64), n - u)
            return src, dst + u
        keys = unique(np.concatenate([
            active_keys(index, t, window),
            three_hop_keys(index, t, window, two_hop, block_entries, sources=u)]))
        src, dst = keys // n, keys % n
        keep = (src < u) & (dst >= u)
        return src[keep], dst[keep]
    if all_pairs_fit(n, all_pairs_limit):
        return all_pairs(n, self_loops)
    src, dst = _window_pairs(index, t, window, two_hop, symmetric, block_entries)
    if not self_loops:
        keep = src != dst
        src, dst = src[keep], dst[keep]
    return src, dst


def _window_pairs(index, t: int, window: int, two_hop: int, symmetric: bool,
                  block_entries: int) -> tuple[np.ndarray, np.ndarray]:
    """The active and 2-hop pairs of target ``t`` (and their reverses with ``symmetric``),
    sorted by ``(src, dst)``, self-loops included."""
    n = index.num_nodes
    keys = np.concatenate([active_keys(index, t, window),
                           two_hop_keys(index, t, window, two_hop, block_entries)])
    if symmetric:
        keys = np.concatenate([keys, (keys % n) * n + keys // n])
    keys = unique(keys)
    return keys // n, keys % n


__all__ = ["ALL_PAIRS_LIMIT", "TWO_HOP", "all_pairs_fit", "all_pairs", "active_keys",
           "two_hop_keys", "three_hop_keys", "candidate_pairs"]
