r"""Set critic: a DeepSets-style WGAN critic over a graph's candidate pairs, whose size
does not depend on :math:`N`.

A "graph" is the set of ``(pair features, weight)`` elements of one target snapshot's
candidate pairs: the real next snapshot gives the true weights (0 for the negatives), the
generator its predicted (expected) weights on the *same* candidates, so real and fake sets
differ only in their weights and a gradient penalty can interpolate the weights alone.

.. math::
    s_g = \rho\Big(\big[\operatorname{pool}_{i \in g} \phi([f_i, w_i]),\ c_g\big]\Big)

with :math:`\phi, \rho` MLPs, ``pool`` the mean (or sum) over the set's elements and
:math:`c_g` a summary of the window (:func:`window_summary`). Raw scores, no sigmoid.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gcngan.arrays import count_distinct_below

POOLS = ("mean", "sum")

#: Columns of :func:`window_summary`, in order.
WINDOW_SUMMARY = (
    "links",          # log1p of the mean number of links per window snapshot
    "active_nodes",   # log1p of the number of nodes with a link in the window
    "mean_weight",    # mean model-scale weight of the window's links
    "repeat_share",   # share of the last snapshot's links also in the one before (0 if W = 1)
)


def window_summary(seq, t: int, window: int) -> Tensor:
    """A fixed-size summary of the window ``t-W .. t-1`` (:data:`WINDOW_SUMMARY`).

    Args:
        seq (SnapshotSequence | gcngan.structural.PairIndex): The data.
        t (int): Target snapshot.
        window (int): :math:`W`.

    Returns:
        Tensor: :math:`(C,)` float32, ``C = len(WINDOW_SUMMARY)``.
    """
    from gcngan.structural import as_index

    index = as_index(seq)
    index.check_target(int(t), int(window))
    snaps = [index.snapshot(k) for k in range(t - window, t)]              # W x (keys, w)
    n = index.num_nodes
    keys = np.concatenate([k for k, _ in snaps])
    weights = np.concatenate([w for _, w in snaps])
    scaler = getattr(index.seq, "scaler", None)
    if scaler is not None and weights.size:
        weights = scaler.transform(torch.from_numpy(weights)).numpy()
    active = count_distinct_below(np.concatenate([keys // n, keys % n]), n)
    last, before = snaps[-1][0], (snaps[-2][0] if window > 1 else np.zeros(0, np.int64))
    repeat = np.isin(last, before, assume_unique=True).mean() if last.size and window > 1 else 0.0
    out = [np.log1p(keys.size / window), np.log1p(active),
           float(weights.mean()) if weights.size else 0.0, float(repeat)]
    return torch.tensor(out, dtype=torch.float32)                           # (C,)


def _mlp(sizes: list[int]) -> nn.ModuleList:
    return nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))


class SetCritic(nn.Module):
    r"""DeepSets critic: per-element MLP :math:`\phi`, pooled per graph, then :math:`\rho`.

    Args:
        pair_channels (int): Pair-feature size :math:`F` (may be ``0``: weights only).
        condition_channels (int, optional): Window-summary size :math:`C` (``0`` = none).
            (default: ``0``)
        hidden_channels (int, optional): Width of both MLPs. (default: ``64``)
        num_layers (int, optional): Hidden layers of :math:`\phi` (and of :math:`\rho`).
            (default: ``2``)
        pool (str, optional): ``"mean"`` (size independent) or ``"sum"``.
            (default: ``"mean"``)
        dropout (float, optional): Dropout after hidden layers. (default: ``0.0``)

    Shapes:
        - **feats:** :math:`(P, F)` pair features of all sets' elements
        - **weight:** :math:`(P,)` model-scale weights (real or generated)
        - **graph:** :math:`(P,)` long, the set of each element, in ``0 .. G-1``
        - **condition:** :math:`(G, C)` or ``None``
        - **output:** :math:`(G,)` raw scores (no sigmoid)
    """

    def __init__(self, pair_channels: int, condition_channels: int = 0,
                 hidden_channels: int = 64, num_layers: int = 2, pool: str = "mean",
                 dropout: float = 0.0) -> None:
        super().__init__()
        if pool not in POOLS:
            raise ValueError(f"SetCritic: pool={pool!r} is not one of {', '.join(POOLS)}")
        if pair_channels < 0 or condition_channels < 0 or num_layers < 1 or hidden_channels < 1:
            raise ValueError(f"SetCritic: pair_channels={pair_channels}, condition_channels="
                             f"{condition_channels} must be >= 0 and num_layers={num_layers}, "
                             f"hidden_channels={hidden_channels} >= 1")
        self.pair_channels = pair_channels
        self.condition_channels = condition_channels
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.pool = pool
        self.dropout = dropout
        self.phi = _mlp([pair_channels + 1] + [hidden_channels] * num_layers)
        self.rho = _mlp([hidden_channels + condition_channels] + [hidden_channels] * num_layers)
        self.out = nn.Linear(hidden_channels, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for lin in [*self.phi, *self.rho, self.out]:
            lin.reset_parameters()

    def _run(self, layers: nn.ModuleList, z: Tensor) -> Tensor:
        for lin in layers:
            z = F.dropout(F.leaky_relu(lin(z), 0.2), self.dropout, self.training)
        return z

    def forward(self, feats: Optional[Tensor], weight: Tensor, graph: Tensor, num_graphs: int,
                condition: Optional[Tensor] = None) -> Tensor:
        parts = [weight.unsqueeze(-1)]                                      # (P, 1)
        if self.pair_channels:
            if feats is None or feats.shape[-1] != self.pair_channels:
                raise ValueError(f"SetCritic: expected pair features of size "
                                 f"{self.pair_channels}, got "
                                 f"{None if feats is None else tuple(feats.shape)}")
            parts.insert(0, feats.to(weight.dtype))
        z = self._run(self.phi, torch.cat(parts, dim=-1))                   # (P, H)
        pooled = z.new_zeros(num_graphs, z.shape[-1]).index_add(0, graph, z)  # (G, H)
        if self.pool == "mean":
            size = torch.bincount(graph, minlength=num_graphs).clamp_min(1)   # (G,)
            pooled = pooled / size.unsqueeze(-1).to(pooled.dtype)
        if self.condition_channels:
            if condition is None or tuple(condition.shape) != (num_graphs,
                                                               self.condition_channels):
                raise ValueError(f"SetCritic: expected a condition of shape "
                                 f"({num_graphs}, {self.condition_channels}), got "
                                 f"{None if condition is None else tuple(condition.shape)}")
            pooled = torch.cat([pooled, condition.to(pooled.dtype)], dim=-1)  # (G, H + C)
        return self.out(self._run(self.rho, pooled)).squeeze(-1)            # (G,)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.pair_channels}, condition_channels="
                f"{self.condition_channels}, pool={self.pool!r})")
