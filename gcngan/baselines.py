r"""Naive baselines with the generator's interface:
``predict(adj_seq, samples=1, generator=None) -> pred``.

They take the window on the model's scale (``[0, 1]``, :math:`(B, W, N, N)`) and return
:math:`(B, N, N)` on the same scale, so :mod:`gcngan.predict` rescales and refines them
exactly as it does the model's output.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from gcngan.errors import ConfigError


class Baseline:
    """A deterministic forecast of the next snapshot from its window (:meth:`forecast`),
    behind the predictor interface of :mod:`gcngan.predict`: :meth:`predict` takes the
    generator's arguments and ignores the draws. ``link_scores = False``: a baseline has no
    link score of its own, so ranking metrics rank its refined prediction."""

    link_scores = False

    def predict(self, adj_seq: Tensor, samples: int = 1, generator=None) -> Tensor:
        """:meth:`forecast` of ``adj_seq`` :math:`(B, W, N, N)` -> :math:`(B, N, N)`."""
        return self.forecast(adj_seq)

    def forecast(self, adj_seq: Tensor) -> Tensor:
        raise NotImplementedError


class CopyLast(Baseline):
    """Persistence: the next snapshot equals the last one of the window."""

    name = "copy-last"

    def forecast(self, adj_seq: Tensor) -> Tensor:
        return adj_seq[:, -1]

    def __repr__(self) -> str:
        return "CopyLast()"


class WindowMean(Baseline):
    """Entry-wise mean of the window."""

    name = "mean"

    def forecast(self, adj_seq: Tensor) -> Tensor:
        return adj_seq.mean(dim=1)

    def __repr__(self) -> str:
        return "WindowMean()"


class WindowMedian(Baseline):
    """Entry-wise median of the window; for an even window the mean of the two middle values
    (as ``numpy.median`` and the published baseline numbers; ``torch.median`` would take the
    lower one, a weaker baseline)."""

    name = "median"

    def forecast(self, adj_seq: Tensor) -> Tensor:
        W = adj_seq.shape[1]
        srt = torch.sort(adj_seq, dim=1).values                         # (B, W, N, N)
        return srt[:, (W - 1) // 2:W // 2 + 1].mean(dim=1)              # (B, N, N)

    def __repr__(self) -> str:
        return "WindowMedian()"


class EWMA(Baseline):
    r"""Exponentially weighted moving average over the window, oldest first:
    :math:`s_1 = A_1`, :math:`s_t = \alpha A_t + (1-\alpha) s_{t-1}`, prediction :math:`s_W`.

    Computed as one weighted sum: weights :math:`\alpha(1-\alpha)^{W-t}` for :math:`t \ge 2`
    and :math:`(1-\alpha)^{W-1}` for the oldest snapshot (they sum to 1).

    Args:
        alpha (float, optional): Weight of the newest snapshot. (default: ``0.5``)
    """

    name = "ewma"

    def __init__(self, alpha: float = 0.5) -> None:
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"EWMA: alpha={alpha!r} must be in (0, 1]")
        self.alpha = alpha

    def weights(self, window: int, device=None, dtype=None) -> Tensor:
        age = torch.arange(window - 1, -1, -1, device=device, dtype=dtype)  # W-1 .. 0
        w = self.alpha * (1.0 - self.alpha) ** age
        w[0] = (1.0 - self.alpha) ** (window - 1)
        return w                                                           # (W,)

    def forecast(self, adj_seq: Tensor) -> Tensor:
        w = self.weights(adj_seq.shape[1], adj_seq.device, adj_seq.dtype)
        return torch.einsum("w,bwij->bij", w, adj_seq)

    def __repr__(self) -> str:
        return f"EWMA(alpha={self.alpha})"


BASELINES: dict[str, Callable[[], object]] = {
    "copy-last": CopyLast, "mean": WindowMean, "median": WindowMedian, "ewma": EWMA,
}


def get_baseline(name: str):
    """A new baseline predictor by name; unknown names list the choices."""
    try:
        return BASELINES[name]()
    except KeyError:
        raise ConfigError(f"unknown baseline {name!r}; valid: {', '.join(BASELINES)}") from None
