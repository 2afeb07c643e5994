r"""The training loop — the only one: critic step, generator step, epochs, validation.

Read top to bottom: :class:`Trainer` — construction (data on the device, models,
optimisers), the two steps, one epoch, :meth:`Trainer.evaluate`, :meth:`Trainer.fit`, and
state for checkpoints (kept in :mod:`gcngan.train.checkpoint`).
Around the loop, hooks (:mod:`gcngan.train.callbacks`) draw the progress bar, write
``log.csv``, TensorBoard and plots; a decoder with its own model selection (the residual
decoder's hedge, :class:`~gcngan.nn.residual.HedgeSelection`) brings it through the decoder
contract (:meth:`~gcngan.nn.decoders.Decoder.selection`).

Algorithm per batch of ``B`` windows (WGAN, Arjovsky et al. 2017; GCN-GAN reference code):

1. ``fake = G(adj_seq)`` (with gradient only when this batch also trains ``G``);
2. critic step on ``(target, fake.detach())``; clip critic weights right after the
   optimiser step (``wgan-clip``) or add the gradient penalty (``wgan-gp``);
3. every ``n_critic``-th critic step, a generator step: the *updated* critic scores the
   same ``fake``; loss = ``adv_weight`` x adversarial + ``alpha`` x ``||fake - target||_F^2``.

Reusing the step-1 ``fake`` in step 3 is exact: ``G`` has not changed in between.

Determinism: one :func:`~gcngan.train.runtime.seed_everything`; the batch order of epoch
``e`` comes from its own generator seeded with ``(seed, e)``; training noise, dropout and
the GP use the global RNG, whose state is saved in every checkpoint; evaluation noise comes
from a generator re-seeded per evaluation, so validating never perturbs training. A run
interrupted at a batch boundary (:attr:`Trainer.stop_requested`) and resumed from its
checkpoint continues bit for bit on CPU.

Data-parallel (``torchrun``, :mod:`gcngan.train.distributed`): with ``k`` processes each
global batch holds ``batch_size x k`` windows and every process trains on its slice; the
gradients are averaged over processes after each ``backward`` (:meth:`Trainer._sync`),
so the weights stay identical; every process validates (the same numbers), rank 0 alone
writes files. With one process none of this runs.
"""
from __future__ import annotations

import logging
import math
import signal
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch
from torch import Tensor, nn

from gcngan.config import ExperimentConfig
from gcngan.data.windows import split_of
from gcngan.errors import InputError
from gcngan.train.callbacks import Callback, default_callbacks, progress_stats
from gcngan.train.optim import LazyRowAdam, embedding_groups, use_row_gradients
from gcngan.train import distributed
from gcngan.train.checkpoint import (get_rng_state, load_trainer_state, save_checkpoint,
                                     set_rng_state, trainer_state)
from gcngan.train.family import get_family
from gcngan.train.health import check_finite
from gcngan.train.losses import get_loss
from gcngan.train.runtime import clip_grad_norm, grad_norm, resolve_device, seed_everything

log = logging.getLogger("gcngan.train")

MONITOR = "val_rmse"        # early stopping / best checkpoint on validation RMSE (raw scale)
#                             (a decoder's selection hook may monitor its own score)
BASELINES = ("copy-last", "mean", "median", "ewma")   # reported beside the model


class TrainingInterrupted(Exception):
    """Raised by :meth:`Trainer.fit` after it stopped at a safe point and saved ``last.pt``."""


class Trainer:
    r"""Trains a generator and a critic on a :class:`~gcngan.data.SnapshotSequence`.

    Args:
        config (ExperimentConfig): Data (window, splits), model and training settings.
        data (SnapshotSequence): The dynamic network; the model sees ``data.scaled()``.
        run_dir (str | Path, optional): Where ``best.pt``, ``last.pt``, ``log.csv`` and
            ``losses.png`` go; ``None`` keeps everything in memory.
        node_features (Tensor, optional): :math:`(N, F)` for ``model.node_input='features'``.
        quiet (bool, optional): No progress bar. (default: ``False``; the bar is also off
            when stderr is not a terminal)
        callbacks (list, optional): Hooks of :meth:`fit` (:mod:`gcngan.train.callbacks`);
            ``None`` installs :func:`~gcngan.train.callbacks.default_callbacks`.
        generator (nn.Module, optional): Use this generator instead of building one from
            ``config.model`` (same interface as :class:`~gcngan.nn.Generator`; e.g. the
            deliberately broken ones of ``gcngan check`` tests).
        critic (nn.Module, optional): Likewise for the critic.
    """

    def __init__(self, config: ExperimentConfig, data, run_dir: Optional[str | Path] = None,
                 node_features: Optional[Tensor] = None, quiet: bool = False,
                 generator: Optional[nn.Module] = None,
                 critic: Optional[nn.Module] = None,
                 callbacks: Optional[list[Callback]] = None) -> None:
        self.config = config
        tc, dc = config.train, config.data
        seed_everything(tc.seed)
        self.device = resolve_device(tc.device)
        self.data = data
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.quiet = quiet
        self.window = dc.window
        self.split = split_of(data, dc)
        # the model family builds what is model-shaped: windows, generator, critic,
        # reconstruction, selection (gcngan.train.family; dense = the N x N models)
        self.family = get_family(config)
        self.loss = get_loss(tc.loss)
        self.family.setup(self, node_features, generator, critic)
        self.dist = distributed.context()      # rank / world size (1 without torchrun)
        self.comm_seconds = 0.0                # time in gradient all-reduces (k > 1)
        self._shard = (1, 1)                   # (this process's windows, global batch's)
        if self.dist.active:
            distributed.check_shardable(len(self.train_set), self.dist.world_size)
            distributed.broadcast_module(self.generator)       # identical start, bit for bit
            distributed.broadcast_module(self.critic)
            if not self.dist.main:             # own noise/dropout/GP draws per process
                seed_everything(distributed.rank_seed(tc.seed, self.dist.rank))
        log.info("%s", self.family.describe(self))
        self.monitor = self.selection.monitor if self.selection is not None else MONITOR
        self.lr = tc.lr if tc.lr is not None else self.loss.lr      # None: the loss's default
        self.opt_g = self._optimizer(self.generator, self.lr)
        self.opt_d = self._optimizer(self.critic, tc.critic_lr or self.lr)
        # progress
        self.epoch = 0                 # completed epochs (pre-training included)
        self.step = 0                  # generator steps
        self.critic_steps = 0
        self.best_metric: Optional[float] = None
        self.best_epoch: Optional[int] = None
        self.bad_epochs = 0
        self.metrics: dict = {}
        self.history: list[dict] = []
        self.partial: Optional[dict] = None     # state of an epoch stopped half-way
        self.stop_requested = False             # set (e.g. by a signal handler) to stop safely
        self.stop_signal: Optional[int] = None  # which signal asked (set by the CLI)
        self.best_state: Optional[dict] = None  # in-memory copy of the best generator weights
        self.callbacks = default_callbacks(self, quiet) if callbacks is None else callbacks

    def _optimizer(self, module: nn.Module, lr: float) -> torch.optim.Optimizer:
        wd = self.config.train.weight_decay
        if self.loss.optimizer == "rmsprop":
            return torch.optim.RMSprop(module.parameters(), lr=lr, weight_decay=wd)
        if self.config.train.lazy_embeddings:        # embedding rows: lazy Adam steps
            use_row_gradients(module)                # on sparse row gradients
            return LazyRowAdam(embedding_groups(module), lr=lr, betas=self.loss.adam_betas,
                               weight_decay=wd)
        return torch.optim.Adam(module.parameters(), lr=lr, betas=self.loss.adam_betas,
                                weight_decay=wd)

    # ----- the two steps --------------------------------------------------------------------
    def critic_step(self, adj_seq: Tensor, target: Tensor, fake: Tensor) -> dict:
        """One critic update on real ``target`` vs ``fake.detach()``; clips after the step."""
        tc, spec = self.config.train, self.loss
        cond = adj_seq if self.conditional else None
        self.opt_d.zero_grad(set_to_none=True)
        real_score = self.critic(target, cond)                                   # (B,)
        fake_score = self.critic(fake.detach(), cond)                            # (B,)
        if spec.label_smoothing:
            loss = spec.critic(real_score, fake_score, label_smoothing=tc.label_smoothing)
        else:
            loss = spec.critic(real_score, fake_score)
        if spec.gradient_penalty:
            loss = loss + tc.gp_weight * self.family.gradient_penalty(self.critic, target,
                                                                      fake, cond)
        loss.backward()
        self._sync(self.critic)
        gnorm = grad_norm(self.critic.parameters())
        self.opt_d.step()
        if spec.clip:
            with torch.no_grad():
                for p in self.critic.parameters():
                    p.clamp_(-tc.clip, tc.clip)
        self.critic_steps += 1
        return {"d_loss": loss.detach(), "d_real": real_score.detach().mean(),
                "d_fake": fake_score.detach().mean(), "grad_norm_d": gnorm}

    def generator_step(self, adj_seq: Tensor, target: Tensor, fake: Tensor,
                       parts: Optional[dict] = None) -> dict:
        """One generator update: adversarial term from the (updated) critic + reconstruction
        (``train.recon``, on the decoder's ``parts`` when given, else on ``fake``)."""
        tc = self.config.train
        cond = adj_seq if self.conditional else None
        self.opt_g.zero_grad(set_to_none=True)
        if tc.adv_weight > 0:
            self.critic.requires_grad_(False)
            try:
                adv = self.loss.generator(self.critic(fake, cond))
            finally:
                self.critic.requires_grad_(True)
        else:
            adv = fake.new_zeros(())
        rec = self.recon(parts if parts is not None else {"pred": fake}, target)
        loss = tc.adv_weight * adv + tc.alpha * rec
        loss.backward()
        self._sync(self.generator)
        gnorm = self._clip_generator()
        self.opt_g.step()
        self.step += 1
        return {"g_loss": loss.detach(), "g_adv": adv.detach(), "g_rec": rec.detach(),
                "grad_norm_g": gnorm}

    def pretrain_step(self, adj_seq: Tensor, target: Tensor) -> dict:
        """Reconstruction-only generator update (optional pre-training)."""
        self.opt_g.zero_grad(set_to_none=True)
        rec = self.recon(self.generator.forward_parts(adj_seq), target)
        rec.backward()
        self._sync(self.generator)
        gnorm = self._clip_generator()
        self.opt_g.step()
        self.step += 1
        return {"g_loss": rec.detach(), "g_rec": rec.detach(), "grad_norm_g": gnorm}

    def _sync(self, module: nn.Module) -> None:
        """Data-parallel: every process's gradients become the window-weighted mean over
        processes (:func:`~gcngan.train.distributed.sync_gradients`), before clipping and
        the optimiser step; nothing with one process."""
        if self.dist.active:
            self.comm_seconds += distributed.sync_gradients(module.parameters(), *self._shard)

    def _clip_generator(self) -> Tensor:
        """Gradient norm of the generator (before clipping to ``train.grad_clip`` when > 0)."""
        clip = self.config.train.grad_clip
        if clip > 0:
            return clip_grad_norm(self.generator.parameters(), clip).detach()
        return grad_norm(self.generator.parameters())

    def train_batch(self, adj_seq: Tensor, target: Tensor, pretrain: bool = False) -> dict:
        """One training step on a batch: critic step, then (every ``n_critic``-th time) a
        generator step; MSE only when ``pretrain`` or ``adv_weight == 0`` (no critic then,
        since it could not influence the generator)."""
        if pretrain:
            return self.pretrain_step(adj_seq, target)
        if self.config.train.adv_weight == 0:
            parts = self.generator.forward_parts(adj_seq)
            return self.generator_step(adj_seq, target, parts["pred"], parts)
        train_g = (self.critic_steps + 1) % self.config.train.n_critic == 0
        with torch.set_grad_enabled(train_g):
            parts = self.generator.forward_parts(adj_seq)
            fake = parts["pred"]                                         # (B, N, N)
        stats = self.critic_step(adj_seq, target, fake)
        if train_g:
            stats.update(self.generator_step(adj_seq, target, fake, parts))
        return stats

    # ----- one epoch ------------------------------------------------------------------------
    def batches(self, epoch: int) -> list[Tensor]:
        """Shuffled index batches of epoch ``epoch`` (depends only on the seed and ``epoch``);
        with ``train.windows_per_epoch = K`` only the first ``K`` windows of the shuffle;
        with ``k`` processes the global batches of ``batch_size x k`` windows
        (:func:`~gcngan.train.distributed.global_batches`)."""
        g = torch.Generator().manual_seed(self.config.train.seed * 1_000_003 + epoch)
        perm = torch.randperm(len(self.train_set), generator=g)
        if self.config.train.windows_per_epoch:
            perm = perm[:self.config.train.windows_per_epoch]
        if self.dist.active:
            return distributed.global_batches(perm, self.config.train.batch_size,
                                              self.dist.world_size)
        return list(perm.split(self.config.train.batch_size))

    def train_epoch(self, epoch: int, progress: Optional[Callable[[dict], None]] = None) -> dict:
        """Run (or finish) epoch ``epoch``; returns the mean of each statistic. ``progress``
        receives each batch's :func:`~gcngan.train.callbacks.progress_stats`.

        Raises:
            TrainingInterrupted: when :attr:`stop_requested` was set; the partial epoch is
                kept in :attr:`partial` (and saved to ``last.pt``) so it can be resumed.
            TrainingError: on a non-finite loss.
        """
        pretrain = epoch < self.config.train.pretrain_epochs
        self.generator.train()
        self.critic.train()
        start, sums, count, seconds = 0, {}, {}, 0.0
        if self.partial is not None and self.partial["epoch"] == epoch:
            start = self.partial["batch"]
            sums = {k: torch.tensor(v) for k, v in self.partial["sums"].items()}
            count = dict(self.partial["count"])
            seconds = self.partial["seconds"]
        self.partial = None
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        batches = self.batches(epoch)
        t0 = time.perf_counter()
        for b in range(start, len(batches)):
            idx = batches[b]
            if self.dist.active:               # this process's slice of the global batch
                self._shard = (len(idx) // self.dist.world_size
                               + (self.dist.rank < len(idx) % self.dist.world_size), len(idx))
                idx = distributed.shard(idx, self.dist.rank, self.dist.world_size)
            adj_seq, target = self.train_set.batch(idx)              # (B, W, N, N), (B, N, N)
            stats = self.train_batch(adj_seq, target, pretrain=pretrain)
            stop = self.stop_requested
            if self.dist.active:               # the global batch's numbers; the agreed stop
                stats, agreed = distributed.reduce_stats(stats, *self._shard,
                                                         self._stop_flag())
                stop = self._agreed_stop(agreed)   # (a signal arriving now waits a batch)
            for k, v in stats.items():
                sums[k] = sums.get(k, 0.0) + v.detach().float().cpu()
                count[k] = count.get(k, 0) + 1
            check_finite(self, epoch, stats)
            if progress is not None:
                progress(progress_stats(self.loss, stats))
            if stop and b + 1 < len(batches):
                self.partial = {"epoch": epoch, "batch": b + 1,
                                "sums": {k: float(v) for k, v in sums.items()},
                                "count": count,
                                "seconds": seconds + time.perf_counter() - t0}
                raise TrainingInterrupted(f"stopped in epoch {epoch + 1} after batch {b + 1}")
        seconds += time.perf_counter() - t0
        out = {k: float(sums[k]) / count[k] for k in sums}
        if "d_real" in out and self.loss.wasserstein:
            out["wasserstein"] = out["d_real"] - out["d_fake"]
        out["train_seconds"] = seconds
        trained = sum(len(b) for b in batches)                   # the epoch's windows
        out["windows_per_s"] = trained / seconds if seconds > 0 else float("nan")
        if self.dist.active:
            out["allreduce_seconds"] = self.comm_seconds
            self.comm_seconds = 0.0
        if self.device.type == "cuda":
            out["peak_cuda_mb"] = torch.cuda.max_memory_allocated(self.device) / 2**20
        out["phase"] = "pretrain" if pretrain else "adversarial"
        return out

    # ----- evaluation -----------------------------------------------------------------------
    @torch.no_grad()
    def predict(self, split: str):
        """Refined raw-scale predictions and true snapshots for every target of ``split``
        (dense family; ``None`` for a family without a dense prediction)."""
        return self.family.predict(self, split)

    @torch.no_grad()
    def evaluate(self, split: str = "val", metrics=None) -> dict:
        """Metrics of the generator on ``split`` (dense: mean/std over target snapshots, raw
        scale, AUC/AP on its link scores; sparse: ranking metrics against seeded
        negatives)."""
        return self.family.evaluate(self, split, metrics)

    @torch.no_grad()
    def evaluate_baselines(self, split: str = "val", metrics=None,
                           names: Sequence[str] = BASELINES) -> dict:
        """``{baseline: evaluate-style result}`` of the naive baselines on ``split``, through
        the generator's prediction path (the numbers to report beside :meth:`evaluate`)."""
        return self.family.evaluate_baselines(self, split, metrics, names)

    def validate(self) -> tuple[dict, dict]:
        """Validation after an epoch: ``(selection facts, metrics)``. The decoder's
        selection hook (e.g. the residual hedge: sets its ``delta``, metrics at it), else
        plain :meth:`evaluate` on ``val``."""
        if self.selection is not None:
            return self.selection.validate(self, "val")
        return {}, self.evaluate("val")

    # ----- fit --------------------------------------------------------------------------------
    def fit(self, epochs: Optional[int] = None) -> dict:
        """Train up to ``epochs`` adversarial epochs (default ``config.train.epochs``) after
        ``pretrain_epochs`` MSE epochs, validating every epoch; keeps the best generator
        (lowest :attr:`monitor`: validation RMSE, or the decoder's selection score), stops
        early after ``patience`` epochs without improvement.

        Returns:
            dict: ``best_metric``, ``best_epoch``, ``epochs`` run, ``stopped_early``,
            ``history`` (one dict per epoch, the rows of ``log.csv``).

        Raises:
            TrainingInterrupted: :attr:`stop_requested` was set; ``last.pt`` holds the state.
            TrainingError: non-finite loss.
        """
        self.require_validation()
        tc = self.config.train
        total = tc.pretrain_epochs + (tc.epochs if epochs is None else epochs)
        for cb in self.callbacks:
            cb.on_fit_start(self, total, len(self.batches(0)))
        if (self.selection is not None and self.selection.initial_candidate
                and self.epoch == 0 and self.best_state is None):
            # the untrained decoder (the window-median rule) is a candidate like any epoch
            init = self.selection.validate(self, "val")[0]
            if math.isfinite(init.get(self.monitor, float("nan"))):
                self.best_metric, self.best_epoch = init[self.monitor], 0
                self.best_state = self._generator_copy()
                self.save("best.pt", optimizers=False)
                others = ", ".join(f"{k} {v:.4g}" for k, v in init.items()
                                   if k != self.monitor and isinstance(v, (int, float)))
                log.info("init (untrained decoder): %s %.4g%s", self.monitor,
                         init[self.monitor], f" ({others})" if others else "")
        completed = False
        try:
            while self.epoch < total and self.bad_epochs < tc.patience:
                self._fit_epoch(total)
            completed = True
        finally:
            for cb in self.callbacks:
                cb.on_fit_end(self, completed)
        if self.best_metric is None and self.history:
            log.warning("no epoch had a finite %s on validation: the last epoch's weights are "
                        "kept and no best.pt is written", self.monitor)
        return {"best_metric": self.best_metric, "best_epoch": self.best_epoch,
                "epochs": self.epoch, "stopped_early": self.epoch < total,
                "history": self.history}

    def _fit_epoch(self, total: int) -> None:
        """One epoch of :meth:`fit`: train, validate, keep the best, save, call the hooks."""
        epoch = self.epoch
        try:
            row = self.train_epoch(epoch, progress=self._on_batch)
        except TrainingInterrupted:
            self.save("last.pt")
            raise
        except KeyboardInterrupt:
            # not at a safe point: last.pt keeps the last completed epoch
            log.warning("interrupted in epoch %d; last.pt holds epoch %d", epoch + 1, self.epoch)
            raise
        self.epoch = epoch + 1
        row = {"epoch": self.epoch, **row}
        t_val = time.perf_counter()
        chosen, val = self.validate()
        row.update(chosen)
        row.update({f"val_{k}": v["mean"] for k, v in val.items()})
        row.update(self.family.diversity(self, "val"))
        row["val_seconds"] = time.perf_counter() - t_val
        self.metrics = {k: v["mean"] for k, v in val.items()}
        self.history.append(row)
        improved = self._improved(row[self.monitor])
        if improved:
            self.best_metric, self.best_epoch, self.bad_epochs = \
                row[self.monitor], self.epoch, 0
            self.save("best.pt", optimizers=False)
            self.best_state = self._generator_copy()
        else:
            self.bad_epochs += 1
        self.save("last.pt")
        for cb in self.callbacks:
            cb.on_epoch_end(self, row)
        log.info("epoch %d: d_loss %.4g g_loss %.4g %s %.4g%s", self.epoch,
                 row.get("d_loss", float("nan")), row.get("g_loss", float("nan")),
                 self.monitor, row[self.monitor], " *" if improved else "")
        stop = self.stop_requested
        if self.dist.active:                   # a signal may have come during validation
            stop = self._agreed_stop(distributed.agree_stop(self._stop_flag()))
        if stop and self.epoch < total:
            raise TrainingInterrupted(f"stopped after epoch {self.epoch}")

    def _stop_flag(self) -> Optional[int]:
        """This process's stop request: ``None``, its signal, or 0 (asked without one)."""
        if self.stop_signal is not None:
            return self.stop_signal
        return 0 if self.stop_requested else None

    def _agreed_stop(self, stop: Optional[int]) -> bool:
        """Take the stop request the processes agreed on (any process's signal stops all);
        ``True`` to stop here. Only the agreed value decides: a signal handled on one
        process after the all-reduce counts at the next agreement, on every process."""
        if stop is not None:
            self.stop_requested = True
            if self.stop_signal is None or stop == signal.SIGTERM:
                self.stop_signal = stop
        return stop is not None

    def _on_batch(self, stats: dict) -> None:
        for cb in self.callbacks:
            cb.on_batch_end(self, stats)

    def _generator_copy(self) -> dict:
        return {k: v.detach().clone() for k, v in self.generator.state_dict().items()}

    def require_validation(self) -> None:
        """:meth:`fit` selects the model and stops early on the validation targets.

        Raises:
            InputError: the split has none (``--val 0``).
        """
        if not len(self.split.val):
            raise InputError("--val 0: training selects the model and stops early on the "
                             "validation targets; give at least one (--val 1 or more)")

    def _improved(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        return self.best_metric is None or value < self.best_metric    # lower is better

    # ----- state, files --------------------------------------------------------------------
    def state_dict(self, optimizers: bool = True) -> dict:
        """Everything a checkpoint holds (:func:`~gcngan.train.checkpoint.trainer_state`);
        with ``k`` processes also ``world_size`` and every process's RNG state
        (``rng_ranks``; collective: every process must call it)."""
        state = trainer_state(self, optimizers)
        if self.dist.active:
            state["world_size"] = self.dist.world_size
            state["rng_ranks"] = distributed.all_gather(get_rng_state())
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict` (models, optimisers, progress, RNG) to continue;
        each process takes its own RNG state when the world size is the one saved.

        Raises:
            InputError: a checkpoint saved in the middle of an epoch with another number of
                processes (its batches were cut for that number).
        """
        saved = int(state.get("world_size", 1))
        if state.get("partial_epoch") is not None and saved != self.dist.world_size:
            raise InputError(f"--resume: last.pt was saved in the middle of an epoch by "
                             f"{saved} process(es); resume it with {saved} (this run has "
                             f"{self.dist.world_size})")
        load_trainer_state(self, state)
        if self.dist.active and not self.dist.main:
            ranks = state.get("rng_ranks") or []
            if len(ranks) == self.dist.world_size:
                set_rng_state(ranks[self.dist.rank])
            else:                              # other world size: a fresh stream per process
                seed_everything(distributed.rank_seed(self.config.train.seed, self.dist.rank,
                                                      self.epoch))

    def save(self, name: str, optimizers: bool = True) -> Optional[Path]:
        """Write the checkpoint ``run_dir/name`` atomically (no-op without a run directory;
        with ``k`` processes rank 0 writes, after every process gave its RNG state)."""
        if self.run_dir is None:
            return None
        state = self.state_dict(optimizers=optimizers)
        if not self.dist.main:
            return None
        path = self.run_dir / name
        save_checkpoint(path, state)
        return path
