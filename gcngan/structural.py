r"""Pair predictors for the ranking protocol: window statistics, EdgeBank and the
structural heuristics, computed on sparse snapshots (never :math:`N \times N`).

Every predictor answers the same call::

    score, weight = predictor.score_pairs(seq, t, src, dst, window)

for the node-index pairs ``src[i] -> dst[i]`` of target snapshot ``t``, from the window
of snapshots ``t-window .. t-1`` (and, for ``edgebank-inf``, from every snapshot before
``t``). ``score`` ranks candidate links (higher = more likely); ``weight`` is the
predicted raw weight of the link (the data's scale after clipping, before
:attr:`~gcngan.data.SnapshotSequence.weight_offset` is removed).

Definitions (``C`` = number of window snapshots with the link ``u -> v``, ``x_k`` = raw
weight of the pair in window snapshot ``k``, ``W`` = window length):

==================== ======================================================== ====================
name                 score                                                    weight
==================== ======================================================== ====================
edgebank-inf         1 if ``u -> v`` was linked in any snapshot before ``t``  window mean
edgebank-window      1 if ``u -> v`` is linked in the window (``C > 0``)      window mean
window-count         ``C``                                                    window mean
window-mean          :math:`\frac1W \sum_k x_k`                               same
window-median        median of the ``W`` values (zeros included; even ``W``:  same
                     mean of the two middle values, as ``numpy.median``)
copy-last            :math:`x_W` (the last window snapshot)                   same
ewma                 :math:`\sum_k w_k x_k`, weights of                       same
                     :class:`gcngan.baselines.EWMA` (``alpha = 0.5``)
common-neighbours    :math:`\sum_k U_{uk} U_{kv}`                             window mean
adamic-adar          :math:`\sum_k U_{uk} U_{kv} / \log d_k` (0 if            window mean
                     :math:`d_k \le 1`)
resource-allocation  :math:`\sum_k U_{uk} U_{kv} / d_k`                       window mean
pref-attachment      :math:`d_u d_v`                                          window mean
l3-paths             :math:`\sum_{a,b} U_{ua} U_{ab} U_{bv} / \sqrt{d_a d_b}` window mean
                     (L3, Kovács et al. 2019: paths of length 3)
==================== ======================================================== ====================

The structural five use the undirected binary union of the window,
:math:`U = 1[(C + C^\top) > 0]` (self-loops kept as they are in the data), and
:math:`d_k = \sum_j U_{kj}`. Adamic-Adar and resource-allocation scores are rounded to
1e-9 (and so are L3's), so that equal sums added in a different order tie (ranks count
ties half). Their predicted weight is the pair's window mean, so the
weight error of a heuristic is that of the window mean: they rank, they do not forecast
weights.

All computations gather the ``P`` queried pairs from the window's sorted edge keys
(``src * N + dst``) or use ``scipy.sparse`` rows of the queried nodes only; memory is
:math:`O(E + W P)`.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

from gcngan.arrays import concat_ranges, unique
from gcngan.errors import ConfigError, InputError


def inverse_degree(deg: np.ndarray, power: float = 1.0) -> np.ndarray:
    r""":math:`d^{-p}` per node, 0 where :math:`d = 0` (an isolated node weighs nothing):
    resource allocation's ``1/d`` (``power=1``), L3's ``d^{-1/2}`` (``power=0.5``)."""
    deg = np.asarray(deg, dtype=np.float64)
    return np.divide(1.0, deg ** power, out=np.zeros(deg.shape), where=deg > 0)


def adamic_adar_weight(deg: np.ndarray) -> np.ndarray:
    r""":math:`1 / \log d` per node, 0 where :math:`d \le 1` (Adamic-Adar's weight)."""
    deg = np.asarray(deg, dtype=np.float64)
    return np.divide(1.0, np.log(np.maximum(deg, 1.0)), out=np.zeros(deg.shape),
                     where=deg > 1)


#: Stored entries the window-union cache of a :class:`PairIndex` holds at most (about 12
#: bytes each: ~0.8 GB); 65 unions of a million-link window would hold ~15 GiB.
UNION_CACHE_ENTRIES = 1 << 26

# ----- the sparse index of a sequence ----------------------------------------------------
def window_keys(index, t: int, window: int) -> np.ndarray:
    """Sorted distinct keys ``u * N + v`` (int64) of the links of snapshots ``t-W .. t-1``:
    the window's directed binary union, one stable sort over the snapshots' sorted keys
    (near-linear)."""
    return unique(np.concatenate([index.snapshot(k)[0] for k in range(t - window, t)]))


def window_union(index, t: int, window: int):
    r"""The undirected binary union of snapshots ``t-W .. t-1`` and its degrees.

    Args:
        index (PairIndex): The data.
        t (int): Target snapshot (the window ends before it).
        window (int): :math:`W`.

    Returns:
        ``(U, d)``: ``U`` a ``scipy.sparse`` CSR :math:`(N, N)` float64 of ones (a link in
        either direction in any snapshot of the window, self-links kept), sorted indices;
        ``d`` :math:`(N,)` float64, its row counts. Costs :math:`O(W E \log(W E) + N)`.
    """
    import scipy.sparse as sp

    n = index.num_nodes
    keys = window_keys(index, t, window)                                   # (D,) directed
    back = np.sort((keys % n) * n + keys // n, kind="stable")              # reversed, sorted
    both = unique(np.concatenate([keys, back]))                            # (L,) two runs
    rows, cols = both // n, both % n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return (sp.csr_matrix((np.ones(cols.size), cols, indptr), shape=(n, n)),
            np.diff(indptr).astype(np.float64))


class PairIndex:
    """Sorted edge keys of every snapshot of a :class:`~gcngan.data.SnapshotSequence`,
    the first snapshot each pair was linked in, and the window unions, built on request
    and cached. One index serves every predictor and the negative sampler.

    Args:
        seq (SnapshotSequence): The data; only ``edges(t)``, ``num_nodes`` and
            ``num_snapshots`` are used.

    Shapes:
        - **keys** of snapshot ``t``: :math:`(E_t,)` int64 ``src * N + dst``, sorted
        - **first-seen table**: :math:`(E_{\text{unique}},)` keys and snapshot indices
    """

    def __init__(self, seq) -> None:
        self.seq = seq
        self.num_nodes = int(seq.num_nodes)
        self.num_snapshots = int(seq.num_snapshots)
        self._snaps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._first: Optional[tuple[np.ndarray, np.ndarray]] = None
        self._times: Optional[np.ndarray] = None
        self._dst_first: Optional[np.ndarray] = None
        self._new: dict[int, np.ndarray] = {}
        self._unions: dict[tuple[int, int], tuple] = {}
        self._weighted: Optional[bool] = None

    def __repr__(self) -> str:
        return f"PairIndex(N={self.num_nodes}, T={self.num_snapshots})"

    def keys(self, src, dst) -> np.ndarray:
        """``src * N + dst`` as int64 (any shape)."""
        return np.asarray(src, dtype=np.int64) * self.num_nodes + np.asarray(dst, dtype=np.int64)

    def snapshot(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Sorted keys (E,) int64 and raw weights (E,) float64 of snapshot ``t``."""
        t = int(t)
        if t not in self._snaps:
            src, dst, w = self.seq.edges(t)
            k = self.keys(src, dst)
            w = np.asarray(w, dtype=np.float64)
            if k.size > 1 and not bool(np.all(k[1:] > k[:-1])):
                order = np.argsort(k, kind="stable")
                k, w = k[order], w[order]
            self._snaps[t] = (k, w)
        return self._snaps[t]

    def gather(self, t: int, keys: np.ndarray) -> np.ndarray:
        """Raw weights of the pairs ``keys`` (P,) in snapshot ``t`` (0 where unlinked)."""
        k, w = self.snapshot(t)
        out = np.zeros(keys.shape, dtype=np.float64)
        if k.size:
            pos = np.minimum(np.searchsorted(k, keys), k.size - 1)
            hit = k[pos] == keys
            out[hit] = w[pos[hit]]
        return out

    def window_values(self, t: int, window: int, keys: np.ndarray) -> np.ndarray:
        """Raw weights of the pairs in snapshots ``t-window .. t-1``, shape :math:`(W, P)`,
        oldest first."""
        self.check_target(t, window)
        return np.stack([self.gather(k, keys) for k in range(t - window, t)])  # (W, P)

    def check_target(self, t: int, window: int) -> None:
        """Refuse ``t`` without a full window before it (``window <= t <= T``)."""
        if window < 1:
            raise InputError(f"window {window} must be >= 1")
        if not window <= t <= self.num_snapshots:
            raise InputError(f"target snapshot {t} needs a full window of {window} before it: "
                             f"valid t are {window} .. {self.num_snapshots}")

    def first_seen(self) -> tuple[np.ndarray, np.ndarray]:
        """Every pair ever linked: sorted unique keys (U,) and the first snapshot (U,) it is
        linked in."""
        if self._first is None:
            k, tt = self._all_links()
            # keys arrive in snapshot order, so the first occurrence is the earliest
            uniq, first = np.unique(k, return_index=True)
            self._first = (uniq, tt[first])
        return self._first

    def _all_links(self) -> tuple[np.ndarray, np.ndarray]:
        """Every snapshot's keys one after the other (R,) int64, and each one's snapshot."""
        ks = [self.snapshot(t)[0] for t in range(self.num_snapshots)]
        if not ks:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ts = np.repeat(np.arange(len(ks), dtype=np.int64), [k.size for k in ks])
        return np.concatenate(ks), ts

    def seen_before(self, t: int, keys: np.ndarray) -> np.ndarray:
        """Whether each pair (P,) was linked in some snapshot ``< t``; bool (P,)."""
        uniq, first = self.first_seen()
        out = np.zeros(keys.shape, dtype=bool)
        if uniq.size:
            pos = np.minimum(np.searchsorted(uniq, keys), uniq.size - 1)
            hit = uniq[pos] == keys
            out[hit] = first[pos[hit]] < t
        return out

    def link_times(self) -> np.ndarray:
        r"""Every snapshot each pair is linked in, as one sorted int64 array :math:`(R,)`
        (:math:`R` = links over all snapshots) of ``i * (T + 1) + s`` for pair
        ``first_seen()[0][i]`` linked in snapshot ``s``: a pair's snapshots are one
        ascending run, found by binary search. Built once, :math:`O(R \log R)`."""
        if self._times is None:
            k, tt = self._all_links()
            order = np.argsort(k, kind="stable")        # by pair, snapshots ascending within
            k = k[order]
            starts = np.ones(k.size, dtype=bool)
            starts[1:] = k[1:] != k[:-1]
            pair = np.cumsum(starts) - 1                 # = the pair's index in first_seen
            self._times = pair * (self.num_snapshots + 1) + tt[order]
        return self._times

    def link_history(self, t: int, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """How often and when each pair ``keys`` (P,) was linked before snapshot ``t``: the
        number of snapshots ``< t`` with the link (P,) int64, and the last of them (P,) int64
        (-1 where none)."""
        uniq, _ = self.first_seen()
        count = np.zeros(keys.shape, dtype=np.int64)
        last = np.full(keys.shape, -1, dtype=np.int64)
        if not uniq.size:
            return count, last
        stride = self.num_snapshots + 1
        pos = np.minimum(np.searchsorted(uniq, keys), uniq.size - 1)
        hit = np.flatnonzero(uniq[pos] == keys)
        run = pos[hit] * stride                                            # a pair's run
        times = self.link_times()
        lo = np.searchsorted(times, run)
        end = np.searchsorted(times, run + min(max(int(t), 0), self.num_snapshots))
        count[hit] = end - lo
        seen = end > lo
        last[hit[seen]] = times[end[seen] - 1] - run[seen]
        return count, last

    def new_links(self, t: int) -> np.ndarray:
        """Which links of snapshot ``t`` (in its key order) are linked for the first time
        there: ``~seen_before(t, keys of t)``, bool :math:`(E_t,)`, kept per snapshot (a
        byte per link) since every window over ``t`` asks again."""
        if t not in self._new:
            self._new[t] = ~self.seen_before(t, self.snapshot(t)[0])
        return self._new[t]

    def destinations(self, t: int) -> np.ndarray:
        """Nodes that are the destination of some link in a snapshot ``<= t``, sorted
        (:math:`(D,)` int64): the nodes a link can point to as far as the data up to ``t``
        knows (the users of a bipartite user -> item stream are not among them)."""
        if self._dst_first is None:
            uniq, first = self.first_seen()
            never = np.iinfo(np.int64).max
            dst_first = np.full(self.num_nodes, never, dtype=np.int64)
            np.minimum.at(dst_first, uniq % self.num_nodes, first)
            self._dst_first = dst_first
        return np.flatnonzero(self._dst_first <= int(t)).astype(np.int64)

    def history(self, u: int, t: int) -> np.ndarray:
        """Destinations ``v`` with ``u -> v`` linked in some snapshot ``< t`` (sorted)."""
        uniq, first = self.first_seen()
        lo, hi = np.searchsorted(uniq, [u * self.num_nodes, (u + 1) * self.num_nodes])
        sel = first[lo:hi] < t
        return uniq[lo:hi][sel] - u * self.num_nodes

    def union(self, t: int, window: int):
        """:func:`window_union` cached per ``(t, window)`` (at most 65 unions and
        :data:`UNION_CACHE_ENTRIES` stored entries: the cache is emptied before it would
        hold more)."""
        self.check_target(t, window)
        key = (int(t), int(window))
        if key not in self._unions:
            u, deg = window_union(self, t, window)
            held = sum(v[0].nnz for v in self._unions.values())
            if len(self._unions) > 64 or held + u.nnz > UNION_CACHE_ENTRIES:
                self._unions.clear()
            self._unions[key] = (u, deg)
        return self._unions[key]

    @property
    def weighted(self) -> bool:
        """Whether any link weight differs from 1 (binary data have no weight error)."""
        if self._weighted is None:
            self._weighted = any(bool(np.any(self.snapshot(t)[1] != 1.0))
                                 for t in range(self.num_snapshots))
        return self._weighted


def as_index(seq) -> PairIndex:
    """``seq`` itself when it is a :class:`PairIndex`, else a new index over it."""
    return seq if isinstance(seq, PairIndex) else PairIndex(seq)


def check_pairs(index: PairIndex, src, dst) -> tuple[np.ndarray, np.ndarray]:
    """``src``, ``dst`` as flat int64 arrays :math:`(P,)`, checked to be node indices.

    Raises:
        InputError: different lengths, or an index outside ``0 .. N-1``.
    """
    src = np.asarray(src, dtype=np.int64).ravel()
    dst = np.asarray(dst, dtype=np.int64).ravel()
    if src.shape != dst.shape:
        raise InputError(f"{src.size} sources for {dst.size} destinations")
    n = index.num_nodes
    for name, x in (("src", src), ("dst", dst)):
        if x.size and (int(x.min()) < 0 or int(x.max()) >= n):
            raise InputError(f"{name} node index out of range 0 .. {n - 1}")
    return src, dst


# ----- the predictors ----------------------------------------------------------------------
class PairPredictor:
    """Base class: ``score_pairs(seq, t, src, dst, window, horizon=0) -> (score, weight)``.

    Subclasses implement :meth:`_score` on a :class:`PairIndex`, the pairs' window values
    and the pairs themselves.

    Shapes:
        - **src, dst:** :math:`(P,)` node indices
        - **output:** ``score`` :math:`(P,)` float64, ``weight`` :math:`(P,)` float64
    """

    name = "pair-predictor"
    #: the largest gap past the window (``horizon`` of :meth:`score_pairs`) the predictor
    #: tells apart; larger gaps are scored as this one (0: every gap as the next snapshot)
    max_horizon = 0
    #: whether :meth:`fit` must run before :meth:`score_pairs` (learned predictors); the
    #: ranking evaluation and ``gcngan score`` fit such predictors on the training targets
    #: (:func:`fit_predictors`)
    needs_fit = False

    def fit(self, seq, train_targets: Sequence[int], window: int) -> "PairPredictor":
        """Fit on the targets of the training range only (links of ``A_t`` and the
        snapshots before them; never a validation or test target). The heuristics have
        nothing to fit: this returns ``self`` unchanged.

        Args:
            seq (SnapshotSequence | PairIndex): The data.
            train_targets (Sequence[int]): Target snapshot indices of the training range,
                each with a full window before it.
            window (int): :math:`W`.

        Returns:
            PairPredictor: ``self``.
        """
        return self

    def fit_summary(self) -> dict:
        """What :meth:`fit` learned, JSON-ready (``{}`` for the heuristics)."""
        return {}

    def prepare(self, seq, targets: Sequence[int], window: int) -> None:
        """Called once with every target about to be scored, before :meth:`score_pairs`
        (e.g. a dense model predicts all of them in one pass). Nothing to do for the
        heuristics, which read each window when asked.

        Args:
            seq (SnapshotSequence | PairIndex): The data.
            targets (Sequence[int]): Target snapshot indices.
            window (int): :math:`W`.
        """

    def score_pairs(self, seq, t: int, src, dst, window: int,
                    horizon: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Scores and predicted raw weights of the pairs ``src -> dst`` at target ``t``.

        Args:
            seq (SnapshotSequence | PairIndex): The data (an index is reused across calls).
            t (int): Target snapshot, ``window <= t <= T`` (``T``: past the end).
            src, dst (array-like): Node indices, :math:`(P,)`.
            window (int): :math:`W`.
            horizon (int, optional): The pairs are asked about ``horizon`` snapshots after
                ``t``, from the same window (queries past the data, ``gcngan score``).
                The heuristics score the window alone: they read it and ignore the gap.

        Raises:
            InputError: ``t`` without a full window, or node indices out of range.
        """
        index = as_index(seq)
        t = int(t)
        index.check_target(t, window)
        src, dst = check_pairs(index, src, dst)
        keys = index.keys(src, dst)
        vals = index.window_values(t, window, keys)                        # (W, P)
        score, weight = self._score(index, t, window, src, dst, keys, vals)
        return np.asarray(score, dtype=np.float64), np.asarray(weight, dtype=np.float64)

    def _score(self, index, t, window, src, dst, keys, vals):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class EdgeBankInf(PairPredictor):
    """EdgeBank with unlimited memory (Poursafaei et al., NeurIPS 2022): 1 if the pair was
    linked in any snapshot before ``t``."""

    name = "edgebank-inf"

    def _score(self, index, t, window, src, dst, keys, vals):
        return index.seen_before(t, keys).astype(np.float64), vals.mean(axis=0)


class EdgeBankWindow(PairPredictor):
    """EdgeBank with the window as its memory: 1 if the pair is linked in the window."""

    name = "edgebank-window"

    def _score(self, index, t, window, src, dst, keys, vals):
        return (vals != 0).any(axis=0).astype(np.float64), vals.mean(axis=0)


class WindowCount(PairPredictor):
    """Number of window snapshots with the link."""

    name = "window-count"

    def _score(self, index, t, window, src, dst, keys, vals):
        return (vals != 0).sum(axis=0).astype(np.float64), vals.mean(axis=0)


class WindowMeanPairs(PairPredictor):
    """Mean of the pair's ``W`` window weights (zeros included)."""

    name = "window-mean"

    def _score(self, index, t, window, src, dst, keys, vals):
        m = vals.mean(axis=0)
        return m, m


class WindowMedianPairs(PairPredictor):
    """Median of the pair's ``W`` window weights, zeros included (even ``W``: the mean of
    the two middle values, like :class:`gcngan.baselines.WindowMedian`)."""

    name = "window-median"

    def _score(self, index, t, window, src, dst, keys, vals):
        m = np.median(vals, axis=0)
        return m, m


class CopyLastPairs(PairPredictor):
    """The pair's weight in the last window snapshot."""

    name = "copy-last"

    def _score(self, index, t, window, src, dst, keys, vals):
        return vals[-1], vals[-1]


class EWMAPairs(PairPredictor):
    """Exponentially weighted mean of the window with :class:`gcngan.baselines.EWMA`'s
    weights (oldest snapshot ``(1-alpha)^(W-1)``, the rest ``alpha (1-alpha)^age``)."""

    name = "ewma"

    def __init__(self, alpha: float = 0.5) -> None:
        if not 0.0 < alpha <= 1.0:
            raise ConfigError(f"ewma: alpha={alpha!r} must be in (0, 1]")
        self.alpha = alpha

    def weights(self, window: int) -> np.ndarray:
        """(W,) weights, oldest first; they sum to 1."""
        age = np.arange(window - 1, -1, -1, dtype=np.float64)
        w = self.alpha * (1.0 - self.alpha) ** age
        w[0] = (1.0 - self.alpha) ** (window - 1)
        return w

    def _score(self, index, t, window, src, dst, keys, vals):
        e = self.weights(window) @ vals                                    # (P,)
        return e, e

    def __repr__(self) -> str:
        return f"EWMAPairs(alpha={self.alpha})"


#: Entries of the dense source rows :func:`common_neighbour_sums` (flags) and
#: :func:`paths_of_three` (float64 per weight: 32 MiB) hold at once (``rows x N``).
PATH_DENSE_ENTRIES = 1 << 22
#: Both write the sources' rows densely while zeroing their ``sources x N`` entries costs
#: at most this many times the entries they then touch (a write or read per entry, no
#: sort); past that (``N`` far above the neighbourhoods) they use sparse products.
PATH_DENSE_ZEROS_PER_ENTRY = 16


def common_neighbour_sums(u_mat, src: np.ndarray, dst: np.ndarray,
                          node_weights: np.ndarray, chunk: int = 65536) -> np.ndarray:
    r"""Weighted common neighbours of the pairs in a union ``U``: column ``k`` is
    :math:`\sum_a U_{ua} U_{av} f_k(a)` (``f = 1``: their number; ``1 / \log d``:
    Adamic-Adar; ``1/d``: resource allocation), :math:`(P, K)` float64.

    Grouped by source, each block of sources' rows ``U[u]`` is a dense membership mask
    (at most :data:`PATH_DENSE_ENTRIES` flags) that every pair reads at ``v``'s neighbours:
    time :math:`O(\sum_{(u,v)} d_v)` and no sparse product. Where zeroing ``sources x N``
    flags would cost more than :data:`PATH_DENSE_ZEROS_PER_ENTRY` times those reads, the
    element-wise product of the rows ``U[u]`` and ``U[v]``, ``chunk`` pairs at a time.
    The same sums either way.

    Args:
        u_mat (scipy.sparse.csr_matrix): :math:`(N, N)` symmetric binary union.
        src, dst (np.ndarray): :math:`(P,)` node indices.
        node_weights (np.ndarray): :math:`(N, K)` the weights :math:`f_k`.
        chunk (int, optional): Pairs handled at once.
    """
    n, k = u_mat.shape[0], node_weights.shape[1]
    out = np.zeros((src.size, k))
    if src.size == 0 or u_mat.nnz == 0:
        return out
    indptr, indices = u_mat.indptr.astype(np.int64), u_mat.indices          # no copy
    count = np.diff(indptr)                                                 # (N,) row sizes
    sources, pair_source = np.unique(src, return_inverse=True)
    reads = float(count[dst].sum())
    if sources.size * float(n) > PATH_DENSE_ZEROS_PER_ENTRY * max(reads, 1.0):
        for a in range(0, src.size, chunk):
            both = u_mat[src[a:a + chunk]].multiply(u_mat[dst[a:a + chunk]])  # (c, N)
            out[a:a + chunk] = both @ node_weights                         # (c, K)
        return out
    order = np.argsort(pair_source, kind="stable")                          # pairs by source
    first = np.searchsorted(pair_source[order], np.arange(sources.size + 1))
    rows_at_once = max(PATH_DENSE_ENTRIES // n, 1)
    for a in range(0, sources.size, rows_at_once):
        block = sources[a:a + rows_at_once]
        member = np.zeros(block.size * n, dtype=bool)                       # rows U[u]
        member[np.repeat(np.arange(block.size), count[block]) * n
               + indices[concat_ranges(indptr[block], count[block])]] = True
        in_block = order[first[a]:first[a + block.size]]
        for c in range(0, in_block.size, chunk):
            pairs = in_block[c:c + chunk]
            v = dst[pairs]
            which = np.repeat(np.arange(pairs.size), count[v])              # (M,)
            nb = indices[concat_ranges(indptr[v], count[v])]               # a in N(v)
            hit = member[np.repeat(pair_source[pairs] - a, count[v]) * n + nb]
            for j in range(k):
                out[pairs, j] = np.bincount(which[hit], weights=node_weights[nb[hit], j],
                                            minlength=pairs.size)
    return out


class _UnionHeuristic(PairPredictor):
    r"""Sum over common neighbours ``k`` in ``U`` of ``f(d_k)``
    (:func:`common_neighbour_sums`: the sources' rows ``U[u]`` read at ``v``'s neighbours,
    65,536 pairs at a time, so memory stays :math:`O(\text{chunk} \cdot \bar d)`). At
    ``N = 100{,}000`` reading rows was 8x faster than the rows of
    :math:`U \operatorname{diag}(f(d)) U`, whose two-hop neighbourhoods grow with the hubs."""

    chunk = 65536                   # pairs handled at once (bounded memory)
    decimals = 9                    # scores are rounded to 1e-9

    def node_weight(self, deg: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _score(self, index, t, window, src, dst, keys, vals):
        u, deg = index.union(t, window)
        f = self.node_weight(deg)                                          # (N,)
        out = common_neighbour_sums(u, src, dst, f[:, None], chunk=self.chunk)[:, 0]
        # equal sums added in another order tie again (the rank counts ties half)
        return np.round(out, self.decimals), vals.mean(axis=0)


class CommonNeighbours(_UnionHeuristic):
    r""":math:`\sum_k U_{uk} U_{kv}`."""

    name = "common-neighbours"

    def node_weight(self, deg):
        return np.ones_like(deg)


class AdamicAdar(_UnionHeuristic):
    r""":math:`\sum_k U_{uk} U_{kv} / \log d_k`, terms with :math:`d_k \le 1` are 0."""

    name = "adamic-adar"

    def node_weight(self, deg):
        return adamic_adar_weight(deg)


class ResourceAllocation(_UnionHeuristic):
    r""":math:`\sum_k U_{uk} U_{kv} / d_k`."""

    name = "resource-allocation"

    def node_weight(self, deg):
        return inverse_degree(deg)


#: Two-hop row entries :func:`paths_of_three` computes at once (a bound on the working
#: memory, not on the result).
PATH_BLOCK_ENTRIES = 1 << 21


def _entry_positions(mat, n: int, want: np.ndarray):
    """Where the CSR ``mat`` (``k x n``, indices sorted here) stores the flat positions
    ``want = row * n + col``: ``(position (M,), found (M,) bool)``, ``(None, None)`` when
    ``mat`` is empty."""
    if mat.nnz == 0:
        return None, None
    mat.sort_indices()
    keys = np.repeat(np.arange(mat.shape[0], dtype=np.int64), np.diff(mat.indptr)) * n \
        + mat.indices                                                      # sorted
    at = np.searchsorted(keys, want).clip(max=keys.size - 1)
    return at, keys[at] == want


def paths_of_three(u_mat, deg: np.ndarray, src: np.ndarray, dst: np.ndarray,
                   node_weights: np.ndarray,
                   block_entries: int = PATH_BLOCK_ENTRIES) -> np.ndarray:
    r"""Weighted paths of length 3 from ``u`` to ``v`` in a union ``U``: column ``k`` is
    :math:`\sum_{a, b} U_{ua} f_k(a) U_{ab} f_k(b) U_{bv}` (``f = 1``: their number;
    ``f = 1/d``: the resource-allocation sum; ``f = d^{-1/2}``: L3).

    The sources' two-hop rows :math:`(U F_k U)_{u\cdot}` are built for blocks of sources
    holding at most ``block_entries`` entries together (bounded by
    :math:`\sum_{a \in N(u)} d_a` per source; a source beyond it alone); each pair then
    reads those rows at ``v``'s neighbours ``b`` (times :math:`f_k(b)`). The rows are
    dense (the two-hop walks scatter-added, at most ``block_entries`` at a time, into
    ``rows x N`` zeros, at most :data:`PATH_DENSE_ENTRIES`, read by direct indexing) unless
    zeroing them would cost more than :data:`PATH_DENSE_ZEROS_PER_ENTRY` times the walks;
    then sparse products, sorted and searched (one lookup for every ``k`` when their rows
    share a pattern, as positive weights do). The same sums either way (up to float
    rounding where a block's walks are added in pieces); time
    :math:`O(K \sum_u \sum_{a \in N(u)} d_a + \sum_{(u,v)} d_v)` (dense) and nothing of
    size :math:`N^2`.

    Args:
        u_mat (scipy.sparse.csr_matrix): :math:`(N, N)` symmetric binary union.
        deg (np.ndarray): :math:`(N,)` its degrees.
        src, dst (np.ndarray): :math:`(P,)` node indices.
        node_weights (np.ndarray): :math:`(N, K)` the weights :math:`f_k`.
        block_entries (int, optional): Two-hop entries per block at most.

    Returns:
        np.ndarray: :math:`(P, K)` float64.
    """
    n, k = deg.size, node_weights.shape[1]
    out = np.zeros((src.size, k))
    if src.size == 0 or u_mat.nnz == 0:
        return out
    reach = u_mat @ deg                                                     # (N,) bound
    sources, pair_source = np.unique(src, return_inverse=True)
    order = np.argsort(pair_source, kind="stable")                          # pairs by source
    first = np.searchsorted(pair_source[order], np.arange(sources.size + 1))
    cost = np.cumsum(reach[sources])
    dense = sources.size * float(n) <= PATH_DENSE_ZEROS_PER_ENTRY * max(float(cost[-1]), 1.0)
    rows_at_once = max(PATH_DENSE_ENTRIES // n, 1) if dense else sources.size
    indptr, indices = u_mat.indptr.astype(np.int64), u_mat.indices          # no copy
    count = np.diff(indptr)                                                 # (N,) row sizes
    rights = None if dense else _weighted_rights(u_mat, node_weights)
    a = 0
    while a < sources.size:
        b = max(int(np.searchsorted(cost, (cost[a - 1] if a else 0.0) + block_entries,
                                    side="right")), a + 1)
        b = min(b, a + rows_at_once)
        pairs = order[first[a]:first[b]]                                    # their pairs
        local = (pair_source[pairs] - a).astype(np.int64)                   # row in block
        v = dst[pairs]
        which = np.repeat(np.arange(pairs.size), count[v])                  # (M,)
        nb = indices[concat_ranges(indptr[v], count[v])]                   # b in N(v)
        want = local[which] * n + nb
        if dense:
            two = _dense_two_hop_rows(indptr, indices, count, sources[a:b], node_weights,
                                      block_entries)                        # (K, k_b * N)
            for j in range(k):
                out[pairs, j] = np.bincount(which, weights=two[j, want] * node_weights[nb, j],
                                            minlength=pairs.size)
        else:
            rows = u_mat[sources[a:b]]                                      # (k_b, N)
            seen = at = hit = None                          # the pattern looked up last
            for j, right in enumerate(rights):
                two = (rows @ right).tocsr()                                # (k_b, N) 2-hop
                two.sort_indices()
                if seen is None or not (np.array_equal(two.indptr, seen.indptr)
                                        and np.array_equal(two.indices, seen.indices)):
                    seen, (at, hit) = two, _entry_positions(two, n, want)
                raw = np.where(hit, two.data[at], 0.0) if at is not None else np.zeros(want.size)
                out[pairs, j] = np.bincount(which, weights=raw * node_weights[nb, j],
                                            minlength=pairs.size)
        a = b
    return out


def _dense_two_hop_rows(indptr: np.ndarray, indices: np.ndarray, count: np.ndarray,
                        block: np.ndarray, node_weights: np.ndarray,
                        walks_at_once: int) -> np.ndarray:
    r"""The two-hop rows :math:`\sum_a U_{ua} f_k(a) U_{ab}` of the sources ``block``
    :math:`(k_b,)`, dense: :math:`(K, k_b N)` float64, row ``i`` of weight ``k`` at
    ``[k, i N : (i + 1) N]``. The walks ``u - a - b`` are scatter-added in pieces of at most
    ``walks_at_once`` (one middle node ``a`` beyond it alone), so a hub's walks never sit
    in memory at once."""
    n, k = count.size, node_weights.shape[1]
    row = np.repeat(np.arange(block.size), count[block])                    # (A,)
    mid = indices[concat_ranges(indptr[block], count[block])]              # (A,) a in N(u)
    fan = np.cumsum(count[mid])                                             # walks so far
    two = np.zeros((k, block.size * n))
    start = 0
    while start < mid.size:
        stop = max(int(np.searchsorted(fan, (fan[start - 1] if start else 0) + walks_at_once,
                                       side="right")), start + 1)
        m = mid[start:stop]
        walk = np.repeat(row[start:stop], count[m]) * n + \
            indices[concat_ranges(indptr[m], count[m])]                   # (u, b) of u-a-b
        for j in range(k):
            two[j] += np.bincount(walk, weights=np.repeat(node_weights[m, j], count[m]),
                                  minlength=block.size * n)
        start = stop
    return two


def _weighted_rights(u_mat, node_weights: np.ndarray) -> list:
    """:math:`F_k U` for each column :math:`f_k` of ``node_weights`` (``U`` itself for
    :math:`f_k = 1`), CSR."""
    import scipy.sparse as sp

    return [u_mat if np.all(node_weights[:, j] == 1.0)
            else (sp.diags(node_weights[:, j]) @ u_mat).tocsr()
            for j in range(node_weights.shape[1])]


class L3Paths(PairPredictor):
    r"""L3 (Kovács et al., Nature Communications 2019): paths of length 3 in ``U``, each
    discounted by its two inner nodes' degrees,
    :math:`\sum_{a, b} U_{ua} U_{ab} U_{bv} / \sqrt{d_a d_b}` (:func:`paths_of_three`):
    the structure of bipartite user -> item streams, where every common-neighbour count is
    0, and of links two steps apart."""

    name = "l3-paths"
    decimals = 9                    # scores are rounded to 1e-9, as the union heuristics'

    def _score(self, index, t, window, src, dst, keys, vals):
        u, deg = index.union(t, window)
        score = paths_of_three(u, deg, src, dst, inverse_degree(deg, 0.5)[:, None])[:, 0]
        return np.round(score, self.decimals), vals.mean(axis=0)


class PrefAttachment(PairPredictor):
    r""":math:`d_u d_v` with degrees in the window's union ``U``."""

    name = "pref-attachment"

    def _score(self, index, t, window, src, dst, keys, vals):
        _, deg = index.union(t, window)
        return deg[src] * deg[dst], vals.mean(axis=0)


PAIR_PREDICTORS: dict[str, Callable[[], PairPredictor]] = {
    c.name: c for c in (EdgeBankInf, EdgeBankWindow, WindowCount, WindowMeanPairs,
                        WindowMedianPairs, CopyLastPairs, EWMAPairs, CommonNeighbours,
                        AdamicAdar, ResourceAllocation, PrefAttachment, L3Paths)
}


# ----- a learned combination ----------------------------------------------------------------
class StackedHeuristics(PairPredictor):
    r"""Logistic regression on the heuristics' scores, fitted on training targets only.

    Features of a pair (in :attr:`FEATURES` order) are the scores of ``window-count``,
    ``window-mean``, ``copy-last``, ``ewma``, ``edgebank-inf``, ``common-neighbours``,
    ``adamic-adar``, ``resource-allocation``, ``pref-attachment`` and ``l3-paths``, each
    transformed by
    :math:`\operatorname{sign}(x)\log(1 + |x|)` and standardised with the training rows'
    mean and standard deviation (a constant feature keeps scale 1). The score is the
    fitted logit :math:`b + \sum_j \beta_j z_j`; the predicted weight is the window mean
    (it ranks, it does not forecast weights).

    :meth:`fit` draws training candidates exactly as the ranking protocol draws them
    (:func:`gcngan.ranking.generate_negatives`: each true link ``u -> v`` of a training
    target against ``q`` negatives, up to half historical, the rest uniform, seeded) on the
    last ``max_targets`` training targets, and minimises the mean logistic loss plus
    :math:`\frac{l_2}{2}\lVert\beta\rVert^2` (intercept not penalised) by Newton's method
    (:math:`11 \times 11` systems): deterministic for a seed. Only the training targets'
    snapshots and those before them are read.

    Args:
        q (int, optional): Negatives per training query. (default: ``100``)
        max_queries (int, optional): Training queries per target at most. (default: ``200``)
        max_targets (int, optional): The last this many training targets are used.
            (default: ``20``)
        seed (int, optional): Seed of the training negatives. (default: ``0``)
        l2 (float, optional): Ridge penalty on the standardised coefficients.
            (default: ``1e-4``)

    Attributes (after :meth:`fit`):
        coef (ndarray): :math:`(F,)` coefficients of the standardised features.
        intercept (float): :math:`b`.
        mean, scale (ndarray): :math:`(F,)` standardisation of the transformed features.
        fit_info (dict): targets used, training rows and queries, iterations, loss.
    """

    name = "stacked-heuristics"
    needs_fit = True
    FEATURES = ("window-count", "window-mean", "copy-last", "ewma", "edgebank-inf",
                "common-neighbours", "adamic-adar", "resource-allocation", "pref-attachment",
                "l3-paths")

    def __init__(self, q: int = 100, max_queries: int = 200, max_targets: int = 20,
                 seed: int = 0, l2: float = 1e-4) -> None:
        if q < 1 or max_queries < 1 or max_targets < 1:
            raise ConfigError(f"stacked-heuristics: q={q}, max_queries={max_queries} and "
                              f"max_targets={max_targets} must be >= 1")
        if not l2 >= 0.0:
            raise ConfigError(f"stacked-heuristics: l2={l2!r} must be >= 0")
        self.q, self.max_queries, self.max_targets = q, max_queries, max_targets
        self.seed, self.l2 = seed, l2
        self._parts = [PAIR_PREDICTORS[f]() for f in self.FEATURES]
        self.coef: Optional[np.ndarray] = None
        self.intercept = 0.0
        self.mean = self.scale = None
        self.fit_info: dict = {}

    def features(self, index, t, window, src, dst, keys, vals) -> np.ndarray:
        """Transformed, not yet standardised features :math:`(P, F)` of the pairs."""
        cols = [part._score(index, t, window, src, dst, keys, vals)[0] for part in self._parts]
        x = np.stack(cols, axis=1).astype(np.float64)                      # (P, F)
        return np.sign(x) * np.log1p(np.abs(x))

    def fit(self, seq, train_targets: Sequence[int], window: int) -> "StackedHeuristics":
        """Fit the regression on the last ``max_targets`` of ``train_targets`` (see the
        class docstring).

        Raises:
            InputError: No training target, a target without a full window, or no
                training query (no link ``u -> v`` with ``u != v`` in the targets).
        """
        from gcngan.ranking import generate_negatives

        index = as_index(seq)
        targets = sorted({int(t) for t in train_targets})
        if not targets:
            raise InputError("stacked-heuristics: no training target to fit on")
        for t in targets:
            index.check_target(t, window)
            if t >= index.num_snapshots:
                raise InputError(f"stacked-heuristics: training target {t} is past the data")
        targets = targets[-self.max_targets:]
        cands = generate_negatives(index, targets, q=self.q, max_queries=self.max_queries,
                                   seed=self.seed)
        if not len(cands):
            raise InputError(f"stacked-heuristics: the training targets {targets[0]} .. "
                             f"{targets[-1]} hold no link u -> v with u != v to fit on")
        xs, ys = [], []
        for t in np.unique(cands.t).tolist():
            rows = np.flatnonzero(cands.t == t)
            src, dst = cands.src[rows], cands.dst[rows]
            keys = index.keys(src, dst)
            vals = index.window_values(t, window, keys)
            xs.append(self.features(index, t, window, src, dst, keys, vals))
            ys.append(cands.label[rows])
        x = np.concatenate(xs)                                             # (R, F)
        y = np.concatenate(ys).astype(np.float64)                          # (R,)
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[~(scale > 1e-12)] = 1.0
        z = (x - mean) / scale
        beta, iters, loss = _logistic_newton(z, y, self.l2)
        self.mean, self.scale = mean, scale
        self.intercept, self.coef = float(beta[0]), beta[1:]
        self.fit_info = {"targets": [int(targets[0]), int(targets[-1])], "rows": int(y.size),
                         "queries": int(y.sum()), "iterations": iters, "loss": loss}
        return self

    def _score(self, index, t, window, src, dst, keys, vals):
        if self.coef is None:
            raise ConfigError("stacked-heuristics is not fitted: call fit(seq, train_targets, "
                              "window) first (the ranking evaluation and gcngan score do)")
        z = (self.features(index, t, window, src, dst, keys, vals) - self.mean) / self.scale
        return self.intercept + z @ self.coef, vals.mean(axis=0)

    def coefficients(self) -> dict:
        """``{feature: coefficient}`` of the standardised features (after :meth:`fit`)."""
        if self.coef is None:
            return {}
        return {f: float(c) for f, c in zip(self.FEATURES, self.coef)}

    def fit_summary(self) -> dict:
        """``{"coefficients", "intercept", "targets", "rows", "queries", "iterations",
        "loss"}`` after :meth:`fit`, else ``{}``."""
        if self.coef is None:
            return {}
        return {"coefficients": self.coefficients(), "intercept": self.intercept,
                **self.fit_info}

    def __repr__(self) -> str:
        return (f"StackedHeuristics(q={self.q}, max_queries={self.max_queries}, "
                f"max_targets={self.max_targets}, seed={self.seed}, l2={self.l2})")


def _logistic_newton(z: np.ndarray, y: np.ndarray, l2: float, max_iter: int = 100,
                     tol: float = 1e-10) -> tuple[np.ndarray, int, float]:
    r"""Minimise :math:`\frac1R\sum_r \log(1 + e^{-s_r m_r}) + \frac{l_2}{2}\lVert\beta\rVert^2`
    (``m = b + z beta``, ``s = 2y - 1``) by Newton's method with step halving.

    Args:
        z (ndarray): :math:`(R, F)` standardised features.
        y (ndarray): :math:`(R,)` labels 0/1.
        l2 (float): Ridge penalty (not on the intercept).

    Returns:
        tuple: ``(beta (F+1,) with the intercept first, iterations, final loss)``.
    """
    r = y.size
    xz = np.concatenate([np.ones((r, 1)), z], axis=1)                      # (R, F+1)
    pen = np.full(xz.shape[1], l2)
    pen[0] = 0.0

    def loss_of(b: np.ndarray) -> float:
        m = xz @ b
        return float(np.mean(np.logaddexp(0.0, m) - y * m) + 0.5 * np.sum(pen * b * b))

    beta = np.zeros(xz.shape[1])
    p0 = min(max(float(y.mean()), 1e-9), 1 - 1e-9)
    beta[0] = np.log(p0 / (1.0 - p0))
    loss = loss_of(beta)
    it = 0
    for it in range(1, max_iter + 1):
        p = 0.5 * (1.0 + np.tanh(0.5 * (xz @ beta)))                       # sigmoid, stable
        grad = xz.T @ (p - y) / r + pen * beta
        hess = (xz * (p * (1.0 - p))[:, None]).T @ xz / r + np.diag(pen + 1e-12)
        step = np.linalg.solve(hess, grad)
        lr, new = 1.0, np.inf
        while lr >= 1e-6:
            cand = beta - lr * step
            new = loss_of(cand)
            if new <= loss:
                break
            lr *= 0.5
        if not new <= loss:                                  # no descent left: converged
            break
        converged = loss - new <= tol * max(1.0, abs(loss))
        beta, loss = cand, new
        if converged:
            break
    return beta, it, loss


#: predictors that learn (they need :meth:`PairPredictor.fit` on training targets)
LEARNED_PREDICTORS: dict[str, Callable[[], PairPredictor]] = {
    StackedHeuristics.name: StackedHeuristics,
}
#: every pair predictor, by name: the heuristics, then the learned ones
ALL_PREDICTORS: dict[str, Callable[[], PairPredictor]] = {**PAIR_PREDICTORS,
                                                          **LEARNED_PREDICTORS}


def fit_predictors(predictors: dict, seq, train_targets: Optional[Sequence[int]],
                   window: int) -> None:
    """Call :meth:`PairPredictor.fit` on every predictor of ``predictors`` (name -> object)
    that declares ``needs_fit``, with the training targets.

    Raises:
        InputError: A predictor needs fitting and ``train_targets`` is ``None`` or empty.
    """
    for name, p in predictors.items():
        if isinstance(p, PairPredictor) and p.needs_fit:
            if not train_targets:
                raise InputError(f"{name} must be fitted on training targets and none were "
                                 f"given")
            p.fit(seq, train_targets, window)
#: names of the dense protocol's baselines (``gcngan evaluate --baselines mean``)
ALIASES = {"mean": "window-mean", "median": "window-median"}


def get_pair_predictor(name: str) -> PairPredictor:
    """A new pair predictor by name (``mean``/``median`` are accepted for
    ``window-mean``/``window-median``); unknown names list the choices."""
    key = ALIASES.get(name, name)
    try:
        return ALL_PREDICTORS[key]()
    except KeyError:
        raise ConfigError(f"unknown baseline {name!r}; valid: "
                          f"{', '.join(ALL_PREDICTORS)}") from None

