"""The in-memory dynamic network: ``SnapshotSequence`` and its weight ``Scaler``.

A dynamic network is ``T`` weighted adjacency snapshots over one node set of size
``N``: ``adj[t, i, j]`` is the weight of link ``i -> j`` in snapshot ``t`` (row = source,
column = destination). Weights are kept on the raw scale (after clipping at
``max_threshold``); models see ``scaler.transform(adj)`` in ``[0, 1]``.

Storage is sparse: one COO table of the non-zero entries ``(t, src, dst, weight)``, sorted
by ``(t, src, dst)``, with per-snapshot offsets, so memory is ``O(E)``. The dense
``(T, N, N)`` tensor :attr:`SnapshotSequence.adj` is built on first use, and only when it
has at most :data:`MAX_DENSE_ENTRIES` entries (the dense models need it; everything else
reads :meth:`~SnapshotSequence.edges`, :meth:`~SnapshotSequence.csr` or the summaries).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np
import torch

from gcngan.errors import InputError

#: Largest dense view (T * N * N entries) built without complaint: 2**28 float32 = 1 GiB.
MAX_DENSE_ENTRIES = 2 ** 28
#: Entries hashed per step when the dense-layout fingerprint is streamed from the COO table.
_HASH_BLOCK = 1 << 22


@dataclass(frozen=True)
class Scaler:
    """Maps raw weights to ``[0, 1]`` and back, exactly.

    ``linear``: ``x / denom``; ``log1p``: ``log1p(x) / log1p(denom)``, where ``denom`` is
    the clipping cap (``max_threshold``) when there is one, else the largest weight seen.

    Examples:
        >>> s = Scaler("linear", 2000.0)
        >>> float(s.transform(torch.tensor(500.0)))
        0.25
    """

    kind: str = "linear"
    denom: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in ("linear", "log1p"):
            raise InputError(f"unknown scale {self.kind!r}; valid: linear, log1p")
        if not (self.denom > 0 and math.isfinite(self.denom)):
            object.__setattr__(self, "denom", 1.0)

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """Raw weights -> ``[0, 1]`` (any shape)."""
        if self.kind == "linear":
            return x / self.denom
        return torch.log1p(x) / math.log1p(self.denom)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """``[0, 1]`` -> raw weights (any shape); inputs are clamped to ``[0, 1]`` first."""
        y = y.clamp(0.0, 1.0)
        if self.kind == "linear":
            return y * self.denom
        return torch.expm1(y * math.log1p(self.denom))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "denom": float(self.denom)}

    @classmethod
    def from_dict(cls, d: dict) -> "Scaler":
        return cls(str(d["kind"]), float(d["denom"]))


def dense_size_error(source: str, num_snapshots: int, num_nodes: int,
                     events: bool = False) -> InputError:
    """The one-line refusal of a dense view with more than :data:`MAX_DENSE_ENTRIES`
    entries, naming the size and the largest ``--top-k`` that would fit."""
    t, n = int(num_snapshots), int(num_nodes)
    k_max = math.isqrt(MAX_DENSE_ENTRIES // max(t, 1))
    fixes = [f"keep the {k_max} most active nodes with --top-k {k_max}"] if k_max >= 2 else []
    if events:
        fixes.append("use a coarser --granularity")
    return InputError(f"{source or 'data'}: {t} snapshots x {n} x {n} nodes is too large for "
                      f"dense snapshots (at most {MAX_DENSE_ENTRIES:,} entries); "
                      f"{' or '.join(fixes) or 'use fewer snapshots'}")


class SnapshotSequence:
    """``T`` weighted snapshots over ``N`` nodes, with the node-id mapping, stored as edges.

    Build it from a dense tensor (``SnapshotSequence(adj, node_ids, directed)``, small data,
    tests) or from edge arrays (:meth:`from_edges`, what ingestion does); both give the same
    object. Internally: ``ptr`` (T+1,) offsets into ``src``, ``dst`` (E,) node indices and
    ``weight`` (E,) float32 raw weights, sorted by ``(t, src, dst)``, zeros left out.

    Args:
        adj (Tensor, optional): Raw (clipped) weights, float32, shape :math:`(T, N, N)`;
            kept as the dense view (not copied). Omit it only via :meth:`from_edges`.
        node_ids (list): Original id of node ``i`` (strings or integers), length ``N``.
        directed (bool): ``False`` when every snapshot is symmetric by construction.
        scaler (Scaler): Normalisation to ``[0, 1]``.
        times (list, optional): Label of each snapshot (index, or bucket start for events).
        source (str, optional): Where the data came from (path), for messages.
        num_rows (int, optional): Input rows kept at ingestion.
        weight_offset (float, optional): Added to every link weight at ingestion
            (``negative='shift'``); written predictions subtract it again. (default: ``0``)
        granularity (float, optional): Snapshot width in seconds for event streams (messages
            suggest a coarser one when the dense view does not fit).
        time_unit (str, optional): Event streams: the unit their numeric timestamps were
            read in (``"s"``, ``"ms"``, ``"us"``, ``"ns"``;
            :func:`gcngan.data.events.resolve_time_unit`), so that event times given later
            (``score --pairs`` with a ``timestamp`` column) are read the same way.
        num_sources (int, optional): Two id spaces (a ``user -> item`` stream whose users
            and items are counted apart): nodes ``0 .. U-1`` are the sources (users),
            ``U .. N-1`` the destinations (items), every link goes from the first to the
            second, and an id may name one node of each (``node_ids`` holds each side's own
            ids). ``None``: one id space (default).

    The dense view :attr:`adj` must not be modified in place once a sparse accessor or the
    fingerprint has been used (they are cached).
    """

    def __init__(self, adj: Optional[torch.Tensor] = None, node_ids: Optional[list] = None,
                 directed: bool = True, scaler: Optional[Scaler] = None,
                 times: Optional[list] = None, source: str = "", num_rows: int = 0,
                 weight_offset: float = 0.0, _fingerprint: Optional[str] = None, *,
                 granularity: Optional[float] = None,
                 num_sources: Optional[int] = None, time_unit: Optional[str] = None) -> None:
        self.node_ids = list(node_ids) if node_ids is not None else []
        self.num_sources = None if num_sources is None else int(num_sources)
        self.directed = bool(directed)
        self.scaler = scaler if scaler is not None else Scaler()
        self.times = times
        self.source = source
        self.num_rows = int(num_rows)
        self.weight_offset = float(weight_offset)
        self.granularity = granularity
        self.time_unit = time_unit if granularity is not None else None
        self._fingerprint = _fingerprint
        self._dense: Optional[torch.Tensor] = None
        self._coo: Optional[tuple] = None
        if adj is None:                                  # from_edges fills the COO table
            self._num_t, self._num_n = 0, len(self.node_ids)
            return
        if adj.dim() != 3 or adj.shape[1] != adj.shape[2]:
            raise InputError(f"{source or 'data'}: adjacency must be (T, N, N), "
                             f"got {tuple(adj.shape)}")
        if len(self.node_ids) != adj.shape[1]:
            raise InputError(f"{source or 'data'}: {len(self.node_ids)} node ids for "
                             f"{adj.shape[1]} nodes")
        self._dense = adj
        self._num_t, self._num_n = int(adj.shape[0]), int(adj.shape[1])

    # ----- construction from edges -------------------------------------------
    @classmethod
    def from_edges(cls, t: np.ndarray, src: np.ndarray, dst: np.ndarray, weight: np.ndarray,
                   num_snapshots: int, node_ids: list, directed: bool,
                   scaler: Optional[Scaler] = None, *, presorted: bool = False,
                   **kw) -> "SnapshotSequence":
        """Build from the non-zero entries, without any ``N x N`` tensor.

        Args:
            t, src, dst (ndarray): Snapshot index and node indices of each entry, shape (E,).
            weight (ndarray): Raw weight of each entry, shape (E,) (stored as float32; zeros
                are dropped).
            num_snapshots (int): ``T`` (trailing snapshots may be empty).
            node_ids (list): Original ids, length ``N``.
            directed (bool): As in the constructor; ``kw``: ``times``, ``source``,
                ``num_rows``, ``weight_offset``, ``granularity``, ``num_sources``,
                ``time_unit``.
            presorted (bool): The entries are already sorted by ``(t, src, dst)``, unique
                and non-zero (ingestion guarantees it): skip the sort and the checks.

        Raises:
            InputError: an index out of range or an entry ``(t, src, dst)`` given twice.
        """
        seq = cls(None, node_ids, directed, scaler, **kw)
        num_t, n = int(num_snapshots), len(seq.node_ids)
        t = np.asarray(t, dtype=np.int64)
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        w = np.asarray(weight, dtype=np.float32)
        if not (len(t) == len(src) == len(dst) == len(w)):
            raise InputError(f"{seq.source or 'data'}: edge arrays differ in length")
        if presorted:
            seq._set_coo(num_t, n, t, src, dst, w)
            return seq
        for name, arr, hi in (("snapshot", t, num_t), ("source", src, n), ("destination", dst, n)):
            if len(arr) and (int(arr.min()) < 0 or int(arr.max()) >= hi):
                raise InputError(f"{seq.source or 'data'}: {name} index out of range 0..{hi - 1}")
        keep = w != 0
        if not keep.all():
            t, src, dst, w = t[keep], src[keep], dst[keep], w[keep]
        order = np.lexsort((dst, src, t))
        t, src, dst, w = t[order], src[order], dst[order], w[order]
        if len(t) > 1:
            same = (t[1:] == t[:-1]) & (src[1:] == src[:-1]) & (dst[1:] == dst[:-1])
            if same.any():
                k = int(np.flatnonzero(same)[0])
                raise InputError(f"{seq.source or 'data'}: entry (t={t[k]}, {src[k]}, {dst[k]}) "
                                 f"given twice")
        seq._set_coo(num_t, n, t, src, dst, w)
        return seq

    def _set_coo(self, num_t: int, n: int, t: np.ndarray, src: np.ndarray, dst: np.ndarray,
                 w: np.ndarray) -> None:
        """Store sorted entries; indices as int32 when ``N`` allows (half the memory)."""
        idx = np.int32 if n < 2 ** 31 else np.int64
        ptr = np.searchsorted(t, np.arange(num_t + 1), side="left").astype(np.int64)
        self._num_t, self._num_n = num_t, n
        self._coo = (ptr, src.astype(idx, copy=False), dst.astype(idx, copy=False),
                     w.astype(np.float32, copy=False))

    def _table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(ptr (T+1,), src (E,), dst (E,), weight (E,))``, built from the dense view once."""
        if self._coo is None:
            nz = torch.nonzero(self._dense, as_tuple=True)              # sorted (t, src, dst)
            t = nz[0].numpy()
            w = self._dense[nz].numpy().astype(np.float32)
            self._set_coo(self._num_t, self._num_n, t, nz[1].numpy(), nz[2].numpy(), w)
        return self._coo

    # ----- sizes ---------------------------------------------------------------
    @property
    def num_snapshots(self) -> int:
        return int(self._num_t)

    @property
    def num_nodes(self) -> int:
        return int(self._num_n)

    @property
    def num_edges(self) -> int:
        """Non-zero entries over all snapshots (``E``)."""
        return int(self._table()[0][-1])

    @property
    def dense_entries(self) -> int:
        """``T * N * N``: the size the dense view would have."""
        return self._num_t * self._num_n * self._num_n

    @property
    def fits_dense(self) -> bool:
        """Whether :attr:`adj` may be built (at most :data:`MAX_DENSE_ENTRIES` entries)."""
        return self._dense is not None or self.dense_entries <= MAX_DENSE_ENTRIES

    # ----- the dense view ------------------------------------------------------
    @property
    def adj(self) -> torch.Tensor:
        """Raw weights as a dense float32 tensor :math:`(T, N, N)`, built on first use and
        cached.

        Raises:
            InputError: the view would exceed :data:`MAX_DENSE_ENTRIES` entries (one line
                naming the size and the largest ``--top-k`` that fits).
        """
        if self._dense is None:
            if not self.fits_dense:
                raise dense_size_error(self.source, self._num_t, self._num_n,
                                       events=self.granularity is not None)
            ptr, src, dst, w = self._table()
            n = self._num_n
            key = self._keys()
            dense = torch.zeros(self.dense_entries, dtype=torch.float32)
            dense[torch.from_numpy(key)] = torch.from_numpy(w)
            self._dense = dense.view(self._num_t, n, n)
        return self._dense

    @adj.setter
    def adj(self, value: torch.Tensor) -> None:
        other = SnapshotSequence(value, self.node_ids, self.directed, self.scaler,
                                 source=self.source, num_sources=self.num_sources)
        self._dense, self._coo, self._fingerprint = other._dense, None, None
        self._num_t, self._num_n = other._num_t, other._num_n

    def _keys(self) -> np.ndarray:
        """Flat dense position ``(t * N + src) * N + dst`` of every entry, (E,) int64, sorted."""
        ptr, src, dst, _ = self._table()
        n = self._num_n
        t = np.repeat(np.arange(self._num_t, dtype=np.int64), np.diff(ptr))
        return (t * n + src.astype(np.int64)) * n + dst.astype(np.int64)

    def scaled(self) -> torch.Tensor:
        """Weights in ``[0, 1]``, shape :math:`(T, N, N)` (the dense view; see :attr:`adj`)."""
        return self.scaler.transform(self.adj).clamp(0.0, 1.0)

    # ----- identity --------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """sha256 of the weights, node ids, direction and scaling (content, not file).

        Where the dense view fits, the weights are hashed in its byte layout (streamed from
        the edges, never built), so fingerprints agree with those of earlier versions that
        stored dense tensors; beyond that, the COO table is hashed.
        """
        if self._fingerprint is None:
            h = hashlib.sha256()
            if self._dense is not None:
                h.update(np.ascontiguousarray(self._dense.numpy()).tobytes())
            elif self.fits_dense:
                self._hash_dense_layout(h)
            else:
                ptr, src, dst, w = self._table()
                h.update(b"gcngan-coo-v1")
                h.update(repr((self._num_t, self._num_n)).encode())
                for arr in (ptr, src.astype(np.int64), dst.astype(np.int64), w):
                    h.update(np.ascontiguousarray(arr).tobytes())
            h.update(repr([str(n) for n in self.node_ids]).encode())
            h.update(repr((self.directed, self.scaler.kind, self.scaler.denom)).encode())
            if self.num_sources is not None:             # one id space: as before
                h.update(repr(("num_sources", self.num_sources)).encode())
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    def _hash_dense_layout(self, h) -> None:
        """Feed ``h`` the bytes of the dense float32 view, block by block."""
        key = self._keys()
        w = self._table()[3]
        total = self.dense_entries
        for a in range(0, total, _HASH_BLOCK):
            b = min(a + _HASH_BLOCK, total)
            lo, hi = np.searchsorted(key, [a, b])
            buf = np.zeros(b - a, dtype=np.float32)
            buf[key[lo:hi] - a] = w[lo:hi]
            h.update(buf.tobytes())

    def head(self, num_snapshots: int) -> "SnapshotSequence":
        """The first ``num_snapshots`` snapshots (same nodes, direction and scaling), e.g. to
        evaluate at an earlier origin with nothing after it in view.

        Raises:
            InputError: ``num_snapshots`` not in ``1 .. T``.
        """
        if not 1 <= num_snapshots <= self.num_snapshots:
            raise InputError(f"{self.source or 'data'}: cannot keep {num_snapshots} of "
                             f"{self.num_snapshots} snapshots")
        kw = dict(node_ids=self.node_ids, directed=self.directed, scaler=self.scaler,
                  times=None if self.times is None else self.times[:num_snapshots],
                  source=self.source, num_rows=self.num_rows, weight_offset=self.weight_offset,
                  granularity=self.granularity, num_sources=self.num_sources,
                  time_unit=self.time_unit)
        if self._dense is not None:
            return SnapshotSequence(self._dense[:num_snapshots].clone(), **kw)
        ptr, src, dst, w = self._table()
        out = SnapshotSequence(None, **kw)
        end = int(ptr[num_snapshots])
        out._num_t, out._num_n = num_snapshots, self._num_n
        out._coo = (ptr[:num_snapshots + 1].copy(), src[:end].copy(), dst[:end].copy(),
                    w[:end].copy())
        return out

    # ----- id spaces ---------------------------------------------------------------
    def id_space(self, side: str) -> tuple[list, int]:
        """``(ids, offset)`` of the nodes a ``side`` (``'src'`` or ``'dst'``) of a link names:
        node ``offset + i`` has id ``ids[i]``. One id space: every node for both sides;
        two (:attr:`num_sources`): the sources for ``'src'``, the destinations for
        ``'dst'``."""
        if side not in ("src", "dst"):
            raise ValueError(f"side {side!r} is not 'src' or 'dst'")
        u = self.num_sources
        if u is None:
            return self.node_ids, 0
        return (self.node_ids[:u], 0) if side == "src" else (self.node_ids[u:], u)

    def __repr__(self) -> str:
        return (f"SnapshotSequence(T={self.num_snapshots}, N={self.num_nodes}, "
                f"directed={self.directed}, source={self.source!r})")

    # ----- sparse views ---------------------------------------------------
    def link_counts(self) -> np.ndarray:
        """Non-zero entries of each snapshot, shape (T,) int64."""
        return np.diff(self._table()[0])

    def positive_counts(self) -> np.ndarray:
        """Entries with a positive weight in each snapshot, shape (T,) int64."""
        ptr, _, _, w = self._table()
        cs = np.concatenate([[0], np.cumsum(w > 0, dtype=np.int64)])
        return cs[ptr[1:]] - cs[ptr[:-1]]

    def density(self) -> np.ndarray:
        """Share of the :math:`N^2` entries with a positive weight, per snapshot, (T,) float64."""
        per = torch.from_numpy(self.positive_counts().astype(np.float64))
        return (per / (self.num_nodes ** 2)).numpy()

    def edges(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Links of snapshot ``t`` as arrays ``src`` (E,) int64, ``dst`` (E,) int64 and raw
        ``weight`` (E,) float32, sorted by ``(src, dst)``."""
        ptr, src, dst, w = self._table()
        t = range(self._num_t)[t]                       # bounds check, negative indices
        a, b = int(ptr[t]), int(ptr[t + 1])
        return src[a:b].astype(np.int64), dst[a:b].astype(np.int64), w[a:b].copy()

    def csr(self, t: int):
        """Snapshot ``t`` as a ``scipy.sparse.csr_matrix`` of shape :math:`(N, N)`, raw
        float32 weights, row = source."""
        import scipy.sparse as sp

        src, dst, w = self.edges(t)
        n = self.num_nodes
        indptr = np.searchsorted(src, np.arange(n + 1), side="left")
        return sp.csr_matrix((w, dst, indptr), shape=(n, n), dtype=np.float32)

    def edge_index(self, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Sparse view of snapshot ``t``: ``edge_index`` (2, E) ``[src; dst]`` and raw ``edge_weight`` (E,)."""
        src, dst, w = self.edges(t)
        return torch.from_numpy(np.stack([src, dst])), torch.from_numpy(w)

    def to_pyg(self, scaled: bool = True) -> list:
        """One ``torch_geometric.data.Data`` per snapshot (``edge_index``, ``edge_weight``, ``num_nodes``).

        PyG's message passing sends along ``edge_index[0] -> edge_index[1]``, i.e. from
        ``src`` (row) to ``dst`` (column), matching ``adj[t, src, dst]``. Scaled weights
        that clamp to 0 are left out, as in the dense view.
        """
        from torch_geometric.data import Data

        out = []
        for t in range(self.num_snapshots):
            ei, ew = self.edge_index(t)
            if scaled:
                ew = self.scaler.transform(ew).clamp(0.0, 1.0)
                keep = ew != 0
                ei, ew = ei[:, keep], ew[keep]
            out.append(Data(edge_index=ei, edge_weight=ew, num_nodes=self.num_nodes))
        return out

    def to_networkx(self, t: int):
        """Snapshot ``t`` as a ``networkx`` (Di)Graph on the original node ids, raw ``weight``."""
        import networkx as nx

        g = nx.DiGraph() if self.directed else nx.Graph()
        g.add_nodes_from(self.node_ids)
        src, dst, w = self.edges(t)
        ids = self.node_ids
        g.add_weighted_edges_from((ids[i], ids[j], x) for i, j, x in
                                  zip(src.tolist(), dst.tolist(), w.tolist()))
        return g

    @classmethod
    def from_networkx(cls, graphs: Sequence[Any], node_ids: Optional[list] = None,
                      scaler: Optional[Scaler] = None) -> "SnapshotSequence":
        """Build from a list of ``networkx`` graphs (edge attribute ``weight``, default 1),
        through sparse matrices (no ``N x N`` array)."""
        import networkx as nx

        if not graphs:
            raise InputError("from_networkx: no graphs given")
        if node_ids is None:
            seen: dict = {}
            for g in graphs:
                for n in g.nodes:
                    seen.setdefault(n, len(seen))
            node_ids = list(seen)
        directed = any(g.is_directed() for g in graphs)
        parts = []
        for k, g in enumerate(graphs):
            m = nx.to_scipy_sparse_array(g, nodelist=node_ids, weight="weight",
                                         dtype=np.float64, format="coo")
            parts.append((np.full(m.nnz, k, dtype=np.int64), m.row, m.col, m.data))
        t, src, dst, w = (np.concatenate([p[i] for p in parts]) for i in range(4))
        w32 = w.astype(np.float32)
        n = len(node_ids)
        denom = float(w32.max()) if len(w32) else 0.0
        if len(w32) < len(graphs) * n * n:                  # the zeros count, as in a dense max
            denom = max(denom, 0.0)
        seq = cls.from_edges(t, src, dst, w32, len(graphs), list(node_ids), directed,
                             scaler or Scaler("linear", denom), source="networkx")
        return seq

    def summary(self) -> dict:
        """Statistics for ``gcngan data inspect``: sizes, weight range and quantiles, density,
        the snapshot width of an event stream (``granularity``, e.g. ``"1d"``; else ``None``)
        and the unit of its times when not seconds (``time_unit``).

        Computed from the edges (nothing of size :math:`N^2`)."""
        from gcngan.data.events import granularity_label

        ptr, _, _, w = self._table()
        nz = torch.from_numpy(w[w > 0])
        n, t = self.num_nodes, self.num_snapshots
        per = torch.from_numpy(self.positive_counts().astype(np.float64))
        pairs = n * n
        q = {}
        if nz.numel():
            qs = torch.tensor([0.25, 0.5, 0.75, 0.99], dtype=torch.float64)
            vals = torch.quantile(nz.double()[:16_000_000], qs).tolist()
            q = {"p25": vals[0], "p50": vals[1], "p75": vals[2], "p99": vals[3]}
        return {
            "source": self.source,
            "num_nodes": n,
            "num_snapshots": t,
            "num_rows": int(self.num_rows),
            "num_nonzero": int(nz.numel()),
            "directed": bool(self.directed),
            "weight_min": float(nz.min()) if nz.numel() else 0.0,
            "weight_max": float(nz.max()) if nz.numel() else 0.0,
            "weight_quantiles": q,
            "density_mean": float(per.mean() / pairs) if t else 0.0,
            "density_min": float(per.min() / pairs) if t else 0.0,
            "density_max": float(per.max() / pairs) if t else 0.0,
            "zero_share": float(1.0 - nz.numel() / max(1, self.dense_entries)),
            "empty_snapshots": int((per == 0).sum()),
            "granularity": (None if self.granularity is None
                            else granularity_label(self.granularity)),
            **({"time_unit": self.time_unit} if self.time_unit not in (None, "s") else {}),
            "scale": self.scaler.to_dict(),
            "fingerprint": self.fingerprint,
            **({} if self.num_sources is None else {"num_sources": self.num_sources}),
        }
