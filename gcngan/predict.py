r"""Prediction: one-step-ahead over a split, recursive forecasts, refinement, CSV output.

Every predictor — the trained generator or a baseline from :mod:`gcngan.baselines` — goes
through the same path: window on the ``[0, 1]`` scale -> ``predict(adj_seq)`` -> back to the
raw scale (``scaler.inverse``) -> :func:`refine`. The evaluator cannot tell them apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from gcngan.candidates import ALL_PAIRS_LIMIT, TWO_HOP
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
    fn = predictor.predict_scores if scores and predictor.link_scores else predictor.predict
    return fn(adj_seq, samples=samples, generator=generator)


def noise_generator(seed: int, device: torch.device | str) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed`` (eval noise, re-seeded per call)."""
    return torch.Generator(device=torch.device(device)).manual_seed(int(seed))


@torch.no_grad()
def predict_targets(predictor, adj_scaled: Tensor, targets: Sequence[int], window: int, *,
                    samples: int = 1, seed: int = 0, batch_size: int = 64,
                    scores: bool = False) -> Tensor:
    """One-step-ahead predictions on the ``[0, 1]`` scale, each from the true window before it.

    Args:
        predictor: The generator or a baseline: ``predict(adj_seq, samples, generator)``,
            and where ``predictor.link_scores`` is true ``predict_scores`` (same arguments).
        adj_scaled (Tensor): All snapshots on the model scale, :math:`(T, N, N)`, on the
            predictor's device.
        targets (Sequence[int]): Target indices, each in ``[window, T)``.
        window (int): :math:`W`.
        samples (int, optional): Noise draws averaged (generator only).
        seed (int, optional): Seed of the evaluation noise, re-seeded on every call.
        batch_size (int, optional): Windows per forward pass.
        scores (bool, optional): Return link scores (``predictor.predict_scores`` where
            ``predictor.link_scores``, e.g. the residual decoder's existence probability)
            instead of predicted weights; predictors without them score with their
            prediction.

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
    if any(m in POOLED for m in names) and predictor.link_scores:
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


# ----- the sparse family: a next adjacency as scored candidate pairs ----------------------------
@dataclass
class PairPrediction:
    r"""Predicted pairs of one or more target snapshots (the sparse family's output).

    Attributes:
        t (ndarray): :math:`(R,)` int64 target snapshot index of each row.
        src, dst (ndarray): :math:`(R,)` int64 node indices.
        score (ndarray): :math:`(R,)` float64 link score (the existence probability,
            symmetrised for undirected data).
        weight (ndarray): :math:`(R,)` float64 predicted raw weight after
            :func:`refine_pairs` (the data's internal scale, before
            :attr:`~gcngan.data.SnapshotSequence.weight_offset` is removed); exactly 0 where
            no link is predicted.
    """

    t: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    score: np.ndarray
    weight: np.ndarray

    def __len__(self) -> int:
        return int(self.t.size)

    @property
    def num_links(self) -> int:
        """Rows with a predicted link (``weight > 0``)."""
        return int((self.weight > 0).sum())

    def to_frame(self, seq, scores: bool = False):
        """``t,src,dst,weight`` (``+ score``) as a :class:`pandas.DataFrame` in the data's
        own terms: ``t`` = :func:`time_labels`, original node ids, weights minus the
        ingestion offset, written as the shortest float32 text (as ``gcngan predict`` writes
        the dense path's). Without ``scores`` only the predicted links; with it every
        scored candidate (weight 0 where no link is predicted), sorted by ``t``, then
        score (highest first).
        """
        import pandas as pd

        from gcngan.data.edgelist import _f32_text

        keep = np.ones(len(self), dtype=bool) if scores else self.weight > 0
        t, s, d = self.t[keep], self.src[keep], self.dst[keep]
        w, sc = self.weight[keep], self.score[keep]
        if scores:
            order = np.lexsort((d, s, -sc, t))
            t, s, d, w, sc = t[order], s[order], d[order], w[order], sc[order]
        ids = np.asarray(seq.node_ids if len(seq.node_ids) else range(seq.num_nodes),
                         dtype=object)
        uniq, inv = np.unique(t, return_inverse=True)
        labels = np.asarray(time_labels(seq, uniq.tolist()), dtype=object)
        offset = float(getattr(seq, "weight_offset", 0.0) or 0.0)
        w32 = w.astype(np.float32)
        if offset:
            w32 = np.where(w32 != 0, w32 - np.float32(offset), w32)
        frame = pd.DataFrame({"t": labels[inv] if t.size else np.zeros(0, dtype=object),
                              "src": ids[s], "dst": ids[d], "weight": _f32_text(w32)})
        if scores:
            frame["score"] = _f32_text(sc.astype(np.float32))
        return frame

    def dense(self, targets: Sequence[int], num_nodes: int) -> tuple[Tensor, Tensor]:
        """The rows of ``targets`` scattered into :math:`(K, N, N)` float32 weights and
        scores (0 where no row): the dense protocol's view, for small :math:`N` only."""
        pos = {int(t): k for k, t in enumerate(targets)}
        n = int(num_nodes)
        pred = torch.zeros(len(pos), n, n)
        score = torch.zeros(len(pos), n, n)
        k = torch.as_tensor([pos[int(t)] for t in self.t], dtype=torch.long)
        s, d = torch.from_numpy(self.src), torch.from_numpy(self.dst)
        pred[k, s, d] = torch.from_numpy(self.weight).float()
        score[k, s, d] = torch.from_numpy(self.score).float()
        return pred, score


def refine_pairs(num_nodes: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray,
                 score: np.ndarray, *, epsilon: Optional[float] = 0.01, directed: bool = True,
                 self_loops: bool = False) -> tuple[np.ndarray, np.ndarray]:
    r""":func:`refine` on pairs instead of an :math:`N \times N` matrix, step for step:
    non-finite values and negatives to 0; undirected data: each pair gets the mean of its
    and its reverse's weight (a reverse that is not among the pairs counts 0, as the dense
    matrix's zero does) and score; the diagonal to 0 unless ``self_loops`` (scores: always,
    as :func:`score_split`); weights :math:`\le \epsilon` to 0. On all :math:`N^2` pairs
    it gives exactly :func:`refine`'s result (and :func:`score_split`'s for the scores).

    Shapes:
        - **src, dst, weight, score:** :math:`(P,)`, pairs unique
        - **output:** ``(weight, score)``, :math:`(P,)` float64 each
    """
    n = int(num_nodes)
    w = np.nan_to_num(np.asarray(weight, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    s = np.nan_to_num(np.asarray(score, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    w, s = np.maximum(w, 0.0), np.maximum(s, 0.0)
    if not directed and w.size:
        keys = src.astype(np.int64) * n + dst
        order = np.argsort(keys, kind="stable")
        ks = keys[order]
        rev = dst.astype(np.int64) * n + src
        pos = np.minimum(np.searchsorted(ks, rev), ks.size - 1)
        hit = ks[pos] == rev
        w_rev = np.where(hit, w[order][pos], 0.0)
        s_rev = np.where(hit, s[order][pos], 0.0)
        # float32 arithmetic, as refine() does on the dense float32 matrix
        w = (np.float32(0.5) * (w.astype(np.float32) + w_rev.astype(np.float32))).astype(
            np.float64)
        s = (np.float32(0.5) * (s.astype(np.float32) + s_rev.astype(np.float32))).astype(
            np.float64)
    diag = src == dst
    if not self_loops:
        w = np.where(diag, 0.0, w)
    s = np.where(diag, 0.0, s)
    if epsilon is not None:
        w = np.where(w <= epsilon, 0.0, w)
    return w, s


def predict_pairs(predictor, index, t: int, window: int, *, two_hop: int = TWO_HOP,
                  all_pairs_limit: int = ALL_PAIRS_LIMIT, epsilon: Optional[float] = 0.01,
                  directed: bool = True, self_loops: bool = False) -> tuple:
    """Candidates of target ``t`` (:func:`gcngan.candidates.candidate_pairs`; closed under
    reversal for undirected data), scored by ``predictor.score_pairs`` (existence
    probability and hurdle weight: 0 unless the probability passes the decoder's
    threshold) and refined (:func:`refine_pairs`).

    Returns:
        tuple: ``(src, dst, score, weight)``, each :math:`(P,)`.
    """
    from gcngan.candidates import candidate_pairs

    src, dst = candidate_pairs(index, t, window, two_hop=two_hop,
                               all_pairs_limit=all_pairs_limit, symmetric=not directed,
                               self_loops=self_loops)
    score, weight = predictor.score_pairs(index, t, src, dst, window)
    weight, score = refine_pairs(index.num_nodes, src, dst, weight, score, epsilon=epsilon,
                                 directed=directed, self_loops=self_loops)
    return src, dst, score, weight


class ExtendedSequence:
    """A :class:`~gcngan.data.SnapshotSequence` followed by predicted snapshots, seen
    through the sparse interface only (``edges``, ``num_nodes``, ``num_snapshots``,
    ``scaler``, ...): the window of an autoregressive forecast.

    Args:
        seq (SnapshotSequence): The data.
    """

    def __init__(self, seq) -> None:
        self.seq = seq
        self._extra: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def __getattr__(self, name):                       # scaler, directed, node_ids, ...
        seq = self.__dict__.get("seq")
        if seq is None or name in ("adj", "scaled", "link_counts", "csr", "edge_index"):
            raise AttributeError(f"ExtendedSequence has no {name!r} (only the sparse "
                                 f"interface covers the predicted snapshots)")
        return getattr(seq, name)

    @property
    def num_snapshots(self) -> int:
        return int(self.seq.num_snapshots) + len(self._extra)

    def append(self, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> None:
        """Add a predicted snapshot: links ``src -> dst`` with raw ``weight`` (E,), sorted
        by ``(src, dst)``."""
        self._extra.append((np.asarray(src, np.int64), np.asarray(dst, np.int64),
                            np.asarray(weight, np.float32)))

    def edges(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = int(t)
        base = int(self.seq.num_snapshots)
        if t < base:
            return self.seq.edges(t)
        if t >= self.num_snapshots:
            raise IndexError(f"snapshot {t} out of range 0 .. {self.num_snapshots - 1}")
        s, d, w = self._extra[t - base]
        return s.copy(), d.copy(), w.copy()


def sparse_predictor(model, *, samples: int = 1, seed: int = 0, device="cpu"):
    """``model`` as a pair predictor: a :class:`~gcngan.structural.PairPredictor` is used as
    it is; a :class:`~gcngan.nn.sparse_model.SparseGenerator` is wrapped in a
    :class:`~gcngan.nn.sparse_model.SparsePredictor`."""
    from gcngan.structural import PairPredictor

    if isinstance(model, PairPredictor):
        return model
    from gcngan.nn.sparse_model import SparseGenerator, SparsePredictor

    if not isinstance(model, SparseGenerator):
        raise InputError(f"predict_sparse needs a sparse-family generator (--preset sparse) "
                         f"or a pair predictor, not {type(model).__name__}")
    return SparsePredictor(model, samples=samples, seed=seed, device=device)


@torch.no_grad()
def sparse_prediction(model, seq, window: int, *, targets: Optional[Sequence[int]] = None,
                      steps: Optional[int] = None, two_hop: int = TWO_HOP,
                      all_pairs_limit: int = ALL_PAIRS_LIMIT, epsilon: Optional[float] = 0.01,
                      samples: int = 1, seed: int = 0, device="cpu") -> PairPrediction:
    r"""The arrays behind :func:`predict_sparse` (node indices, internal raw scale).

    Returns:
        PairPrediction: Every scored candidate of every target, in target order.
    """
    from gcngan.structural import PairIndex

    predictor = sparse_predictor(model, samples=samples, seed=seed, device=device)
    if (targets is None) == (steps is None):
        raise InputError("give either targets or steps (exactly one)")
    if two_hop < 0:
        raise InputError(f"--two-hop {two_hop} must be >= 0")
    directed, loops = bool(seq.directed), keeps_self_loops(seq)
    kw = dict(two_hop=two_hop, all_pairs_limit=all_pairs_limit, epsilon=epsilon,
              directed=directed, self_loops=loops)
    rows = []
    if steps is None:
        index = PairIndex(seq)
        targets = [int(t) for t in targets]
        for t in targets:
            index.check_target(t, window)
        for t in targets:
            rows.append((t, *predict_pairs(predictor, index, t, window, **kw)))
    else:
        if steps < 1:
            raise InputError(f"--steps {steps} must be >= 1")
        if seq.num_snapshots < window:
            raise InputError(f"forecast needs at least {window} snapshots, the data has "
                             f"{seq.num_snapshots}")
        ext = ExtendedSequence(seq)
        for _ in range(int(steps)):
            t = ext.num_snapshots
            index = PairIndex(ext)           # a new index: the snapshot before t is new
            src, dst, score, weight = predict_pairs(predictor, index, t, window, **kw)
            rows.append((t, src, dst, score, weight))
            link = weight > 0                # fed back: the refined links, as forecast()
            ext.append(src[link], dst[link], weight[link])
    if not rows:
        z = np.zeros(0, np.int64)
        return PairPrediction(z, z, z, z.astype(np.float64), z.astype(np.float64))
    return PairPrediction(np.concatenate([np.full(r[1].size, r[0], np.int64) for r in rows]),
                          *(np.concatenate([r[k] for r in rows]) for k in range(1, 5)))


def predict_sparse(model, seq, window: int, *, targets: Optional[Sequence[int]] = None,
                   steps: Optional[int] = None, two_hop: int = TWO_HOP,
                   all_pairs_limit: int = ALL_PAIRS_LIMIT, epsilon: Optional[float] = 0.01,
                   samples: int = 1, seed: int = 0, device="cpu", scores: bool = False):
    r"""A sparse-family model's predicted next adjacencies as an edge list (issue 15).

    For each target ``t`` (each from the true window before it) or, with ``steps=K``, for
    the ``K`` snapshots after the data (autoregressive: each predicted snapshot — its
    refined links — is appended to the window of the next step, as the dense
    :func:`forecast` does), the candidate pairs of
    :func:`gcngan.candidates.candidate_pairs` (all pairs when :math:`N^2 \le`
    ``all_pairs_limit``; else the window's active pairs and each node's ``two_hop`` best
    2-hop pairs) are scored with the model's ``score_pairs`` (existence probability and
    hurdle weight: a link only where the probability passes the decoder's threshold) and
    refined as the dense path refines (:func:`refine_pairs`: symmetrised for undirected
    data, zero diagonal unless the data keeps self-loops, weights :math:`\le \epsilon`
    dropped). Memory :math:`O(W E + N k)`; nothing of size :math:`N^2` unless all pairs fit
    the limit.

    Args:
        model: A trained :class:`~gcngan.nn.sparse_model.SparseGenerator` (e.g. from
            :func:`load_sparse_run`) or any :class:`~gcngan.structural.PairPredictor`.
        seq (SnapshotSequence): The data the model was trained on.
        window (int): :math:`W` (the run's ``config.data.window``).
        targets (Sequence[int], optional): Target snapshots (``W <= t <= T``).
        steps (int, optional): Instead: forecast this many snapshots past the end.
        two_hop (int, optional): 2-hop candidates per node. (default: ``10``)
        all_pairs_limit (int, optional): Score every pair when :math:`N^2` is at most this.
            (default: ``250000``)
        epsilon (float, optional): Raw-scale zero threshold (the run's
            ``config.train.epsilon``). (default: ``0.01``)
        samples, seed, device: Evaluation noise draws, their seed, the device (the run's
            ``train.eval_samples`` and ``train.seed``).
        scores (bool, optional): Add a ``score`` column and keep every scored candidate,
            links or not (a ranked list). (default: ``False``)

    Returns:
        pandas.DataFrame: Columns ``t, src, dst, weight`` (``+ score``) in the data's
        own ids, time labels and weight units; only the predicted links (exact zeros are
        not written) unless ``scores``.

    Raises:
        InputError: ``steps < 1``, a target without a full window, too few snapshots, or a
            model that is not a sparse-family one.

    Examples:
        >>> from gcngan.predict import load_sparse_run, predict_sparse  # doctest: +SKIP
        >>> generator, config, seq = load_sparse_run("runs/enron", "enron184.csv")  # doctest: +SKIP
        >>> predict_sparse(generator, seq, config.data.window, steps=2).head()  # doctest: +SKIP
    """
    pp = sparse_prediction(model, seq, window, targets=targets, steps=steps, two_hop=two_hop,
                           all_pairs_limit=all_pairs_limit, epsilon=epsilon, samples=samples,
                           seed=seed, device=device)
    return pp.to_frame(seq, scores=scores)


def evaluate_sparse_split(model, seq, targets: Sequence[int], window: int, *, epsilon: float,
                          metrics: Optional[Sequence[str]] = None, samples: int = 1,
                          seed: int = 0, device="cpu",
                          all_pairs_limit: int = ALL_PAIRS_LIMIT) -> dict:
    r"""The dense protocol's metrics (RMSE, MAE, ..., AUC/AP) of a sparse-family model on a
    small graph: every pair of each target is scored (:func:`sparse_prediction` with all
    pairs) and scattered into :math:`(K, N, N)` weights and scores, which
    :func:`gcngan.metrics.evaluate_predictions` scores as it scores the dense path's.

    Raises:
        InputError: :math:`N^2` above ``all_pairs_limit`` (no dense view of a large graph:
            use the ranking protocol).

    Returns:
        dict: As :func:`gcngan.metrics.evaluate_predictions`.
    """
    from gcngan.candidates import all_pairs_fit
    from gcngan.metrics import METRICS, evaluate_predictions

    n = seq.num_nodes
    if not all_pairs_fit(n, all_pairs_limit):
        raise InputError(f"N={n} nodes: the dense protocol needs all N x N pairs of every "
                         f"target, scored only up to N x N = {all_pairs_limit:,}; use "
                         f"--protocol ranking (or gcngan predict / gcngan score)")
    targets = [int(t) for t in targets]
    pp = sparse_prediction(model, seq, window, targets=targets, all_pairs_limit=all_pairs_limit,
                           epsilon=epsilon, samples=samples, seed=seed, device=device)
    pred, scores = pp.dense(targets, n)
    target = seq.adj[torch.as_tensor(targets, dtype=torch.long)]
    names = list(METRICS if metrics is None else metrics)
    return evaluate_predictions(pred, target, names, scores=scores)


def load_sparse_run(run, data, device="cpu"):
    """A trained run's generator, config and data, for the Python API
    (:func:`predict_sparse`): the checkpoint ``run`` (a run directory's ``best.pt``, else
    its ``last.pt``, or a ``.pt`` file) and ``data`` read with the run's stored data config;
    refuses data other than the training data (as ``gcngan predict`` does).

    Returns:
        tuple: ``(generator, config, seq)``.

    Raises:
        CheckpointError: no checkpoint at ``run``.
        InputError: ``data`` is not the run's training data.
    """
    from gcngan.data import load_snapshots
    from gcngan.errors import CheckpointError
    from gcngan.train import check_data_matches, load_checkpoint, resolve_device
    from gcngan.train.checkpoint import generator_from_checkpoint

    path = Path(run)
    if not path.is_file():
        found = [path / n for n in ("best.pt", "last.pt") if (path / n).is_file()]
        if not found:
            raise CheckpointError(f"{run}: no best.pt or last.pt found (is it a run directory?)")
        path = found[0]
    state = load_checkpoint(path)
    generator, config = generator_from_checkpoint(state, resolve_device(device))
    seq = load_snapshots(str(data), config.data)
    check_data_matches(state, seq, path)
    return generator, config, seq
