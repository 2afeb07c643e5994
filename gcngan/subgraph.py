r"""Sampled training subgraphs of the sparse family: a training step whose cost does not
grow with :math:`N` (issue 15).

Trained on whole windows, a step of the sparse model propagates every link of its ``W``
snapshots: :math:`O(W E)`, so an epoch grows with the data. With
``train.subgraph_nodes = S`` (and :math:`N > S`), the GCN of a step on target ``t``
propagates only the links of a node subgraph drawn once per target (seeded), in the
spirit of Cluster-GCN / GraphSAINT, while the training candidates stay exactly those of
the whole-window path (true links and evaluation-style negatives over all :math:`N`
nodes; sampling negatives inside a neighbourhood-biased set made them harder than the
evaluation's and cost up to 0.065 MRR on ``bitcoin_alpha``):

1. :func:`sample_subgraph` — every endpoint of the target's candidates, then their
   neighbours in the window's undirected union, then those neighbours' neighbours (each
   hop in random order, so every candidate, positive or negative, is equally likely to
   keep its neighbourhood) until ``S`` nodes;
2. the GCN propagates the window's links **induced** on that set (:func:`induced_edges`;
   the normalisation is the subgraph's own, as Cluster-GCN's); the pair features are
   computed on the whole window as before.

Prediction and evaluation always read the whole window. A step costs
:math:`O(W (M \log E + E_M))` for :math:`M \le \max(S, 2 P)` nodes (``P`` candidates: at
most ``max_links * (1 + negatives)``, a setting, not the data's size) and :math:`E_M` the
links scanned, whatever :math:`N`; drawing a target costs its window's union once
(:math:`O(W E)`, cached with its candidates, as the whole-window path caches them).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def sample_subgraph(union, seeds: np.ndarray, size: int,
                    rng: np.random.Generator) -> np.ndarray:
    r"""The nodes a step on target ``t`` computes: ``seeds`` (the candidates' endpoints),
    then their neighbours in the window's undirected union, then those neighbours'
    neighbours, each hop in random order, until ``size`` nodes (see the module docstring).

    Args:
        union (scipy.sparse.csr_matrix): :math:`(N, N)` the window's undirected binary
            union (e.g. :meth:`gcngan.nn.pair_decoder.PairFeaturizer.union`, whose bounded
            cache the pair features share).
        seeds (np.ndarray): Node indices that must be in the set (any order, repeats).
        size (int): :math:`S`, the nodes wanted (fewer when the two hops run out; the
            seeds alone when they are more).
        rng (np.random.Generator): The draw's generator.

    Returns:
        np.ndarray: :math:`(M,)` int64 sorted node indices, :math:`M \le \max(S, \text{seeds})`.
    """
    members = np.unique(np.asarray(seeds, dtype=np.int64))
    if members.size >= size:
        return members
    frontier = members
    for _hop in range(2):
        if members.size >= size or frontier.size == 0:
            break
        near = np.setdiff1d(np.unique(union[frontier].indices), members)  # sorted, new
        take = rng.permutation(near)[:size - members.size]
        members, frontier = np.concatenate([members, take]), take
    return np.sort(members)


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
