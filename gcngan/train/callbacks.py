r"""What happens around the training loop, as hooks of :meth:`Trainer.fit
<gcngan.train.Trainer.fit>`: the progress bar, ``log.csv``, TensorBoard, health warnings
and the run's plots. None of them changes training; the loop reads the same with or
without them.

A callback implements any of ``on_fit_start(trainer, total_epochs, n_batches)``,
``on_batch_end(trainer, stats)`` (``stats``: :func:`progress_stats` of the batch),
``on_epoch_end(trainer, row)`` (the epoch's ``log.csv`` row, after it joined
``trainer.history`` and the checkpoints were written) and ``on_fit_end(trainer, completed)``
(also after an interrupt or an error, with ``completed=False``); :class:`Callback` gives
empty defaults.
"""
from __future__ import annotations

import csv
import logging
import math
import sys
from pathlib import Path

from gcngan.io import atomic_path

log = logging.getLogger("gcngan.train")

LOG_COLUMNS = ("epoch", "phase", "d_loss", "g_loss", "g_adv", "g_rec", "wasserstein",
               "d_real", "d_fake", "grad_norm_g", "grad_norm_d", "diversity_noise",
               "diversity_history")


class Callback:
    """Base class: every hook does nothing."""

    def on_fit_start(self, trainer, total_epochs: int, n_batches: int) -> None:
        pass

    def on_batch_end(self, trainer, stats: dict) -> None:
        pass

    def on_epoch_end(self, trainer, row: dict) -> None:
        pass

    def on_fit_end(self, trainer, completed: bool) -> None:
        pass


def progress_stats(loss, stats: dict) -> dict:
    """Live numbers of one batch: D and G losses, and the Wasserstein estimate (WGAN,
    ``loss.wasserstein``) or mean critic logits on real / fake (BCE; 0 = undecided)."""
    out = {k: float(stats[k]) for k in ("d_loss", "g_loss") if k in stats}
    if "d_real" in stats:
        real, fake = float(stats["d_real"]), float(stats["d_fake"])
        if loss.wasserstein:
            out["W"] = real - fake
        else:
            out["D_real"], out["D_fake"] = real, fake
    return out


class ProgressBar(Callback):
    """tqdm bar over the batches of all remaining epochs with live D/G losses; off when
    stderr is not a terminal."""

    def __init__(self) -> None:
        self.bar = None
        self.post: dict = {}

    def on_fit_start(self, trainer, total_epochs: int, n_batches: int) -> None:
        if not sys.stderr.isatty():
            return
        from tqdm.auto import tqdm

        self.bar = tqdm(total=(total_epochs - trainer.epoch) * n_batches, unit="batch",
                        dynamic_ncols=True, file=sys.stderr, leave=False)

    def on_batch_end(self, trainer, stats: dict) -> None:
        if self.bar is not None:
            self.post.update({k: f"{v:.4g}" for k, v in stats.items()})
            self.bar.set_postfix(self.post, refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, trainer, row: dict) -> None:
        if self.bar is not None:
            self.post["epoch"] = row["epoch"]
            self.post["val_rmse"] = f"{row['val_rmse']:.4g}"
            self.bar.set_postfix(self.post)

    def on_fit_end(self, trainer, completed: bool) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class CsvLog(Callback):
    """Rewrites ``run_dir/log.csv`` (one row per epoch, :data:`LOG_COLUMNS` first)
    atomically after every epoch."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / "log.csv"

    def on_epoch_end(self, trainer, row: dict) -> None:
        history = trainer.history
        cols = list(LOG_COLUMNS)
        for r in history:
            cols += [k for k in r if k not in cols]
        with atomic_path(self.path) as tmp:
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                w = csv.DictWriter(fh, fieldnames=cols, restval="")
                w.writeheader()
                for r in history:
                    w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v)
                                for k, v in r.items()})


class TensorBoard(Callback):
    """Logs every epoch's numbers to ``run_dir/tensorboard`` (``train.tensorboard``)."""

    def __init__(self, run_dir: str | Path) -> None:
        from gcngan.train.tblog import require_tensorboard

        require_tensorboard()
        self.path = Path(run_dir) / "tensorboard"
        self.writer = None

    def on_epoch_end(self, trainer, row: dict) -> None:
        if self.writer is None:
            from gcngan.train.tblog import summary_writer

            self.writer = summary_writer(self.path)
        for key, value in row.items():
            if isinstance(value, (int, float)) and key != "epoch" and math.isfinite(value):
                tag = f"val/{key[4:]}" if key.startswith("val_") else f"train/{key}"
                self.writer.add_scalar(tag, value, row["epoch"])
        self.writer.flush()

    def on_fit_end(self, trainer, completed: bool) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class HealthWarnings(Callback):
    """Warns once, in plain words, when a training-health signal looks wrong (a flat
    critic, a discriminator that wins outright, mode collapse)."""

    def __init__(self) -> None:
        self.warned: set = set()

    def warn(self, key: str, msg: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            log.warning(msg)

    def on_epoch_end(self, trainer, row: dict) -> None:
        if row.get("phase") != "adversarial":
            return
        earlier = sum(1 for r in trainer.history if r.get("phase") == "adversarial") - 1
        if earlier < 3:              # the first epochs are noisy by nature
            return
        d_loss = row.get("d_loss", float("nan"))
        if trainer.loss.wasserstein and abs(d_loss) < 1e-8:
            self.warn("critic-flat", f"epoch {row['epoch']}: the critic loss is stuck at zero "
                      "— the critic gives the generator no signal (try a larger clip or "
                      "wgan-gp)")
        if not trainer.loss.wasserstein:
            if d_loss < 0.1:
                self.warn("critic-won", f"epoch {row['epoch']}: the discriminator wins "
                          f"outright (D loss {d_loss:.3g}, equilibrium 1.386); the generator "
                          "gets little gradient (try label smoothing or a lower critic lr)")
            elif abs(d_loss - 2 * math.log(2)) > 1.0:
                self.warn("bce-far", f"epoch {row['epoch']}: D loss {d_loss:.3g} is far from "
                          "the equilibrium 2 ln 2 = 1.386")
        if row.get("diversity_history", 1.0) < 0.05:
            self.warn("collapse", f"epoch {row['epoch']}: the generator's output hardly "
                      "changes with the history (diversity_history "
                      f"{row['diversity_history']:.3g}) — mode collapse; try a larger alpha")


class RunPlots(Callback):
    """At the end of :meth:`fit` writes the run's PNGs (:func:`gcngan.plots.plot_run`):
    ``losses.png`` (training health), ``metrics.png`` (validation metrics per epoch) and
    ``prediction.png`` (the best generator on the first test target, else the first
    validation target)."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.written: list = []

    def on_fit_end(self, trainer, completed: bool) -> None:
        if not completed or not trainer.history:
            return
        self.written = plot_run_of(trainer, self.run_dir)


def plot_run_of(trainer, run_dir: Path) -> list:
    """:func:`gcngan.plots.plot_run` for ``trainer``'s history and its best generator."""
    from gcngan.plots import plot_run

    split = "test" if len(trainer.split.test) else "val"
    targets = list(trainer.split[split])
    prediction = None
    if targets:
        current = None
        if trainer.best_state is not None:
            current = {k: v.detach().clone() for k, v in trainer.generator.state_dict().items()}
            trainer.generator.load_state_dict(trainer.best_state)
        try:
            prediction = trainer.predict(split)
        finally:
            if current is not None:
                trainer.generator.load_state_dict(current)
    name = Path(str(getattr(trainer.data, "source", "") or "data")).name
    return plot_run(run_dir, history=trainer.history, best_epoch=trainer.best_epoch,
                    prediction=prediction, target_index=0,
                    target_label=f"{split} snapshot {targets[0]}" if targets else None,
                    title=f"{name}: {trainer.config.train.loss}, best epoch "
                          f"{trainer.best_epoch}")


def default_callbacks(trainer, quiet: bool = False) -> list[Callback]:
    """The callbacks :class:`~gcngan.train.Trainer` installs: a progress bar (unless
    ``quiet``), health warnings, and with a run directory ``log.csv``, TensorBoard (when
    ``train.tensorboard``) and the plots. Data-parallel: rank 0's only (the others get
    none: one bar, one log, one set of plots)."""
    if trainer.config.train.tensorboard:       # refused up front, run directory or not
        from gcngan.train.tblog import require_tensorboard

        require_tensorboard()
    dist = getattr(trainer, "dist", None)
    if dist is not None and not dist.main:
        return []
    out: list[Callback] = [] if quiet else [ProgressBar()]
    out.append(HealthWarnings())
    if trainer.run_dir is not None:
        out.append(CsvLog(trainer.run_dir))
        if trainer.config.train.tensorboard:
            out.append(TensorBoard(trainer.run_dir))
        out.append(RunPlots(trainer.run_dir))
    return out
