r"""Evaluation metrics for weighted temporal link prediction.

Conventions (the same for every metric unless its docstring says otherwise):

* Inputs are predictions ``pred`` and ground truth ``target`` on the **raw weight scale**
  (after clipping at ``max_threshold``, before any normalisation), as torch tensors or
  numpy arrays of shape :math:`(N, N)` or :math:`(B, N, N)` (``B`` target snapshots).
* Per-snapshot metrics use **all** :math:`N^2` entries of a snapshot, diagonal included
  (predictions keep their diagonal only when the data keeps self-loops, see
  :func:`gcngan.predict.refine`; otherwise it is zero on both sides and adds nothing),
  and return one value per snapshot: a 0-dim tensor for an :math:`(N, N)` input, a
  :math:`(B,)` tensor for a batch. :func:`evaluate_predictions` reports their mean and
  sample standard deviation (``ddof=1``) over snapshots.
* Pooled metrics (:func:`auc`, :func:`ap`) concatenate the off-diagonal entries of all
  snapshots first and return one number (never a mean of per-snapshot values).

Computations run in float64.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Optional, Sequence

import torch

from gcngan.errors import InputError

FLOOR = 1e-5


def _as_tensor(x) -> torch.Tensor:
    t = torch.as_tensor(x)
    return t.detach().to("cpu", torch.float64)


def _pair(pred, target) -> tuple[torch.Tensor, torch.Tensor]:
    p, t = _as_tensor(pred), _as_tensor(target)
    if p.shape != t.shape:
        raise InputError(f"pred and target shapes differ: {tuple(p.shape)} vs {tuple(t.shape)}")
    if p.dim() not in (2, 3) or p.shape[-1] != p.shape[-2]:
        raise InputError(f"expected (N, N) or (B, N, N) matrices, got {tuple(p.shape)}")
    return p, t


# ----- per-snapshot metrics ---------------------------------------------------------------
def rmse(pred, target) -> torch.Tensor:
    r"""Root mean squared error per snapshot,
    :math:`\sqrt{\frac{1}{N^2}\sum_{ij}(A_{ij}-\hat A_{ij})^2}`.

    Examples:
        >>> float(rmse(torch.tensor([[0., 2.], [0., 0.]]), torch.zeros(2, 2)))
        1.0
    """
    p, t = _pair(pred, target)
    return (p - t).pow(2).mean(dim=(-2, -1)).sqrt()


def mae(pred, target) -> torch.Tensor:
    r"""Mean absolute error per snapshot, :math:`\frac{1}{N^2}\sum_{ij}|A_{ij}-\hat A_{ij}|`.

    Examples:
        >>> float(mae(torch.tensor([[0., 2.], [0., 0.]]), torch.zeros(2, 2)))
        0.5
    """
    p, t = _pair(pred, target)
    return (p - t).abs().mean(dim=(-2, -1))


def paper_mse(pred, target) -> torch.Tensor:
    r"""What the GCN-GAN paper's tables call MSE: :math:`\|A-\hat A\|_F / N^2` per snapshot.

    Examples:
        >>> float(paper_mse(torch.tensor([[3., 0.], [0., 4.]]), torch.zeros(2, 2)))
        1.25
    """
    p, t = _pair(pred, target)
    n = p.shape[-1]
    return (p - t).pow(2).sum(dim=(-2, -1)).sqrt() / (n * n)


def kl(pred, target) -> torch.Tensor:
    r"""Edge-wise KL divergence of the paper, per snapshot.

    :math:`P = A / \sum A`, :math:`Q = \hat A / \sum \hat A`,
    :math:`\mathrm{KL} = \sum_{ij: P_{ij} > 0, Q_{ij} > 0} P_{ij} \ln(P_{ij} / Q_{ij})`.
    Entries where either matrix is zero are skipped; an all-zero matrix gives 0.

    Examples:
        >>> pred, target = torch.tensor([[1., 1.], [0., 0.]]), torch.tensor([[1., 0.], [0., 0.]])
        >>> round(float(kl(pred, target)), 4)
        0.6931
    """
    p, t = _pair(pred, target)
    P = t / t.sum(dim=(-2, -1), keepdim=True).clamp_min(1e-300)
    Q = p / p.sum(dim=(-2, -1), keepdim=True).clamp_min(1e-300)
    both = (P > 0) & (Q > 0)
    ratio = torch.where(both, P / torch.where(both, Q, torch.ones_like(Q)), torch.ones_like(P))
    return torch.where(both, P * ratio.log(), torch.zeros_like(P)).sum(dim=(-2, -1))


def kl_floor(pred, target) -> torch.Tensor:
    r"""Edge-wise KL divergence as in OpenTLP, per snapshot.

    Both matrices are floored at ``1e-5`` (:math:`A' = \max(A, 10^{-5})`), then normalised
    (:math:`P = A'/\sum A'`, :math:`Q = \hat A'/\sum \hat A'`) and
    :math:`\sum_{ij} P_{ij} \ln(P_{ij}/Q_{ij})` is taken over **all** entries.

    Examples:
        >>> float(kl_floor(torch.ones(2, 2), torch.ones(2, 2)))
        0.0
    """
    p, t = _pair(pred, target)
    P = t.clamp_min(FLOOR)
    Q = p.clamp_min(FLOOR)
    P = P / P.sum(dim=(-2, -1), keepdim=True)
    Q = Q / Q.sum(dim=(-2, -1), keepdim=True)
    return (P * (P / Q).log()).sum(dim=(-2, -1))


def mlsd(pred, target) -> torch.Tensor:
    r"""Mean log-scale difference per snapshot,
    :math:`\frac{1}{N^2}\sum_{ij} |\log_{10}(\max(\hat A_{ij}, 10^{-5}) / \max(A_{ij}, 10^{-5}))|`.

    Examples:
        >>> float(mlsd(torch.full((2, 2), 10.), torch.ones(2, 2)))
        1.0
    """
    p, t = _pair(pred, target)
    return (p.clamp_min(FLOOR).log10() - t.clamp_min(FLOOR).log10()).abs().mean(dim=(-2, -1))


def mismatch_rate(pred, target) -> torch.Tensor:
    r"""Share of the :math:`N^2` entries where exactly one of :math:`A_{ij}`,
    :math:`\hat A_{ij}` is zero.

    Examples:
        >>> pred, target = torch.tensor([[0., 1.], [1., 0.]]), torch.tensor([[1., 1.], [0., 0.]])
        >>> float(mismatch_rate(pred, target))
        0.5
    """
    p, t = _pair(pred, target)
    return ((p == 0) ^ (t == 0)).double().mean(dim=(-2, -1))


# ----- pooled edge-existence metrics --------------------------------------------------------
def _offdiag_scores(pred, target) -> tuple[torch.Tensor, torch.Tensor]:
    p, t = _pair(pred, target)
    if p.dim() == 2:
        p, t = p[None], t[None]
    n = p.shape[-1]
    mask = ~torch.eye(n, dtype=torch.bool).expand_as(p)
    return p[mask], (t[mask] > 0)


def auc(pred, target) -> float:
    r"""ROC AUC of edge existence over the off-diagonal entries of all snapshots pooled.

    Score = predicted weight, label = :math:`A_{ij} > 0`. Ties get average ranks
    (Mann-Whitney U), so a constant predictor scores 0.5. ``nan`` when the pooled labels
    are all positive or all negative.

    Examples:
        >>> auc(torch.tensor([[0., .9], [.1, 0.]]), torch.tensor([[0., 1.], [0., 0.]]))
        1.0
    """
    score, label = _offdiag_scores(pred, target)
    n_pos = int(label.sum())
    n_neg = int(label.numel() - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(score)
    u = ranks[label].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def _average_ranks(x: torch.Tensor) -> torch.Tensor:
    """1-based ranks of ``x`` with ties sharing their average rank.

    Sparse scores (mostly exact zeros, as for link predictions on sparse graphs) sort only
    their non-zero values: the zeros are one tie group between the negatives and the
    positives.
    """
    zero = x == 0
    n0 = int(zero.sum())
    if 2 * n0 <= x.numel():
        return _sorted_ranks(x)
    rest = x[~zero]
    r = _sorted_ranks(rest)
    ranks = torch.empty(x.numel(), dtype=torch.float64)
    ranks[~zero] = torch.where(rest > 0, r + n0, r)
    ranks[zero] = int((rest < 0).sum()) + (n0 + 1) / 2.0
    return ranks


def _sorted_ranks(x: torch.Tensor) -> torch.Tensor:
    """:func:`_average_ranks` by sorting all of ``x``."""
    order = torch.argsort(x, stable=True)
    xs = x[order]
    n = xs.numel()
    # start of each tie group
    new_group = torch.ones(n, dtype=torch.bool)
    new_group[1:] = xs[1:] != xs[:-1]
    group = torch.cumsum(new_group.long(), 0) - 1                        # (n,)
    pos = torch.arange(1, n + 1, dtype=torch.float64)
    counts = torch.bincount(group).double()
    sums = torch.zeros_like(counts).index_add_(0, group, pos)
    ranks = torch.empty(n, dtype=torch.float64)
    ranks[order] = (sums / counts)[group]
    return ranks


def ap(pred, target) -> float:
    r"""Average precision of edge existence (off-diagonal, all snapshots pooled).

    :math:`\mathrm{AP} = \sum_k (R_k - R_{k-1}) P_k` over the distinct score thresholds in
    decreasing order (tied scores enter together), as ``sklearn.metrics.average_precision_score``.
    ``nan`` when there is no positive entry.

    Examples:
        >>> ap(torch.tensor([[0., .9], [.1, 0.]]), torch.tensor([[0., 1.], [0., 0.]]))
        1.0
    """
    score, label = _offdiag_scores(pred, target)
    n_pos = int(label.sum())
    if n_pos == 0:
        return float("nan")
    # sparse non-negative scores: sort the positive ones only; the zeros are the last group
    zero = score == 0
    tail = 2 * int(zero.sum()) > score.numel() and not bool((score < 0).any())
    if tail:
        score, label = score[~zero], label[~zero]
    order = torch.argsort(score, descending=True, stable=True)
    s, y = score[order], label[order].double()
    tp = torch.cumsum(y, 0)
    # keep the last index of each group of tied scores
    last = torch.ones_like(s, dtype=torch.bool)
    last[:-1] = s[:-1] != s[1:]
    tp = tp[last]
    k = torch.nonzero(last).squeeze(1).double() + 1.0
    if tail:                                                 # the zero group, all at once
        tp = torch.cat([tp, tp.new_tensor([float(n_pos)])])
        k = torch.cat([k, k.new_tensor([float(zero.numel())])])
    precision = tp / k
    recall = tp / n_pos
    prev = torch.cat([recall.new_zeros(1), recall[:-1]])
    return float(((recall - prev) * precision).sum())


# ----- registry and aggregation ----------------------------------------------------------------
PER_SNAPSHOT: dict[str, Callable] = {
    "rmse": rmse, "mae": mae, "paper_mse": paper_mse, "kl": kl, "kl_floor": kl_floor,
    "mlsd": mlsd, "mismatch_rate": mismatch_rate,
}
POOLED: dict[str, Callable] = {"auc": auc, "ap": ap}
METRICS: tuple[str, ...] = tuple(PER_SNAPSHOT) + tuple(POOLED)
#: Metrics where a higher value is better (the ranking metrics); lower is better for the rest.
HIGHER_IS_BETTER: frozenset = frozenset(POOLED)


def evaluate_predictions(pred, target, metrics: Optional[Sequence[str]] = None, *,
                         scores=None) -> dict:
    """Score predictions against ground truth: ``{name: {"mean": float, "std": float | None}}``.

    Args:
        pred: Predicted raw weights, :math:`(B, N, N)` or :math:`(N, N)`, torch or numpy.
        target: True raw weights, same shape.
        metrics: Names from :data:`METRICS` (default: all).
        scores: Optional link scores, same shape as ``pred``, that the pooled ranking
            metrics (``auc``, ``ap``) rank instead of ``pred`` (e.g. an existence
            probability, which also orders entries a hard gate sets to 0).

    Returns:
        dict: For per-snapshot metrics the mean and sample std (``ddof=1``; ``None`` for a
        single snapshot) over the ``B`` snapshots; for pooled metrics (``auc``, ``ap``) the
        pooled value as ``mean`` and ``std`` ``None``. Undefined values are ``nan``.

    Raises:
        InputError: unknown metric name, mismatched shapes, or non-finite values.
    """
    names = list(METRICS if metrics is None else metrics)
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise InputError(f"unknown metric(s) {', '.join(unknown)}; valid: {', '.join(METRICS)}")
    p, t = _pair(pred, target)
    if not (torch.isfinite(p).all() and torch.isfinite(t).all()):
        raise InputError("predictions or targets contain NaN or infinite values")
    s = p
    if scores is not None:
        s, _ = _pair(scores, target)
        if not torch.isfinite(s).all():
            raise InputError("link scores contain NaN or infinite values")
    if p.dim() == 2:
        p, t, s = p[None], t[None], s[None]
    out: dict = {}
    for name in names:
        if name in PER_SNAPSHOT:
            v = PER_SNAPSHOT[name](p, t)
            std = float(v.std(unbiased=True)) if v.numel() > 1 else None
            out[name] = {"mean": float(v.mean()), "std": std}
        else:
            out[name] = {"mean": POOLED[name](s, t), "std": None}
    return out


def format_table(rows: dict[str, dict], metrics: Iterable[str] = METRICS) -> str:
    """Plain-text table: one row per predictor, ``mean ± std`` per metric."""
    metrics = [m for m in metrics if any(m in r for r in rows.values())]
    header = ["predictor"] + list(metrics)
    lines = [header]
    for name, res in rows.items():
        cells = [name]
        for m in metrics:
            v = res.get(m)
            if v is None:
                cells.append("-")
                continue
            mean, std = v["mean"], v["std"]
            txt = "nan" if mean is None or (isinstance(mean, float) and math.isnan(mean)) \
                else f"{mean:.4g}"
            if std is not None and not math.isnan(std):
                txt += f" ± {std:.3g}"
            cells.append(txt)
        lines.append(cells)
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in lines)
