"""Refit: the model of the data's future, trained on all of it (``train.refit``).

Training holds the last targets out — validation to choose the epoch, test to report on —
so the weights never learn from the most recent snapshots, where a growing network's new
nodes make their first links. With ``train.refit`` the run trains the model once more, from
the same start (same seed), on every target of the data, validation and test included, for
the number of epochs validation chose (none: the untrained start, e.g. the decoder's
starting regression fitted on the latest targets), and keeps it apart as :data:`REFIT_NAME`:

* ``best.pt`` stays the model that every reported number is of (``train``'s validation and
  test metrics, ``evaluate``, ``predict --split``): the refit model has seen those targets;
* ``refit.pt`` is the model of the data's future: ``score`` reads it for the pairs past the
  data (``t >= T``) and ``predict --steps`` for its forecast
  (:func:`future_model_path`).

Nothing about it is chosen on the test targets: the epoch count is validation's, the rest
is the run's config.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from gcngan.structural import PairPredictor

#: The refit model's checkpoint in a run directory.
REFIT_NAME = "refit.pt"


def refit_config(config):
    """``config`` with every target a training target (``data.val = data.test = 0``) and
    ``train.refit`` set: a family that cannot be refitted refuses it (the dense one)."""
    from gcngan.config import merge_dict

    return merge_dict(config, {"data": {"val": 0, "test": 0}, "train": {"refit": True}})


def refit_trainer(config, data, run_dir: Optional[str | Path] = None):
    """A fresh :class:`~gcngan.train.Trainer` of ``config`` on every target of ``data``
    (:func:`refit_config`), quiet and without callbacks (no log, no plots, no checkpoints
    but :func:`run_refit`'s)."""
    from gcngan.train.trainer import Trainer

    return Trainer(refit_config(config), data, run_dir=run_dir, quiet=True, callbacks=[])


def run_refit(trainer, epochs: int) -> Optional[Path]:
    """Train ``trainer`` (from :func:`refit_trainer`) for ``epochs`` epochs and save its
    generator as :data:`REFIT_NAME` in its run directory (returned; ``None`` without one).

    Raises:
        TrainingInterrupted: a stop was requested (nothing is saved).
    """
    for epoch in range(int(epochs)):
        trainer.train_epoch(epoch)
    trainer.epoch = int(epochs)
    return trainer.save(REFIT_NAME, optimizers=False)


def future_model_path(run: str | Path) -> Optional[Path]:
    """``RUN_DIR/refit.pt`` when ``run`` is a run directory that holds one, else ``None``
    (a checkpoint file given by name is used as it is, for every row)."""
    run = Path(run)
    path = run / REFIT_NAME
    return path if run.is_dir() and path.is_file() else None


class FutureRouted(PairPredictor):
    """A :class:`~gcngan.structural.PairPredictor` that scores each target with ``past`` (the selected model,
    ``best.pt``: it never trained on the data's validation and test targets) when it lies
    inside the data (``t < first_future``, the data's ``T``) and with ``future`` (the refit
    model) past it: ``gcngan score`` of a run that holds ``refit.pt``.

    Args:
        past, future: Pair predictors of the same run (same ``max_horizon``).
        first_future (int): The first target ``future`` scores (the data's ``T``).
    """

    def __init__(self, past, future, first_future: int) -> None:
        self.past, self.future = past, future
        self.first_future = int(first_future)
        self.name = past.name
        self.max_horizon = past.max_horizon

    def _of(self, t: int):
        return self.future if int(t) >= self.first_future else self.past

    def prepare(self, seq, targets, window: int) -> None:
        for model in (self.past, self.future):
            mine = [t for t in targets if self._of(t) is model]
            if mine:
                model.prepare(seq, mine, window)

    def score_pairs(self, seq, t: int, src, dst, window: int, horizon: int = 0):
        return self._of(t).score_pairs(seq, t, src, dst, window, horizon=horizon)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(past={self.past!r}, future={self.future!r}, "
                f"first_future={self.first_future})")
