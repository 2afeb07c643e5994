r"""The sparse GCN-GAN (issue 15) as one generator and one critic: nothing of size
:math:`N^2`.

* :class:`SparseInputs` — one training or prediction batch: ``B`` windows as one
  :class:`~gcngan.nn.sparse_gcn.SparseWindowBatch`, the ``P`` candidate pairs of their
  targets with their :data:`~gcngan.nn.pair_decoder.PAIR_FEATURES`, which window each pair
  belongs to (``graph``) and each window's :func:`~gcngan.nn.set_critic.window_summary`;
  built by :func:`sparse_inputs`.
* :class:`SparseGenerator` — :class:`~gcngan.nn.sparse_gcn.SparseGCNEncoder` ->
  :class:`~gcngan.nn.pair_decoder.PairDecoder`: ``forward_parts(inputs)`` gives the hurdle
  parts of every candidate pair, ``pred`` :math:`(P,)` being the differentiable expected
  weight that the critic judges (the dense generator's ``(B, N, N)`` becomes ``(P,)``).
* :class:`SparseCritic` — the :class:`~gcngan.nn.set_critic.SetCritic` called as the
  trainer calls a critic: ``critic(weights (P,), inputs) -> (B,)``, raw scores.
* :class:`SparsePredictor` — a trained :class:`SparseGenerator` as a pair predictor of
  :mod:`gcngan.ranking` (``prepare`` / ``score_pairs``): any pairs, from the true window
  before ``t``.

Model sizes come from :class:`~gcngan.config.ModelConfig` (``family='sparse'``):
``noise_dim`` = node-embedding size, ``node_noise`` = its noise std, ``gcn_channels``,
``lstm_hidden``, ``decoder_hidden`` = pair-MLP width, ``critic_hidden[0]`` = set-critic
width, ``dropout``; ``critic_condition='history'`` conditions the critic on the window
summary, ``critic_sets`` picks its sets (each window's candidates, or each ranking
query's). Ablations: ``encoder='none'`` = no graph convolution (the node embeddings go
straight to the per-node LSTM), ``pair_features=False`` = the decoder reads node states
only (the critic still reads the features).
"""
from __future__ import annotations

import hashlib

from dataclasses import dataclass, replace
from typing import Optional, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from gcngan.nn.pair_decoder import (HISTORY_FEATURES, PAIR_FEATURES, PATH_FEATURES, PairDecoder,
                                    PairFeaturizer)
from gcngan.nn.set_critic import WINDOW_SUMMARY, SetCritic, window_summary
from gcngan.nn.sparse_gcn import SparseGCNEncoder, SparseWindowBatch
from gcngan.structural import PairPredictor


@dataclass
class SparseInputs:
    r"""One batch of the sparse family.

    Attributes:
        batch (SparseWindowBatch): ``B`` windows, node set covering every candidate.
        src, dst (Tensor): :math:`(P,)` long global node indices of the candidates.
        graph (Tensor): :math:`(P,)` long, the window (``0 .. B-1``) of each candidate.
        feats (Tensor): :math:`(P, F)` pair features.
        condition (Tensor): :math:`(B, C)` window summaries.
        targets (list[int]): The ``B`` target snapshots.
        query (Tensor, optional): :math:`(P,)` long, the ranking query (one true link and
            its negatives) of each candidate, ``0 .. Q-1``, for the listwise loss
            (training batches; ``None`` at prediction).
    """

    batch: SparseWindowBatch
    src: Tensor
    dst: Tensor
    graph: Tensor
    feats: Tensor
    condition: Tensor
    targets: list
    query: Optional[Tensor] = None

    @property
    def num_graphs(self) -> int:
        return len(self.targets)


def scaled_weights(seq, w: np.ndarray) -> Tensor:
    """Raw weights -> model scale ``[0, 1]`` (the sequence's scaler, clamped), float32."""
    return seq.scaler.transform(torch.from_numpy(np.asarray(w, np.float32))).clamp(0.0, 1.0)


def horizon_feature(horizon: int, max_horizon: int) -> float:
    r"""The decoder's horizon input: :math:`\log(1 + \min(h, H)) / \log(1 + H)` in
    ``[0, 1]`` for a target ``h`` snapshots after the one right after the window (``h = 0``:
    the next snapshot), :math:`H` = ``model.max_horizon``; gaps beyond :math:`H` read as
    :math:`H`.

    Examples:
        >>> horizon_feature(0, 15), horizon_feature(15, 15), horizon_feature(40, 15)
        (0.0, 1.0, 1.0)
    """
    return float(np.log1p(min(max(int(horizon), 0), max_horizon)) / np.log1p(max_horizon))


def pair_channels(config) -> int:
    """Pair-feature columns the decoder and the critic read: :data:`PAIR_FEATURES`, plus
    :data:`PATH_FEATURES` with ``config.path_features``, plus :data:`HISTORY_FEATURES` with
    ``config.history_features``, plus the horizon (:func:`horizon_feature`) when
    ``config.max_horizon > 0``."""
    return (len(PAIR_FEATURES) + (len(PATH_FEATURES) if config.path_features else 0)
            + (len(HISTORY_FEATURES) if config.history_features else 0)
            + (1 if config.max_horizon else 0))


def with_horizon(feats: Tensor, horizon: int, max_horizon: int) -> Tensor:
    """``feats`` :math:`(P, F)` with the horizon column appended, :math:`(P, F + 1)`
    (unchanged when ``max_horizon`` is 0)."""
    if not max_horizon:
        return feats
    col = feats.new_full((feats.shape[0], 1), horizon_feature(horizon, max_horizon))
    return torch.cat([feats, col], dim=1)


def window_batch(index, targets: Sequence[int], window: int,
                 nodes: Tensor) -> SparseWindowBatch:
    r"""The true windows ``t-W .. t-1`` of the ``B`` ``targets`` as one
    :class:`~gcngan.nn.sparse_gcn.SparseWindowBatch` (model-scale weights) that also
    computes ``nodes`` :math:`(K,)` (the candidates' endpoints)."""
    seq = index.seq
    snaps = []
    for t in targets:
        win = []
        for k in range(t - window, t):
            s, d, w = seq.edges(k)
            win.append((torch.from_numpy(np.stack([s, d]).astype(np.int64)),
                        scaled_weights(seq, w)))
        snaps.append(win)
    return SparseWindowBatch.from_snapshots(snaps, extra_nodes=nodes)


def sparse_inputs(index, featurizer: PairFeaturizer, targets: Sequence[int], window: int,
                  src: Sequence[np.ndarray], dst: Sequence[np.ndarray], *,
                  horizon: int = 0, max_horizon: int = 0) -> SparseInputs:
    r"""Build :class:`SparseInputs` for the candidate pairs ``src[b], dst[b]`` of each target
    ``targets[b]``, from the true windows ``t-W .. t-1``.

    Args:
        index (PairIndex): The data's index (:class:`~gcngan.structural.PairIndex`).
        featurizer (PairFeaturizer): Pair features (on the same data).
        targets (Sequence[int]): :math:`B` target snapshots (``W <= t <= T``).
        window (int): :math:`W`.
        src, dst: ``B`` arrays of :math:`P_b` node indices.
        horizon (int, optional): The pairs are asked about ``horizon`` snapshots after
            ``t`` (past the data): the horizon column's value (:func:`with_horizon`).
        max_horizon (int, optional): ``model.max_horizon``; 0 = no horizon column.
    """
    s_all = torch.from_numpy(np.concatenate(src).astype(np.int64))            # (P,)
    d_all = torch.from_numpy(np.concatenate(dst).astype(np.int64))            # (P,)
    batch = window_batch(index, targets, window, torch.cat([s_all, d_all]))
    graph = torch.cat([torch.full((len(s),), b, dtype=torch.long) for b, s in enumerate(src)])
    feats = with_horizon(torch.cat([featurizer(t, window, s, d)
                                    for t, s, d in zip(targets, src, dst)]),
                         horizon, max_horizon)
    cond = torch.stack([window_summary(index, t, window) for t in targets])  # (B, C)
    return SparseInputs(batch, s_all, d_all, graph, feats, cond, [int(t) for t in targets])


#: :meth:`SparseGenerator.forward_parts` runs the LSTM only for the (window, node) rows the
#: candidates read when they are at most this share of the batch's rows (scoring a few
#: pairs in a large window); above it, the gathers would cost more than the rows saved
SELECT_ROWS_BELOW = 0.75


class SparseGenerator(nn.Module):
    r"""Sparse GCN -> per-node LSTM -> pair decoder.

    Args:
        num_nodes (int): :math:`N`.
        config (ModelConfig): Sizes (see the module docstring).

    Shapes:
        - **inputs:** :class:`SparseInputs` with :math:`P` candidates
        - **output** of :meth:`forward_parts`: ``{'logit', 'prob', 'weight', 'pred'}``, each
          :math:`(P,)`
    """

    def __init__(self, num_nodes: int, config) -> None:
        super().__init__()
        self.num_nodes = num_nodes
        self.max_horizon = int(config.max_horizon)
        self.path_features = bool(config.path_features)
        self.history_features = bool(config.history_features)
        self.encoder = SparseGCNEncoder(num_nodes, config.noise_dim, config.gcn_channels,
                                        config.lstm_hidden, noise_std=config.node_noise,
                                        dropout=config.dropout,
                                        convolve=config.encoder != "none",
                                        activity=config.node_activity,
                                        skip=config.gcn_skip, mirror=config.gcn_mirror,
                                        random_channels=config.random_features)
        self.decoder = PairDecoder(config.lstm_hidden,
                                   pair_channels(config) if config.pair_features else 0,
                                   hidden_channels=config.decoder_hidden,
                                   dropout=config.dropout)

    def featurizer(self, index) -> PairFeaturizer:
        """The :class:`~gcngan.nn.pair_decoder.PairFeaturizer` of the pair features this
        model reads (with the path and history columns when it was built with them), over
        ``index`` (a :class:`~gcngan.structural.PairIndex` or the data)."""
        return PairFeaturizer(index, paths=self.path_features, history=self.history_features)

    def forward_parts(self, inputs: SparseInputs) -> dict:
        dev = self.encoder._device()
        batch = inputs.batch
        graph = inputs.graph.to(dev) * batch.num_local                     # (P,)
        ends = torch.cat([graph + batch.local(inputs.src).to(dev),
                          graph + batch.local(inputs.dst).to(dev)])        # (2P,)
        rows, at = torch.unique(ends, return_inverse=True)                 # (R,), (2P,)
        if rows.numel() <= SELECT_ROWS_BELOW * batch.batch_size * batch.num_local:
            h = self.encoder(batch, rows=rows)[at]                         # (2P, H)
        else:                 # (nearly) every row is read: no gather before the LSTM
            h = self.encoder(batch).flatten(0, 1)[ends]                    # (2P, H)
        hs, hd = h.chunk(2)                                                # (P, H) each
        feats = inputs.feats.to(dev) if self.decoder.pair_channels else None
        parts = self.decoder.parts(hs, hd, feats)
        if inputs.query is not None:
            parts["query"] = inputs.query.to(dev)                          # (P,)
        return parts

    def forward(self, inputs: SparseInputs) -> Tensor:
        """Expected weights :math:`(P,)` (model scale)."""
        return self.forward_parts(inputs)["pred"]


class SparseCritic(nn.Module):
    r""":class:`~gcngan.nn.set_critic.SetCritic` over candidate sets: each window's
    candidates (``sets='window'``), or each ranking query's — one true link and its
    negatives, conditioned on its window's summary (``sets='query'``, when the inputs carry
    ``query``; else per window). Per query, a real set puts its weight on one candidate;
    the critic compares that to how the generator spreads its expected weight over the
    same candidates.

    Shapes:
        - **weight:** :math:`(P,)` real or generated model-scale weights
        - **inputs:** :class:`SparseInputs` (features, graph, condition, query)
        - **output:** :math:`(G,)` raw scores, ``G`` = windows :math:`B` or queries
    """

    def __init__(self, config) -> None:
        super().__init__()
        self.conditional = config.critic_condition == "history"
        self.sets = config.critic_sets
        self.set_critic = SetCritic(pair_channels(config),
                                    len(WINDOW_SUMMARY) if self.conditional else 0,
                                    hidden_channels=config.critic_hidden[0],
                                    dropout=config.dropout)

    def groups(self, inputs: SparseInputs, device=None) -> tuple[Tensor, int, Tensor]:
        """``(set of each candidate (P,), number of sets G, condition (G, C))``."""
        graph = inputs.graph.to(device)
        cond = inputs.condition.to(device)
        if self.sets == "query" and inputs.query is not None and inputs.query.numel():
            query = inputs.query.to(device)
            num = int(query.max()) + 1
            window = graph.new_zeros(num).scatter(0, query, graph)         # (Q,) its window
            return query, num, cond[window]
        return graph, inputs.num_graphs, cond

    def forward(self, weight: Tensor, inputs: SparseInputs) -> Tensor:
        dev = weight.device
        group, num, cond = self.groups(inputs, dev)
        return self.set_critic(inputs.feats.to(dev), weight, group, num,
                               cond if self.conditional else None)


def sparse_gradient_penalty(critic: SparseCritic, real: Tensor, fake: Tensor,
                            inputs: SparseInputs) -> Tensor:
    r"""WGAN-GP on the candidate weights: one :math:`\epsilon \sim U(0, 1)` per set (window
    or query, :meth:`SparseCritic.groups`), interpolates
    :math:`x = \epsilon w + (1-\epsilon)\hat w` :math:`(P,)`, gradient norm per set (over
    its candidates). Not multiplied by :math:`\lambda`."""
    real, fake = real.detach(), fake.detach()
    group, num, _ = critic.groups(inputs, real.device)
    eps = torch.rand(num, device=real.device, dtype=real.dtype)[group]    # (P,)
    x = (eps * real + (1.0 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x, inputs).sum(), x, create_graph=True)
    sq = grad.new_zeros(num).index_add(0, group, grad * grad)              # (G,)
    return ((sq + 1e-12).sqrt() - 1.0).pow(2).mean()


class SparsePredictor(PairPredictor):
    """A :class:`SparseGenerator` as a pair predictor (:mod:`gcngan.ranking`): ``score`` =
    existence probability, ``weight`` = the hurdle prediction on the raw scale, each from
    the true window before ``t``; evaluation noise re-seeded per target from ``seed``.

    Args:
        generator (SparseGenerator): Trained.
        samples (int, optional): Noise draws averaged (:meth:`PairDecoder.pool`).
        seed (int, optional): Evaluation-noise seed. (default: ``0``)
        device (optional): (default: ``"cpu"``)
        chunk (int, optional): Pairs per forward pass. (default: ``200000``)
        cache_bytes (int, optional): Keep the inputs built for a target's pairs (window
            batch, pair features: data only, not the model) while they hold at most this
            many bytes, so scoring the same pairs again (validation at every epoch) runs
            only the model. (default: ``0``, nothing kept)
    """

    name = "model"

    def __init__(self, generator: SparseGenerator, *, samples: int = 1, seed: int = 0,
                 device="cpu", chunk: int = 200_000, cache_bytes: int = 0) -> None:
        self.generator, self.samples, self.seed = generator, max(int(samples), 1), seed
        self.max_horizon = generator.max_horizon
        self.device, self.chunk, self.cache_bytes = device, chunk, int(cache_bytes)
        self._featurizer: Optional[PairFeaturizer] = None
        self._index = None
        self._inputs: dict = {}              # (t, window, pairs digest) -> SparseInputs
        self._held = 0

    def prepare(self, seq, targets: Sequence[int], window: int) -> None:
        """Nothing to precompute (pairs are scored when asked)."""

    def _features(self, index) -> PairFeaturizer:
        if self._index is not index:
            self._index = index
            self._featurizer = self.generator.featurizer(index)
            self._inputs, self._held = {}, 0
        return self._featurizer

    def _inputs_of(self, index, t: int, window: int, src: np.ndarray,
                   dst: np.ndarray, horizon: int = 0) -> SparseInputs:
        """:func:`sparse_inputs` of the pairs at ``t``, kept while under ``cache_bytes``: the
        pair features and window summary (small, and the costly part to compute) first, the
        window batch too while it fits; a batch left out is rebuilt from the snapshots when
        the same pairs are scored again."""
        fz = self._features(index)
        extra = {"horizon": horizon, "max_horizon": self.generator.max_horizon}
        if not self.cache_bytes:
            return sparse_inputs(index, fz, [t], window, [src], [dst], **extra)
        digest = hashlib.blake2b(src.tobytes() + dst.tobytes(), digest_size=16).digest()
        key = (t, window, digest, horizon)
        kept = self._inputs.get(key)
        if kept is None:
            inputs = sparse_inputs(index, fz, [t], window, [src], [dst], **extra)
            small = sum(x.numel() * x.element_size() for x in
                        (inputs.src, inputs.dst, inputs.graph, inputs.feats, inputs.condition))
            if self._held + small > self.cache_bytes:
                return inputs
            big = inputs.batch.nbytes()
            keep_batch = self._held + small + big <= self.cache_bytes
            self._inputs[key] = inputs if keep_batch else replace(inputs, batch=None)
            self._held += small + (big if keep_batch else 0)
            return inputs
        if kept.batch is None:
            return replace(kept, batch=window_batch(index, [t], window,
                                                    torch.cat([kept.src, kept.dst])))
        return kept

    @torch.no_grad()
    def score_pairs(self, seq, t: int, src, dst, window: int,
                    horizon: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Scores and raw-scale weights :math:`(P,)` of the pairs at target ``t`` (``horizon``
        snapshots later, from the same window, for a model with ``max_horizon``)."""
        from gcngan.structural import as_index

        index = as_index(seq)
        t = int(t)
        index.check_target(t, window)
        src = np.asarray(src, dtype=np.int64).ravel()
        dst = np.asarray(dst, dtype=np.int64).ravel()
        gen = self.generator
        was_training = gen.training
        gen.eval()
        score = np.zeros(src.size)
        weight = np.zeros(src.size)
        try:
            for a in range(0, src.size, self.chunk):
                s, d = src[a:a + self.chunk], dst[a:a + self.chunk]
                inputs = self._inputs_of(index, t, window, s, d, horizon)
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(self.seed * 1_000_003 + t)
                    draws = [gen.forward_parts(inputs) for _ in range(self.samples)]
                parts = draws[0] if self.samples == 1 else gen.decoder.pool(draws)
                score[a:a + s.size] = gen.decoder.link_score(parts).double().cpu().numpy()
                pred = gen.decoder.combine(parts).float().cpu()
                weight[a:a + s.size] = index.seq.scaler.inverse(pred).double().numpy()
        finally:
            gen.train(was_training)
        return score, weight

    def __repr__(self) -> str:
        return f"SparsePredictor({type(self.generator).__name__})"


def model_predictor(generator, config, device="cpu"):
    """The pair predictor of a trained run's generator for :mod:`gcngan.ranking`: a
    :class:`SparsePredictor` for the sparse family (any pairs, no :math:`N^2`), else a
    :class:`~gcngan.ranking.DensePredictor` (its dense output read at the pairs)."""
    tc = config.train
    if isinstance(generator, SparseGenerator):
        return SparsePredictor(generator, samples=tc.eval_samples, seed=tc.seed, device=device)
    from gcngan.ranking import DensePredictor

    return DensePredictor(generator, epsilon=tc.epsilon, samples=tc.eval_samples,
                          seed=tc.seed, device=device)
