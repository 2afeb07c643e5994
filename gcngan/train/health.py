"""Training health measured inside the loop: :func:`check_finite` stops a run on a
non-finite loss or weight (before anything is saved), :func:`diversity` measures collapse
every epoch (``diversity_noise``, ``diversity_history`` in ``log.csv``; the warnings that
read them are :class:`~gcngan.train.callbacks.HealthWarnings`)."""
from __future__ import annotations

import math

import torch

from gcngan.errors import TrainingError
from gcngan.predict import predict_targets


@torch.no_grad()
def diversity(trainer, split: str = "val") -> dict:
    """Collapse indicators of ``trainer``'s generator on ``split`` (model scale ``[0, 1]``).

    ``diversity_noise``: mean |difference| between two noise draws for the same windows
    (0 for deterministic node inputs). ``diversity_history``: spread of the predictions
    across windows (mean over entries of the std over targets) divided by the same
    spread of the true snapshots; near 0 means the output ignores the history.
    """
    targets = trainer.split[split]
    if len(targets) < 2:
        return {}
    seed = trainer.config.train.seed
    a = predict_targets(trainer.generator, trainer.adj, targets, trainer.window, seed=seed + 1)
    b = predict_targets(trainer.generator, trainer.adj, targets, trainer.window, seed=seed + 2)
    true = trainer.adj[torch.as_tensor(list(targets), device=trainer.device)]
    spread_true = float(true.std(dim=0).mean())
    return {"diversity_noise": float((a - b).abs().mean()),
            "diversity_history": float(a.std(dim=0).mean()) / max(spread_true, 1e-12)}


def check_finite(trainer, epoch: int, stats: dict) -> None:
    """Stop on a non-finite loss or weight, before anything is saved.

    Raises:
        TrainingError: naming the epoch (1-based), the generator step, what went
            non-finite, and a learning rate ten times lower to try.
    """
    loss_now = float(stats.get("d_loss", 0.0)) + float(stats.get("g_loss", 0.0))
    what = None
    if not math.isfinite(loss_now):
        what = (f"non-finite loss (d_loss={float(stats.get('d_loss', float('nan')))}, "
                f"g_loss={float(stats.get('g_loss', float('nan')))})")
    else:
        for name, module in (("generator", trainer.generator), ("critic", trainer.critic)):
            finite = [torch.isfinite(p).all() for p in module.parameters()]
            if finite and not bool(torch.stack(finite).all()):
                bad = next(k for k, p in module.named_parameters()
                           if not bool(torch.isfinite(p).all()))
                what = f"non-finite weights in the {name} ({bad})"
                break
    if what is not None:
        lr = trainer.lr
        raise TrainingError(f"{what} at epoch {epoch + 1}, step {trainer.step}; training "
                            f"stopped and the last good checkpoint is kept; try a lower "
                            f"learning rate, e.g. --set lr={lr / 10:.3g}")
