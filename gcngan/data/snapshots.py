"""The in-memory dynamic network: ``SnapshotSequence`` and its weight ``Scaler``.

A dynamic network is ``T`` weighted adjacency snapshots over one node set of size
``N``: ``adj[t, i, j]`` is the weight of link ``i -> j`` in snapshot ``t`` (row = source,
column = destination). Weights are kept on the raw scale (after clipping at
``max_threshold``); models see ``scaler.transform(adj)`` in ``[0, 1]``.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from typing import Any, Optional, Sequence

import numpy as np
import torch

from gcngan.errors import InputError


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


@dataclass
class SnapshotSequence:
    """``T`` weighted snapshots over ``N`` nodes, with the node-id mapping.

    Args:
        adj (Tensor): Raw (clipped) weights, float32, shape :math:`(T, N, N)`.
        node_ids (list): Original id of node ``i`` (strings or integers), length ``N``.
        directed (bool): ``False`` when every snapshot is symmetric by construction.
        scaler (Scaler): Normalisation to ``[0, 1]``.
        times (list, optional): Label of each snapshot (index, or bucket start for events).
        source (str, optional): Where the data came from (path), for messages.
        weight_offset (float, optional): Added to every link weight at ingestion
            (``negative='shift'``); written predictions subtract it again. (default: ``0``)
    """

    adj: torch.Tensor
    node_ids: list
    directed: bool
    scaler: Scaler = field(default_factory=Scaler)
    times: Optional[list] = None
    source: str = ""
    num_rows: int = 0
    weight_offset: float = 0.0
    _fingerprint: Optional[str] = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.adj.dim() != 3 or self.adj.shape[1] != self.adj.shape[2]:
            raise InputError(f"{self.source or 'data'}: adjacency must be (T, N, N), "
                             f"got {tuple(self.adj.shape)}")
        if len(self.node_ids) != self.adj.shape[1]:
            raise InputError(f"{self.source or 'data'}: {len(self.node_ids)} node ids for "
                             f"{self.adj.shape[1]} nodes")

    @property
    def num_snapshots(self) -> int:
        return int(self.adj.shape[0])

    @property
    def num_nodes(self) -> int:
        return int(self.adj.shape[1])

    @property
    def fingerprint(self) -> str:
        """sha256 of the weights, node ids, direction and scaling (content, not file)."""
        if self._fingerprint is None:
            h = hashlib.sha256()
            h.update(np.ascontiguousarray(self.adj.numpy()).tobytes())
            h.update(repr([str(n) for n in self.node_ids]).encode())
            h.update(repr((self.directed, self.scaler.kind, self.scaler.denom)).encode())
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    def scaled(self) -> torch.Tensor:
        """Weights in ``[0, 1]``, shape :math:`(T, N, N)`."""
        return self.scaler.transform(self.adj).clamp(0.0, 1.0)

    def head(self, num_snapshots: int) -> "SnapshotSequence":
        """The first ``num_snapshots`` snapshots (same nodes, direction and scaling), e.g. to
        evaluate at an earlier origin with nothing after it in view.

        Raises:
            InputError: ``num_snapshots`` not in ``1 .. T``.
        """
        if not 1 <= num_snapshots <= self.num_snapshots:
            raise InputError(f"{self.source or 'data'}: cannot keep {num_snapshots} of "
                             f"{self.num_snapshots} snapshots")
        return replace(self, adj=self.adj[:num_snapshots].clone(), _fingerprint=None,
                       times=None if self.times is None else self.times[:num_snapshots])

    # ----- sparse views ---------------------------------------------------
    def edges(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Links of snapshot ``t`` as arrays ``src`` (E,) int64, ``dst`` (E,) int64 and raw
        ``weight`` (E,) float32, sorted by ``(src, dst)``."""
        src, dst = torch.nonzero(self.adj[t], as_tuple=True)
        return (src.numpy().astype(np.int64), dst.numpy().astype(np.int64),
                self.adj[t, src, dst].numpy().astype(np.float32))

    def csr(self, t: int):
        """Snapshot ``t`` as a ``scipy.sparse.csr_matrix`` of shape :math:`(N, N)`, raw
        float32 weights, row = source."""
        import scipy.sparse as sp

        src, dst, w = self.edges(t)
        n = self.num_nodes
        return sp.csr_matrix((w, (src, dst)), shape=(n, n), dtype=np.float32)

    def edge_index(self, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Sparse view of snapshot ``t``: ``edge_index`` (2, E) ``[src; dst]`` and raw ``edge_weight`` (E,)."""
        src, dst = torch.nonzero(self.adj[t], as_tuple=True)
        return torch.stack([src, dst]), self.adj[t, src, dst]

    def to_pyg(self, scaled: bool = True) -> list:
        """One ``torch_geometric.data.Data`` per snapshot (``edge_index``, ``edge_weight``, ``num_nodes``).

        PyG's message passing sends along ``edge_index[0] -> edge_index[1]``, i.e. from
        ``src`` (row) to ``dst`` (column), matching ``adj[t, src, dst]``.
        """
        from torch_geometric.data import Data

        adj = self.scaled() if scaled else self.adj
        out = []
        for t in range(self.num_snapshots):
            src, dst = torch.nonzero(adj[t], as_tuple=True)
            out.append(Data(edge_index=torch.stack([src, dst]), edge_weight=adj[t, src, dst],
                            num_nodes=self.num_nodes))
        return out

    def to_networkx(self, t: int):
        """Snapshot ``t`` as a ``networkx`` (Di)Graph on the original node ids, raw ``weight``."""
        import networkx as nx

        g = nx.DiGraph() if self.directed else nx.Graph()
        g.add_nodes_from(self.node_ids)
        src, dst = torch.nonzero(self.adj[t], as_tuple=True)
        w = self.adj[t, src, dst].tolist()
        ids = self.node_ids
        g.add_weighted_edges_from((ids[i], ids[j], x) for i, j, x in zip(src.tolist(), dst.tolist(), w))
        return g

    @classmethod
    def from_networkx(cls, graphs: Sequence[Any], node_ids: Optional[list] = None,
                      scaler: Optional[Scaler] = None) -> "SnapshotSequence":
        """Build from a list of ``networkx`` graphs (edge attribute ``weight``, default 1)."""
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
        adj = torch.stack([torch.as_tensor(
            nx.to_numpy_array(g, nodelist=node_ids, weight="weight", dtype=np.float64),
            dtype=torch.float32) for g in graphs])
        denom = float(adj.max()) if adj.numel() else 1.0
        return cls(adj=adj, node_ids=list(node_ids), directed=directed,
                   scaler=scaler or Scaler("linear", denom), source="networkx")

    def summary(self) -> dict:
        """Statistics for ``gcngan data inspect``: sizes, weight range and quantiles, density."""
        adj = self.adj
        nz = adj[adj > 0]
        n, t = self.num_nodes, self.num_snapshots
        per = (adj > 0).flatten(1).sum(1).double()
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
            "zero_share": float(1.0 - nz.numel() / max(1, adj.numel())),
            "empty_snapshots": int((per == 0).sum()),
            "scale": self.scaler.to_dict(),
            "fingerprint": self.fingerprint,
        }
