r"""Model families: what :class:`~gcngan.train.Trainer` needs to know about a model, so that
one training loop trains both the dense ``N x N`` GCN-GAN and the sparse one.

A family (``config.model.family``) answers, for the trainer:

* :meth:`~ModelFamily.setup` — the data checks, the training windows
  (``trainer.train_set``: ``len()`` and ``batch(indices) -> (inputs, target)``), the
  generator (``forward_parts(inputs) -> parts`` with ``parts['pred']``, the fake the critic
  judges), the critic (``critic(x, cond) -> (B,)``, raw scores), the reconstruction
  ``recon(parts, target)``, the model selection (``trainer.selection``/``monitor``) and
  whether the critic gets the inputs as its condition (``trainer.conditional``);
* :meth:`~ModelFamily.gradient_penalty`, :meth:`~ModelFamily.diversity`,
  :meth:`~ModelFamily.predict`, :meth:`~ModelFamily.evaluate`,
  :meth:`~ModelFamily.evaluate_baselines` — the model-shaped parts of the loop.

:class:`DenseFamily` is today's behaviour, unchanged (bit for bit); :class:`SparseFamily`
trains :mod:`gcngan.nn.sparse_model` on candidate pairs — each target's true links (at
most ``train.max_links``) with ``train.negatives`` negatives each, sampled as the ranking
evaluation samples them (:func:`gcngan.ranking.generate_negatives`: half historical, the
rest uniform) — and selects the epoch by validation MRR against seeded negatives of the
validation targets only (monitor ``val_mrr_loss = 1 - MRR``, lower is better, as the
trainer's monitor). With ``train.regression_init`` the pair decoder starts at a logistic
regression on the features of the last 20 training targets' candidates, and that untrained
model is selection candidate epoch 0 (so selection never ends below it on validation);
``train.rank_weight`` adds a per-query softmax loss (the ranking the protocol measures);
``train.max_targets`` trains on the most recent training targets only. Nothing of size
:math:`N^2` on the sparse path.
"""
from __future__ import annotations

import logging
from typing import Optional

import numpy as np
import torch
from torch import Tensor, nn

from gcngan.errors import ConfigError, InputError
from gcngan.resources import check_memory, max_active_fraction

log = logging.getLogger("gcngan.train")


class ModelFamily:
    """Base of the families (see the module docstring)."""

    name = "base"

    def describe(self, trainer) -> str:                             # pragma: no cover
        raise NotImplementedError

    def setup(self, trainer, node_features, generator, critic) -> None:  # pragma: no cover
        raise NotImplementedError


class DenseFamily(ModelFamily):
    """The ``N x N`` models of :mod:`gcngan.nn` (presets ``paper``, ``dense``)."""

    name = "dense"

    def describe(self, trainer) -> str:
        m = trainer.config.model
        return (f"training the dense GCN-GAN ({m.decoder} decoder, N x N snapshots, "
                f"N={trainer.data.num_nodes})")

    def setup(self, trainer, node_features, generator, critic) -> None:
        from gcngan.data.windows import WindowDataset, check_validation_targets
        from gcngan.nn import Decoder, Generator, build_critic, build_generator, link_floor

        config, data = trainer.config, trainer.data
        tc, dc = config.train, config.data
        if tc.refit:
            raise ConfigError("train.refit applies to the sparse family: the dense model's "
                              "selection sets parameters on validation (the residual "
                              "decoder's hedge) that a refit without validation would lose; "
                              "set refit=false")
        if data.num_sources is not None:
            raise ConfigError(f"{data.source or 'data'}: the dense family predicts every N x N "
                              f"entry, one id space; these sources and destinations are "
                              f"counted apart (two id spaces): train the sparse family (the "
                              f"default preset) or read them as one with --one-id-space")
        check_validation_targets(data.adj, trainer.split, data.source or "data")
        # refuse up front (clear message with the largest N that fits) what would not fit
        check_memory(config, data.num_nodes, data.num_snapshots, trainer.device,
                     None if node_features is None else int(node_features.shape[-1]),
                     active_fraction=(max_active_fraction(data.adj, dc.window)
                                      if config.model.decoder == "residual" else 1.0))
        trainer.adj = data.scaled().to(trainer.device)                       # (T, N, N)
        trainer.train_set = WindowDataset(trainer.adj, dc.window, trainer.split.train)
        n = data.num_nodes
        if generator is None:      # scale-derived decoder defaults: train.epsilon on [0, 1]
            generator = build_generator(config.model, n, node_features, window=dc.window,
                                        link_floor=link_floor(data.scaler, tc.epsilon))
        trainer.generator = generator.to(trainer.device)
        # the decoder contract (an injected model other than a Generator: plain MSE)
        decoder = generator.decoder if isinstance(generator, Generator) else Decoder()
        if tc.recon not in decoder.reconstructions:
            raise ConfigError(f"train.recon={tc.recon!r} needs a decoder with heads "
                              f"(model.decoder='residual'), not {config.model.decoder!r}")
        trainer.recon = decoder.reconstruction(tc.recon, tc)
        trainer.selection = decoder.selection()   # e.g. the residual decoder's hedge; or None
        trainer.critic = (critic if critic is not None else build_critic(config.model, n)
                          ).to(trainer.device)
        trainer.conditional = config.model.critic_condition == "history"

    def gradient_penalty(self, critic, real: Tensor, fake: Tensor, cond) -> Tensor:
        from gcngan.train.losses import gradient_penalty

        return gradient_penalty(critic, real, fake, adj_seq=cond)

    def diversity(self, trainer, split: str) -> dict:
        from gcngan.train.health import diversity

        return diversity(trainer, split)

    def predict(self, trainer, split: str):
        from gcngan.predict import predict_split

        tc = trainer.config.train
        return predict_split(trainer.generator, trainer.data, trainer.split[split],
                             trainer.window, epsilon=tc.epsilon, samples=tc.eval_samples,
                             seed=tc.seed, device=trainer.device, scaler=trainer.data.scaler)

    def evaluate(self, trainer, split: str, metrics=None) -> dict:
        from gcngan.predict import evaluate_split

        tc = trainer.config.train
        return evaluate_split(trainer.generator, trainer.data, trainer.split[split],
                              trainer.window, epsilon=tc.epsilon, metrics=metrics,
                              samples=tc.eval_samples, seed=tc.seed, device=trainer.device,
                              scaler=trainer.data.scaler)

    def evaluate_baselines(self, trainer, split: str, metrics, names) -> dict:
        from gcngan.baselines import get_baseline
        from gcngan.predict import evaluate_split

        tc = trainer.config.train
        return {name: evaluate_split(get_baseline(name), trainer.data, trainer.split[split],
                                     trainer.window, epsilon=tc.epsilon, metrics=metrics,
                                     device=trainer.device, scaler=trainer.data.scaler)
                for name in names}


# ----- sparse ---------------------------------------------------------------------------------
#: Bytes of one-window batches a :class:`SparseTrainingSet` keeps for later epochs (the
#: targets built first; the rest are built at every step).
WINDOW_CACHE_BYTES = 512 * 2 ** 20

class SparseTrainingSet:
    """Training targets of the sparse family: ``batch(indices)`` ->
    ``(SparseInputs, target (P,))`` (model-scale weights, 0 for the negatives).

    Each target's candidates (its true links, at most ``max_links``, ``negatives`` sampled
    negatives each) are drawn once with the seed ``(seed, t)`` and kept with their pair
    features, and each snapshot's ``(edge_index (2, E_t), model-scale edge_weight (E_t,))``
    is built once (:meth:`snapshot_edges`; :math:`O(T E)` in all, the data's own size), as
    is each target's one-window batch while they fit :data:`WINDOW_CACHE_BYTES`
    (:meth:`window_batch`), so an epoch costs the GCN and the decoder, not the sampling nor
    the edge tensors.

    With ``subgraph_nodes = S < N`` the GCN of a step propagates only the window's links
    induced on a subgraph around the target's candidates (:mod:`gcngan.subgraph`, drawn
    once per target with them; the candidates are the same), so a step's cost is bounded
    by the settings, not by :math:`N`. With ``negative_pool = K`` (``0 < K < N``) a
    target's queries draw their uniform negatives from one pool of ``K`` nodes
    (:func:`gcngan.ranking.generate_negatives`'s ``pool``), so its candidates have fewer
    distinct endpoints (opt-in: validation does not choose it, see the README); with
    ``queries_by = 'sources'`` a target with more than ``max_links`` true links trains on
    every link of sources drawn in random order (:func:`gcngan.ranking.generate_negatives`'s
    ``queries_by``), so its queries also share their historical negatives' endpoints. With
    ``max_horizon = H`` (``model.max_horizon``) about half the targets are predicted from an
    earlier window, the one before ``t - h`` (:meth:`draw_horizon`), their features
    carrying ``h`` (:func:`gcngan.nn.sparse_model.with_horizon`), so that the model learns
    how links ``h`` snapshots past its window differ from the next snapshot's.
    """

    def __init__(self, index, featurizer, targets, window: int, *, max_links: int,
                 negatives: int, seed: int, subgraph_nodes: int = 0,
                 negative_pool: int = 0, uniform_from: str = "all",
                 queries_by: str = "links", max_horizon: int = 0) -> None:
        self.index, self.featurizer = index, featurizer
        self.targets = [int(t) for t in targets]
        self.max_horizon = int(max_horizon)
        self.horizons = {t: self.draw_horizon(t, window, seed) for t in self.targets}
        self.window, self.max_links, self.negatives, self.seed = window, max_links, negatives, seed
        self.subgraph_nodes = (int(subgraph_nodes)
                               if 0 < subgraph_nodes < index.num_nodes else 0)
        self.negative_pool = int(negative_pool)
        self.uniform_from = uniform_from
        self.queries_by = queries_by
        self._cache: dict[int, tuple] = {}
        self._edges: dict[int, tuple[Tensor, Tensor]] = {}
        self._windows: dict[int, object] = {}           # t -> SparseWindowBatch (bounded)
        self._window_bytes = 0

    def __len__(self) -> int:
        return len(self.targets)

    def draw_horizon(self, t: int, window: int, seed: int) -> int:
        """How far ahead target ``t`` is predicted (``model.max_horizon`` > 0): from the
        window before ``t - h``, ``h`` drawn once per target (seeded): 0 with probability
        1/2 (the next snapshot, as validation and the ranking protocol ask), else uniform in
        ``1 .. min(max_horizon, t - window)``; always 0 without a horizon."""
        reach = min(self.max_horizon, int(t) - int(window))
        if reach < 1:
            return 0
        rng = np.random.default_rng([seed, int(t), 17])
        return 0 if rng.random() < 0.5 else int(rng.integers(1, reach + 1))

    @property
    def sampled(self) -> bool:
        """Whether targets train on sampled subgraphs (``0 < subgraph_nodes < N``)."""
        return self.subgraph_nodes > 0

    def candidates(self, t: int) -> tuple:
        """``(src, dst, target (P,), feats (P, F), summary (C,), query (P,), nodes)`` of
        target ``t`` (``query``: the ranking query of each candidate, ``0 .. Q_t-1``;
        ``nodes``: the sorted subgraph :math:`(S,)`, or ``None`` for the whole window)."""
        from gcngan.nn.set_critic import window_summary
        from gcngan.nn.sparse_model import scaled_weights, with_horizon
        from gcngan.ranking import generate_negatives
        from gcngan.subgraph import sample_subgraph

        if t not in self._cache:
            idx = self.index
            h = self.horizons.get(t, 0)
            end = t - h                                   # the window ends before this
            c = generate_negatives(idx, [t], q=self.negatives, max_queries=self.max_links,
                                   seed=self.seed * 1_000_003 + t, pool=self.negative_pool,
                                   uniform_from=self.uniform_from, queries_by=self.queries_by)
            nodes = None
            if self.sampled:
                rng = np.random.default_rng([self.seed, t, 15])
                union, _ = self.featurizer.union(end, self.window)        # (N, N) CSR
                nodes = sample_subgraph(union, np.concatenate([c.src, c.dst]),
                                        self.subgraph_nodes, rng)
            keys, w = idx.snapshot(t)
            pos = np.searchsorted(keys, idx.keys(c.src, c.dst)).clip(max=max(keys.size - 1, 0))
            raw = np.where(c.label, w[pos] if keys.size else 0.0, 0.0)
            target = torch.where(torch.from_numpy(c.label), scaled_weights(idx.seq, raw),
                                 torch.zeros(()))
            feats = with_horizon(self.featurizer(end, self.window, c.src, c.dst), h,
                                 self.max_horizon)
            self._cache[t] = (c.src, c.dst, target, feats,
                              window_summary(idx, end, self.window),
                              torch.from_numpy(c.query.astype(np.int64)), nodes)
        return self._cache[t]

    def window_batch(self, t: int):
        """The one-window :class:`~gcngan.nn.sparse_gcn.SparseWindowBatch` a step on target
        ``t`` propagates: snapshots ``t-W .. t-1`` whole (nodes: their endpoints and the
        candidates'), or induced on the target's subgraph
        (:func:`gcngan.subgraph.induced_window`). Kept for later epochs while the kept
        batches hold at most :data:`WINDOW_CACHE_BYTES`; built again past that."""
        from gcngan.nn.sparse_gcn import SparseWindowBatch
        from gcngan.subgraph import induced_window

        if t in self._windows:
            return self._windows[t]
        src, dst, *_, nodes = self.candidates(t)
        end = t - self.horizons.get(t, 0)
        snaps = [self.snapshot_edges(k) for k in range(end - self.window, end)]
        if nodes is None:
            batch = SparseWindowBatch.from_snapshots(
                [snaps], extra_nodes=torch.from_numpy(np.concatenate([src, dst])))
        else:
            batch = induced_window(snaps, nodes)
        size = batch.nbytes()
        if self._window_bytes + size <= WINDOW_CACHE_BYTES:
            self._windows[t], self._window_bytes = batch, self._window_bytes + size
        return batch

    def snapshot_edges(self, k: int) -> tuple[Tensor, Tensor]:
        """``(edge_index (2, E_k) long [src; dst], edge_weight (E_k,) float32)`` of snapshot
        ``k``, model-scale weights (built on first use, then reused: never modify them)."""
        from gcngan.nn.sparse_model import scaled_weights

        if k not in self._edges:
            seq = self.index.seq
            s, d, w = seq.edges(k)
            self._edges[k] = (torch.from_numpy(np.stack([s, d]).astype(np.int64)),
                              scaled_weights(seq, w))
        return self._edges[k]

    def batch(self, indices: Tensor):
        from gcngan.nn.sparse_gcn import SparseWindowBatch
        from gcngan.nn.sparse_model import SparseInputs

        ts = [self.targets[int(i)] for i in indices]
        cands = [self.candidates(t) for t in ts]
        src = torch.from_numpy(np.concatenate([c[0] for c in cands]))
        dst = torch.from_numpy(np.concatenate([c[1] for c in cands]))
        batch = SparseWindowBatch.stack([self.window_batch(t) for t in ts])
        graph = torch.cat([torch.full((len(c[0]),), b, dtype=torch.long)
                           for b, c in enumerate(cands)])
        offset = np.cumsum([0] + [int(c[5].max()) + 1 if len(c[5]) else 0 for c in cands])
        query = torch.cat([c[5] + int(o) for c, o in zip(cands, offset)])      # (P,)
        inputs = SparseInputs(batch, src, dst, graph, torch.cat([c[3] for c in cands]),
                              torch.stack([c[4] for c in cands]), ts, query)
        return inputs, torch.cat([c[2] for c in cands])

    def regression_rows(self, max_targets: int = 20) -> tuple[Tensor, Tensor]:
        """Pair features :math:`(R, F)` and labels :math:`(R,)` (bool) of the candidates of
        the last ``max_targets`` training targets (the rows the decoder's starting
        regression is fitted on)."""
        cands = [self.candidates(t) for t in self.targets[-max_targets:]]
        return (torch.cat([c[3] for c in cands]), torch.cat([c[2] for c in cands]) > 0)


def ranking_recon(recon, weight: float):
    """``recon(parts, target) + weight * listwise_loss`` over the parts' ranking queries
    (:func:`gcngan.nn.pair_decoder.listwise_loss`; plain ``recon`` where the parts carry
    no ``query``)."""
    from gcngan.nn.pair_decoder import listwise_loss

    def fn(parts: dict, target: Tensor) -> Tensor:
        loss = recon(parts, target)
        if parts.get("query") is not None:
            loss = loss + weight * listwise_loss(parts["logit"], parts["query"], target > 0)
        return loss

    return fn


class RankingSelection:
    """Model selection of the sparse family: validation MRR (one-vs-many, seeded negatives of
    the validation targets only, as :func:`gcngan.ranking.generate_negatives` draws them);
    the monitor is ``val_mrr_loss = 1 - MRR`` (lower is better)."""

    monitor = "val_mrr_loss"

    def __init__(self, family: "SparseFamily", initial_candidate: bool = False) -> None:
        self.family = family
        #: the untrained generator is a candidate (epoch 0): it is the regression the
        #: decoder starts from (``train.regression_init``)
        self.initial_candidate = initial_candidate

    def validate(self, trainer, split: str) -> tuple[dict, dict]:
        res = self.family.evaluate(trainer, split)
        return {self.monitor: 1.0 - res["mrr"]["mean"]}, res


def linked_targets(index, targets) -> list[int]:
    """The ``targets`` (snapshot indices) that hold at least one link ``u -> v`` with
    ``u != v``: the ones with ranking queries (:func:`gcngan.ranking.generate_negatives`);
    a target without one gives an empty candidate set, nothing to train on."""
    n = index.num_nodes
    out = []
    for t in targets:
        keys, _ = index.snapshot(int(t))
        if np.any(keys // n != keys % n):
            out.append(int(t))
    return out


def _span(targets) -> str:
    targets = [int(t) for t in targets]
    return f"{targets[0]}..{targets[-1]}" if targets else "none"


class SparseFamily(ModelFamily):
    """Sparse GCN -> per-node LSTM -> pair decoder, set critic (preset ``sparse``)."""

    name = "sparse"

    def describe(self, trainer) -> str:
        tc = trainer.config.train
        ts = trainer.train_set
        where = (f"the GCN on a sampled subgraph of >= {ts.subgraph_nodes} nodes"
                 if ts.sampled else "whole windows")
        drawn = {"all": [], "destinations": ["from the destinations"],
                 "both": ["half from the destinations"]}[ts.uniform_from]
        if 0 < ts.negative_pool < trainer.data.num_nodes:
            drawn.append(f"from a shared pool of {ts.negative_pool} nodes per target")
        pool = f" (uniform ones {', '.join(drawn)})" if drawn else ""
        ahead = (f", half the targets predicted 1..{ts.max_horizon} snapshots past their "
                 f"window" if ts.max_horizon else "")
        links = "true links" if ts.queries_by == "links" else "true links of whole sources"
        per_epoch = (f", {tc.windows_per_epoch} of the {len(ts)} training targets per epoch "
                     f"(a fresh draw each epoch)"
                     if 0 < tc.windows_per_epoch < len(ts) else "")
        return (f"training the sparse GCN-GAN (edge lists, <= {tc.max_links} {links} x "
                f"{tc.negatives} negatives{pool} per target, {where}{ahead}{per_epoch}, "
                f"N={trainer.data.num_nodes}; "
                + ("best epoch by validation MRR)" if len(trainer.split.val) else
                   "every target trains, no validation)"))

    def setup(self, trainer, node_features, generator, critic) -> None:
        from gcngan.data.windows import check_validation_targets
        from gcngan.nn.pair_decoder import fit_regression
        from gcngan.nn.sparse_model import SparseCritic, SparseGenerator
        from gcngan.structural import PairIndex

        config, data = trainer.config, trainer.data
        tc, mc = config.train, config.model
        if node_features is not None or mc.node_input == "features":
            raise ConfigError("model.family='sparse' learns node embeddings; user node "
                              "features are not supported by it yet")
        if tc.recon != "hurdle":
            raise ConfigError(f"train.recon={tc.recon!r}: the sparse family's pair decoder "
                              f"trains with recon='hurdle'")
        if tc.adv_weight > 0 and tc.loss == "bce":
            raise ConfigError("model.family='sparse' trains WGAN-style: train.loss must be "
                              "wgan-gp or wgan-clip")
        check_validation_targets(data, trainer.split, data.source or "data")
        self.index = PairIndex(data)
        if generator is None:
            generator = SparseGenerator(data.num_nodes, mc)
        self.featurizer = generator.featurizer(self.index)
        train_targets = linked_targets(self.index, trainer.split.train)
        if not train_targets:
            raise InputError(f"{data.source or 'data'}: no training target (snapshots "
                             f"{_span(trainer.split.train)}) holds a link u -> v with u != v: "
                             f"the sparse family has nothing to learn from")
        if len(train_targets) < len(trainer.split.train):
            empty = sorted(set(map(int, trainer.split.train)) - set(train_targets))
            log.warning("%d training target(s) without a link u -> v (u != v) skipped, "
                        "nothing to rank there: snapshot(s) %s", len(empty),
                        ", ".join(map(str, empty[:10])) + (" ..." if len(empty) > 10 else ""))
        if tc.max_targets:
            train_targets = train_targets[-tc.max_targets:]
        trainer.train_set = SparseTrainingSet(self.index, self.featurizer, train_targets,
                                              trainer.window, max_links=tc.max_links,
                                              negatives=tc.negatives, seed=tc.seed,
                                              subgraph_nodes=tc.subgraph_nodes,
                                              negative_pool=tc.negative_pool,
                                              uniform_from=tc.uniform_from,
                                              queries_by=tc.queries_by,
                                              max_horizon=mc.max_horizon)
        started = False
        if tc.regression_init and generator.decoder.pair_channels:
            feats, label = trainer.train_set.regression_rows()
            if bool(label.any()) and not bool(label.all()):
                fit = fit_regression(feats, label)
                generator.decoder.init_regression(fit)
                started = True
                log.info("pair decoder starts at a logistic regression on %d training "
                         "candidates (loss %.4g)", int(label.numel()), fit["loss"])
        trainer.generator = generator.to(trainer.device)
        trainer.recon = generator.decoder.reconstruction(tc.recon, tc)
        if tc.rank_weight > 0:
            trainer.recon = ranking_recon(trainer.recon, tc.rank_weight)
        trainer.critic = (critic if critic is not None else SparseCritic(mc)).to(trainer.device)
        trainer.selection = RankingSelection(self, initial_candidate=started)
        trainer.conditional = True          # the critic reads the candidates' features
        self._negatives: dict = {}
        self._predictor = None

    def gradient_penalty(self, critic, real: Tensor, fake: Tensor, cond) -> Tensor:
        from gcngan.nn.sparse_model import sparse_gradient_penalty

        return sparse_gradient_penalty(critic, real, fake, cond)

    def diversity(self, trainer, split: str) -> dict:
        return {}

    def predict(self, trainer, split: str):
        """No dense prediction on the sparse path (``None``; plots skip it)."""
        return None

    def negatives(self, trainer, split: str):
        """The seeded candidates of ``split`` (generated once per run)."""
        from gcngan.ranking import generate_negatives

        if split not in self._negatives:
            tc = trainer.config.train
            self._negatives[split] = generate_negatives(
                self.index, list(trainer.split[split]), q=tc.val_q, max_queries=tc.val_queries,
                seed=tc.seed)
        return self._negatives[split]

    def predictor(self, trainer):
        """The generator as a pair predictor, one per run: the inputs it builds for the
        validation pairs (window batch, pair features) are kept for the later epochs
        (within :data:`WINDOW_CACHE_BYTES`), so validation reruns only the model."""
        from gcngan.nn.sparse_model import SparsePredictor

        if self._predictor is None or self._predictor.generator is not trainer.generator:
            tc = trainer.config.train
            self._predictor = SparsePredictor(trainer.generator, samples=tc.eval_samples,
                                              seed=tc.seed, device=trainer.device,
                                              cache_bytes=WINDOW_CACHE_BYTES)
        return self._predictor

    @torch.no_grad()
    def evaluate(self, trainer, split: str, metrics=None) -> dict:
        """Ranking metrics of the generator on ``split``: ``{name: {'mean': value}}`` (MRR,
        Hits@k, AUC, AP over all queries; ``new_mrr``, ``repeated_mrr``)."""
        from gcngan.ranking import evaluate_ranking, flat_metrics

        cands = self.negatives(trainer, split)
        if not len(cands):
            raise InputError(f"the {split} targets hold no link u -> v with u != v: nothing "
                             f"to rank")
        res = evaluate_ranking({"model": self.predictor(trainer)}, self.index, cands,
                               trainer.window)
        flat = flat_metrics(res["predictors"]["model"])
        return {k: {"mean": float("nan") if v is None else float(v)} for k, v in flat.items()}

    def evaluate_baselines(self, trainer, split: str, metrics, names) -> dict:
        """No dense baselines on the sparse path (rank them with ``evaluate --protocol
        ranking``)."""
        return {}


FAMILIES = {"dense": DenseFamily, "sparse": SparseFamily}


def get_family(config) -> ModelFamily:
    """The :class:`ModelFamily` of ``config.model.family``."""
    return FAMILIES[config.model.family]()
