r"""Sampled training subgraphs of the sparse family: a training step whose cost does not
depend on :math:`N` (issue 15).

Trained on whole windows, a step of the sparse model propagates every link of its ``W``
snapshots: :math:`O(W E)`, so an epoch grows with the data. With
``train.subgraph_nodes = S`` (and :math:`N > S`), each training target ``t`` instead
trains on a node set of ``S`` nodes drawn once per target (seeded), in the spirit of
Cluster-GCN / GraphSAINT:

1. :func:`sample_subgraph` — the endpoints of ``t``'s true links taken in random order
   fill the first half of the budget; their neighbours in the window's undirected union
   (then those neighbours' neighbours) fill the rest, in random order; uniform nodes only
   if the two hops run out. The set keeps the links and the 2-hop structure around the
   links to be predicted, which is what the pair features and the GCN read.
2. The training candidates are drawn inside the set
   (:func:`gcngan.ranking.generate_negatives` with ``nodes``): true links with both ends in
   it, historical and uniform negatives from it.
3. The GCN propagates the window's links **induced** on the set (:func:`induced_edges`;
   the normalisation is the subgraph's own, as Cluster-GCN's); the pair features are still
   computed on the whole window (they are per pair, cost :math:`O(1)` each once the
   window's union is built).

Prediction and evaluation always read the whole window. A step then costs
:math:`O(W (S \log E + E_S))` with :math:`E_S` the induced links, whatever :math:`N`;
sampling a target costs its window's union once (:math:`O(W E)`, cached with the
candidates, as the whole-window path caches its candidates).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def _first_occurrences(x: np.ndarray) -> np.ndarray:
    """The distinct values of ``x`` in the order they first occur."""
    _, first = np.unique(x, return_index=True)
    return x[np.sort(first)]


def sample_subgraph(index, t: int, window: int, size: int,
                    rng: np.random.Generator) -> np.ndarray:
    """A node set of ``size`` nodes around target ``t``'s links (see the module docstring).

    Args:
        index (PairIndex): The data's index.
        t (int): Target snapshot (``window <= t``).
        window (int): :math:`W`.
        size (int): :math:`S`, the nodes to draw (all :math:`N` when ``size >= N``).
        rng (np.random.Generator): The draw's generator.

    Returns:
        np.ndarray: :math:`(\\min(S, N),)` int64 sorted node indices.
    """
    from gcngan.ranking import _sample_uniform

    n = index.num_nodes
    if size >= n:
        return np.arange(n, dtype=np.int64)
    keys, _ = index.snapshot(int(t))
    s, d = keys // n, keys % n
    off = s != d
    perm = rng.permutation(int(off.sum()))
    ends = np.stack([s[off][perm], d[off][perm]], axis=1).ravel()          # (2 L,)
    members = _first_occurrences(ends)[:size // 2]
    union, _ = index.union(int(t), int(window))                           # CSR (N, N)
    frontier = members
    for _hop in range(2):
        if members.size >= size or frontier.size == 0:
            break
        rows = union[frontier]
        near = np.setdiff1d(np.unique(rows.indices), members)             # sorted, new
        take = rng.permutation(near)[:size - members.size]
        members, frontier = np.concatenate([members, take]), take
    if members.size < size:
        fill = _sample_uniform(rng, n, size - members.size, np.sort(members))
        members = np.concatenate([members, fill])
    return np.sort(members).astype(np.int64)


def induced_edges(edge_index: Tensor, edge_weight: Tensor,
                  nodes: np.ndarray) -> tuple[Tensor, Tensor]:
    r"""The links of one snapshot with both ends in ``nodes``.

    Args:
        edge_index (Tensor): :math:`(2, E)` long ``[src; dst]``, sorted by ``src``.
        edge_weight (Tensor): :math:`(E,)`.
        nodes (np.ndarray): :math:`(S,)` sorted unique node indices.

    Returns:
        ``(edge_index (2, E_S), edge_weight (E_S,))``, in the input's order. Costs
        :math:`O(S \log E)` plus the out-links of ``nodes``, never :math:`O(E)`.
    """
    src = edge_index[0].numpy()
    lo = np.searchsorted(src, nodes, side="left")
    hi = np.searchsorted(src, nodes, side="right")
    count = hi - lo                                                        # (S,)
    total = int(count.sum())
    start = np.repeat(lo - (np.cumsum(count) - count), count)              # (total,)
    rows = start + np.arange(total)                                        # out-links
    dst = edge_index[1].numpy()[rows]
    pos = np.searchsorted(nodes, dst).clip(max=max(nodes.size - 1, 0))
    rows = torch.from_numpy(rows[nodes[pos] == dst] if nodes.size else rows[:0])
    return edge_index[:, rows], edge_weight[rows]
