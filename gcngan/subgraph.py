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
2. the GCN propagates the window's links **induced** on that set (:func:`induced_window`;
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

from gcngan.arrays import concat_ranges, unique


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
    members = unique(np.asarray(seeds, dtype=np.int64))
    if members.size >= size:
        return members
    frontier = members
    for _hop in range(2):
        if members.size >= size or frontier.size == 0:
            break
        near = np.setdiff1d(unique(union[frontier].indices), members,
                            assume_unique=True)  # sorted, new
        take = rng.permutation(near)[:size - members.size]
        members, frontier = np.concatenate([members, take]), take
    return np.sort(members)


def induced_window(snapshots, nodes: np.ndarray):
    r"""The links of a window's snapshots with both ends in ``nodes``, as the one-window
    batch the GCN of a step propagates: the batch
    :meth:`~gcngan.nn.sparse_gcn.SparseWindowBatch.from_snapshots` builds from the induced
    links with ``nodes`` as the node set (same local ids, same link order), without
    sorting the links.

    Args:
        snapshots: ``W`` pairs ``(edge_index (2, E_w) long [src; dst] sorted by src,
            edge_weight (E_w,))`` on global node indices.
        nodes (np.ndarray): :math:`(M,)` sorted unique node indices.

    Returns:
        SparseWindowBatch: ``batch_size = 1``, ``nodes`` as given, links in each snapshot's
        input order. Costs :math:`O(M \log E_w)` per snapshot plus the out-links of
        ``nodes`` and a position table of ``max(nodes) + 1`` entries, never :math:`O(E)`.
    """
    from gcngan.nn.sparse_gcn import SparseWindowBatch

    nodes = np.asarray(nodes, dtype=np.int64)
    M = nodes.size
    position = np.full(int(nodes[-1]) + 1 if M else 0, -1, dtype=np.int64)
    position[nodes] = np.arange(M)
    edge_parts, weight_parts = [], []
    for w, (edge_index, edge_weight) in enumerate(snapshots):
        src, dst = edge_index[0].numpy(), edge_index[1].numpy()
        lo = np.searchsorted(src, nodes, side="left")
        count = np.searchsorted(src, nodes, side="right") - lo                # (M,)
        rows = concat_ranges(lo, count)                                       # out-links
        local_dst = np.full(rows.size, -1, dtype=np.int64)
        inside = dst[rows] < position.size
        local_dst[inside] = position[dst[rows][inside]]
        keep = local_dst >= 0
        rows = rows[keep]
        edge_parts.append(np.stack([position[src[rows]], local_dst[keep]]) + w * M)
        weight_parts.append(edge_weight[torch.from_numpy(rows)].reshape(-1))
    edge_index = (torch.from_numpy(np.concatenate(edge_parts, axis=1)) if edge_parts
                  else torch.zeros(2, 0, dtype=torch.long))
    edge_weight = (torch.cat(weight_parts).float() if weight_parts else torch.zeros(0))
    return SparseWindowBatch(torch.from_numpy(nodes), edge_index, edge_weight, 1,
                             len(snapshots))
