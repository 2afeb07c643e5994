r"""How well edge existence can be predicted from the window alone.

The mismatch rate scores only *which* entries a prediction makes non-zero. The window
median makes :math:`A_t[i, j]` non-zero exactly when at least :math:`\lceil W/2 \rceil` of
the :math:`W` window snapshots have the link. Whether any predictor can beat that rule is a
property of the data, and it can be measured without a model: count, on training targets,
how often the link is there next for each value of a summary of the window (the Bayes rule
of that summary), then score each rule's mismatch rate on later training targets it was not
fitted on.

Summaries (the *rules*; each predicts a link where its fitted probability exceeds 1/2):

* ``count``: how many of the W window snapshots have the link;
* ``count+last``: that count and whether the newest snapshot has the link;
* ``count+reverse``: that count and the reverse link's count (directed data only);
* ``order``: the full W-bit pattern of the window (only for :math:`W \le 16`).

Every richer table is shrunk towards the ``count`` table (pseudo-count
:data:`SHRINKAGE`), so keys seen rarely fall back to it. The diagonal is never a link.

:func:`existence_study` is what the benchmark reports
(``python scripts/benchmark.py --protocol existence``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor

from gcngan.errors import ConfigError
from gcngan.metrics import mismatch_rate

#: Pseudo-count of the shrinkage of every richer table towards the ``count`` table.
SHRINKAGE = 5.0
#: The longest window whose full bit pattern gets its own table (2**W keys).
MAX_ORDER_WINDOW = 16


@dataclass
class WindowExistence:
    r"""Existence summaries of every window of a sequence, one row per target.

    Attributes:
        count (LongTensor): :math:`(M, N, N)` window snapshots with the link, 0..W.
        pattern (LongTensor, optional): :math:`(M, N, N)`; bit :math:`k` set when window
            snapshot :math:`k` (0 = oldest) has the link; ``None`` for windows longer than
            :data:`MAX_ORDER_WINDOW`.
        last (LongTensor): :math:`(M, N, N)` 1 when the newest window snapshot has the link.
        target (BoolTensor): :math:`(M, N, N)` whether the target snapshot has the link.
        window (int): W.
    """

    count: Tensor
    pattern: Optional[Tensor]
    last: Tensor
    target: Tensor
    window: int

    @classmethod
    def from_adjacency(cls, adj: Tensor, window: int) -> "WindowExistence":
        r"""Targets :math:`W..T-1` of ``adj`` :math:`(T, N, N)`, each with the W snapshots
        before it. Any non-zero entry is a link."""
        if window < 1 or adj.shape[0] <= window:
            raise ConfigError(f"window={window}: need 1 <= window < {adj.shape[0]} snapshots")
        links = adj != 0                                                  # (T, N, N)
        wins = links.unfold(0, window, 1)[:-1].long()                     # (M, N, N, W)
        pattern = ((wins * 2 ** torch.arange(window)).sum(-1)
                   if window <= MAX_ORDER_WINDOW else None)
        return cls(count=wins.sum(-1), pattern=pattern, last=wins[..., -1],
                   target=links[window:], window=window)

    def __len__(self) -> int:
        return self.target.shape[0]


def fit_table(keys: Tensor, labels: Tensor, num_keys: int, prior: Tensor,
              strength: float) -> Tensor:
    r"""P(link | key) by counting: :math:`(k_1 + s\,\pi) / (n + s)` per key, where
    :math:`k_1` of the :math:`n` samples with that key have the link and :math:`\pi` is the
    key's ``prior`` :math:`(K,)`. ``keys`` and ``labels`` are flat :math:`(S,)` tensors."""
    n = torch.bincount(keys, minlength=num_keys).double()
    k1 = torch.bincount(keys, weights=labels.double(), minlength=num_keys)
    return (k1 + strength * prior) / (n + strength)


def _rule_keys(ex: WindowExistence, directed: bool) -> dict[str, tuple[Tensor, int, Tensor]]:
    """name -> (keys (M, N, N), number of keys, count of each key (K,)) of the richer rules."""
    W = ex.window
    counts = torch.arange(W + 1)
    rules = {"count+last": (ex.count * 2 + ex.last, 2 * (W + 1), counts.repeat_interleave(2))}
    if directed:
        rules["count+reverse"] = (ex.count * (W + 1) + ex.count.transpose(-1, -2),
                                  (W + 1) ** 2, counts.repeat_interleave(W + 1))
    if ex.pattern is not None:
        popcount = torch.tensor([bin(k).count("1") for k in range(2 ** W)])
        rules["order"] = (ex.pattern, 2 ** W, popcount)
    return rules


def existence_study(adj: Tensor, window: int, holdout: int, *, directed: bool,
                    first_target: int = 0) -> dict:
    r"""Fit each rule on all but the last ``holdout`` targets of ``adj`` :math:`(T, N, N)`
    and score its mismatch rate (:func:`gcngan.metrics.mismatch_rate`, mean over the held-out
    snapshots) beside the window median's rule.

    Pass only training snapshots: the study must never see validation or test targets.
    ``first_target`` is the index of ``adj[0]`` in the full sequence (for the report).

    Returns:
        dict: ``window``, ``fit_targets`` and ``holdout_targets`` ([first, last] snapshot
        indices), ``p_link_given_count`` and ``entries_given_count`` (fitted part, W+1 each,
        off-diagonal entries), ``mismatch`` (rule -> rate; ``median`` is the window median's
        rule) and ``ratio`` (rule -> rate / the median rule's).
    """
    ex = WindowExistence.from_adjacency(adj, window)
    if not 1 <= holdout < len(ex):
        raise ConfigError(f"holdout={holdout}: need 1 <= holdout < {len(ex)} targets")
    n = adj.shape[-1]
    off = ~torch.eye(n, dtype=torch.bool)
    fit = slice(0, len(ex) - holdout)
    held = slice(len(ex) - holdout, None)
    y_fit = ex.target[fit][:, off]

    def fitted(keys, num_keys, prior):
        return fit_table(keys[fit][:, off].flatten(), y_fit.flatten(), num_keys, prior,
                         SHRINKAGE)

    base_rate = y_fit.double().mean()
    p_count = fitted(ex.count, window + 1, base_rate.expand(window + 1))
    entries = torch.bincount(ex.count[fit][:, off].flatten(), minlength=window + 1)

    def score(link: Tensor) -> float:
        pred = (link[held] & off).double()
        return float(mismatch_rate(pred, ex.target[held].double()).mean())

    mism = {"median": score(ex.count >= math.ceil(window / 2)),
            "count": score(p_count[ex.count] > 0.5)}
    for name, (keys, num_keys, key_count) in _rule_keys(ex, directed).items():
        mism[name] = score(fitted(keys, num_keys, p_count[key_count])[keys] > 0.5)
    base = mism["median"]
    return {"window": window,
            "fit_targets": [first_target + window, first_target + window + fit.stop - 1],
            "holdout_targets": [first_target + window + fit.stop,
                                first_target + window + len(ex) - 1],
            "p_link_given_count": p_count.tolist(), "entries_given_count": entries.tolist(),
            "mismatch": mism,
            "ratio": {k: (v / base if base > 0 else (1.0 if v == 0 else math.inf))
                      for k, v in mism.items()}}


def best_rule(study: dict) -> tuple[str, float]:
    """The rule (not the median's) with the lowest held-out mismatch, and its ratio to the
    median rule's."""
    name = min((k for k in study["ratio"] if k != "median"), key=study["ratio"].get)
    return name, study["ratio"][name]


__all__ = ["MAX_ORDER_WINDOW", "SHRINKAGE", "WindowExistence", "best_rule",
           "existence_study", "fit_table"]
