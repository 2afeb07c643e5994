r"""Prediction: one-step-ahead over a split, recursive forecasts, refinement, CSV output.

Every predictor — the trained generator or a baseline from :mod:`gcngan.baselines` — goes
through the same path: window on the ``[0, 1]`` scale -> ``predict(adj_seq)`` -> back to the
raw scale (``scaler.inverse``) -> :func:`refine`. The evaluator cannot tell them apart.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import torch
from torch import Tensor, nn

from gcngan.errors import InputError


def refine(pred_raw: Tensor, epsilon: Optional[float] = 0.01, directed: bool = True,
           self_loops: bool = False) -> Tensor:
    r"""Post-process raw-scale predictions, as the reference code does, in one place.

    1. non-finite values and negatives become 0;
    2. undirected data: symmetrise, :math:`(\hat A + \hat A^\top)/2`;
    3. zero the diagonal, unless ``self_loops``;
    4. entries :math:`\le \epsilon` become 0.

    Args:
        pred_raw (Tensor): :math:`(B, N, N)` or :math:`(N, N)` raw weights.
        epsilon (float, optional): Zero threshold on the raw scale; ``None`` skips step 4.
            (default: ``0.01``)
        directed (bool, optional): ``False`` symmetrises. (default: ``True``)
        self_loops (bool, optional): Keep the predicted diagonal (links ``i -> i``): pass
            :func:`keeps_self_loops` of the data, so that a predictor predicts, and is
            scored on, the self-loops the data keeps; data without self-loops (none in the
            file, or ``--self-loops drop``) has a zero diagonal on both sides.
            (default: ``False``)

    Returns:
        Tensor: Same shape, a new tensor.

    Examples:
        >>> refine(torch.tensor([[5., 0.004], [2., 1.]]), epsilon=0.01, directed=False)
        tensor([[0.0000, 1.0020],
                [1.0020, 0.0000]])
        >>> refine(torch.tensor([[5., 0.004], [2., 1.]]), epsilon=0.01, self_loops=True)
        tensor([[5., 0.],
                [2., 1.]])
    """
    p = torch.nan_to_num(pred_raw.detach().clone(), nan=0.0, posinf=0.0, neginf=0.0)
    p = p.clamp_min(0.0)
    if not directed:
        p = 0.5 * (p + p.transpose(-1, -2))
    if not self_loops:
        p.diagonal(dim1=-2, dim2=-1).zero_()
    return p if epsilon is None else p.masked_fill(p <= epsilon, 0.0)


def self_loop_entries(seq) -> int:
    """Non-zero diagonal entries (links ``i -> i``) over all snapshots of ``seq``, read
    through :meth:`SnapshotSequence.edges` (nothing of size :math:`N^2`).

    Args:
        seq (SnapshotSequence): The data.

    Returns:
        int: 0 for data without self-loops, or ingested with ``--self-loops drop``.
    """
    count = 0
    for t in range(seq.num_snapshots):
        src, dst, w = seq.edges(t)
        count += int(((src == dst) & (w != 0)).sum())
    return count


def keeps_self_loops(seq) -> bool:
    """Whether predictions of ``seq`` keep their diagonal (:func:`refine`'s ``self_loops``):
    the data kept its self-loops at ingestion (``--self-loops keep``, the default) and has
    at least one. The single rule every prediction path of the package follows."""
    for t in range(seq.num_snapshots):
        src, dst, w = seq.edges(t)
        if ((src == dst) & (w != 0)).any():
            return True
    return False


def _predict_batch(predictor, adj_seq: Tensor, samples: int,
                   generator: Optional[torch.Generator], scores: bool = False) -> Tensor:
    fn = predictor.predict_scores if scores and hasattr(predictor, "predict_scores") \
        else predictor.predict
    if isinstance(predictor, nn.Module):
        return fn(adj_seq, samples=samples, generator=generator)
    return fn(adj_seq)


def noise_generator(seed: int, device: torch.device | str) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed`` (eval noise, re-seeded per call)."""
    return torch.Generator(device=torch.device(device)).manual_seed(int(seed))


@torch.no_grad()
def predict_targets(predictor, adj_scaled: Tensor, targets: Sequence[int], window: int, *,
                    samples: int = 1, seed: int = 0, batch_size: int = 64,
                    scores: bool = False) -> Tensor:
    """One-step-ahead predictions on the ``[0, 1]`` scale, each from the true window before it.

    Args:
        predictor: The generator (``nn.Module`` with ``predict(adj_seq, samples, generator)``)
            or a baseline (``predict(adj_seq)``).
        adj_scaled (Tensor): All snapshots on the model scale, :math:`(T, N, N)`, on the
            predictor's device.
        targets (Sequence[int]): Target indices, each in ``[window, T)``.
        window (int): :math:`W`.
        samples (int, optional): Noise draws averaged (generator only).
        seed (int, optional): Seed of the evaluation noise, re-seeded on every call.
        batch_size (int, optional): Windows per forward pass.
        scores (bool, optional): Return link scores (``predictor.predict_scores`` where it
            has one, e.g. the residual decoder's existence probability) instead of
            predicted weights; predictors without one score with their prediction.

    Returns:
        Tensor: :math:`(K, N, N)` on ``adj_scaled``'s device.
    """
    t = torch.as_tensor(list(targets), dtype=torch.long, device=adj_scaled.device)
    if t.numel() and (int(t.min()) < window or int(t.max()) >= adj_scaled.shape[0]):
        raise InputError(f"targets must lie in [{window}, {adj_scaled.shape[0] - 1}]")
    gen = noise_generator(seed, adj_scaled.device)
    offsets = torch.arange(-window, 0, device=adj_scaled.device)
    out = []
    for start in range(0, t.numel(), batch_size):
        tb = t[start:start + batch_size]
        adj_seq = adj_scaled[tb[:, None] + offsets]                      # (b, W, N, N)
        out.append(_predict_batch(predictor, adj_seq, samples, gen, scores))  # (b, N, N)
    if not out:
        n = adj_scaled.shape[-1]
        return adj_scaled.new_zeros((0, n, n))
    return torch.cat(out)


@torch.no_grad()
def forecast(predictor, adj_scaled: Tensor, steps: int, window: int, *, scaler,
             epsilon: float = 0.01, directed: bool = True, samples: int = 1,
             seed: int = 0, scores: bool = False, self_loops: bool = False):
    """Recursive forecast of ``steps`` snapshots past the end of the data.

    Each refined raw prediction is scaled back to ``[0, 1]`` and appended to the window
    for the next step.

    Args:
        scores (bool, optional): Also return link scores (see :func:`score_split`) of each
            step, from the same window and the same noise draws as its prediction.
        self_loops (bool, optional): Keep the predicted diagonal (:func:`refine`; pass
            :func:`keeps_self_loops` of the data).

    Returns:
        Tensor: :math:`(K, N, N)` refined raw-scale predictions for ``T, T+1, ..., T+K-1``;
        with ``scores`` a tuple ``(predictions, scores)`` of two such tensors.
    """
    if steps < 1:
        raise InputError(f"--steps {steps} must be >= 1")
    if adj_scaled.shape[0] < window:
        raise InputError(f"forecast needs at least {window} snapshots, the data has "
                         f"{adj_scaled.shape[0]}")
    gen = noise_generator(seed, adj_scaled.device)
    gen_scores = noise_generator(seed, adj_scaled.device)              # the same draws
    hist = adj_scaled[-window:].clone()                                  # (W, N, N)
    preds, links = [], []
    for _ in range(steps):
        p = _predict_batch(predictor, hist[None], samples, gen)[0]       # (N, N)
        if scores:
            s = _predict_batch(predictor, hist[None], samples, gen_scores, scores=True)[0]
            links.append(refine(s.float(), epsilon=None, directed=directed))
        raw = refine(scaler.inverse(p), epsilon, directed, self_loops)
        preds.append(raw)
        hist = torch.cat([hist[1:], scaler.transform(raw).clamp(0.0, 1.0)[None]])
    return (torch.stack(preds), torch.stack(links)) if scores else torch.stack(preds)


def predict_split(predictor, seq, targets: Sequence[int], window: int, *, epsilon: float,
                  samples: int = 1, seed: int = 0, device: torch.device | str = "cpu",
                  batch_size: int = 64, scaler=None) -> tuple[Tensor, Tensor]:
    """Refined raw-scale one-step-ahead predictions for ``targets`` and the true snapshots.

    Args:
        seq (SnapshotSequence): The data; ``scaler`` defaults to ``seq.scaler``. The
            predicted diagonal is kept when the data keeps self-loops
            (:func:`keeps_self_loops`), else zero, like the targets.

    Returns:
        tuple: ``(pred_raw, target_raw)``, both :math:`(K, N, N)` float32 on the CPU.
    """
    scaler = scaler or seq.scaler
    adj_scaled = scaler.transform(seq.adj).clamp(0.0, 1.0).to(device)
    pred = predict_targets(predictor, adj_scaled, targets, window, samples=samples, seed=seed,
                           batch_size=batch_size)
    pred_raw = refine(scaler.inverse(pred.float()).cpu(), epsilon, seq.directed,
                      keeps_self_loops(seq))
    return pred_raw, seq.adj[torch.as_tensor(list(targets), dtype=torch.long)]


def score_split(predictor, seq, targets: Sequence[int], window: int, *, samples: int = 1,
                seed: int = 0, device: torch.device | str = "cpu", batch_size: int = 64,
                scaler=None) -> Tensor:
    """Link scores for ``targets`` (see :func:`predict_targets` with ``scores=True``), with
    the structural part of :func:`refine` applied: non-finite values and negatives to 0,
    symmetrised for undirected data, diagonal 0. No zero threshold (``epsilon=None``): a
    score ranks, it is not a weight.

    Returns:
        Tensor: :math:`(K, N, N)` float32 on the CPU, in :math:`[0, 1]`.
    """
    scaler = scaler or seq.scaler
    adj_scaled = scaler.transform(seq.adj).clamp(0.0, 1.0).to(device)
    s = predict_targets(predictor, adj_scaled, targets, window, samples=samples, seed=seed,
                        batch_size=batch_size, scores=True)
    return refine(s.float().cpu(), epsilon=None, directed=seq.directed)


def evaluate_split(predictor, seq, targets: Sequence[int], window: int, *, epsilon: float,
                   metrics: Optional[Sequence[str]] = None, samples: int = 1, seed: int = 0,
                   device: torch.device | str = "cpu", scaler=None) -> dict:
    """Metrics of ``predictor`` on ``targets``: the one evaluation path of the CLI, the
    trainer and the benchmark.

    Per-snapshot metrics score the refined raw-scale predictions (:func:`predict_split`);
    ranking metrics (``auc``, ``ap``) score the link scores (:func:`score_split`), which
    for baselines and decoders without their own score are the predictions again.

    Returns:
        dict: As :func:`gcngan.metrics.evaluate_predictions`.
    """
    from gcngan.metrics import METRICS, POOLED, evaluate_predictions

    names = list(METRICS if metrics is None else metrics)
    pred, target = predict_split(predictor, seq, targets, window, epsilon=epsilon,
                                 samples=samples, seed=seed, device=device, scaler=scaler)
    scores = None
    if any(m in POOLED for m in names) and hasattr(predictor, "predict_scores"):
        scores = score_split(predictor, seq, targets, window, samples=samples, seed=seed,
                             device=device, scaler=scaler)
    return evaluate_predictions(pred, target, names, scores=scores)


def time_labels(seq, indices: Sequence[int]) -> list:
    """Output ``t`` labels: the data's own labels when it has them (event buckets), else the
    snapshot index; indices past the end are extrapolated with the last label step."""
    times = getattr(seq, "times", None)
    if not times:
        return [int(i) for i in indices]
    out = []
    step = (times[-1] - times[-2]) if len(times) > 1 else 1
    for i in indices:
        i = int(i)
        out.append(times[i] if i < len(times) else times[-1] + step * (i - len(times) + 1))
    return out


def write_predictions(path: str | Path, pred_raw: Tensor, labels: Sequence, node_ids: list,
                      offset: float = 0.0, scores: Optional[Tensor] = None) -> int:
    """Write ``t,src,dst,weight`` (original node ids, non-zero entries only) atomically;
    ``offset`` (:attr:`SnapshotSequence.weight_offset`) is subtracted from each written
    weight, so data shifted at ingestion comes back in its own units.

    With ``scores`` (link scores, :func:`score_split`; same shape) a ``score`` column is
    added, and entries the predictor scores but predicts no link for are written too, with
    weight 0: a ranked list of candidate links.

    Refuses NaN/inf or negative weights (every prediction path goes through :func:`refine`,
    which removes them), so a predictions file never holds one.

    Returns:
        int: Number of rows written.
    """
    from gcngan.data.edgelist import write_edges

    if len(labels) != pred_raw.shape[0]:
        raise InputError(f"{len(labels)} time labels for {pred_raw.shape[0]} predicted snapshots")
    for what, x in (("weights", pred_raw), ("scores", scores)):
        if x is not None and (not bool(torch.isfinite(x).all()) or bool((x < 0).any())):
            raise InputError(f"refusing to write predictions with NaN/inf or negative {what} "
                             "(pass them through gcngan.predict.refine first)")
    return write_edges(path, pred_raw.detach().cpu().float(), node_ids=list(node_ids),
                       times=list(labels), offset=offset,
                       scores=None if scores is None else scores.detach().cpu().float())
