"""Run-time set-up of a training run: seeding every RNG, choosing the device, and the
gradient norm the trainer logs."""
from __future__ import annotations

import random

import numpy as np
import torch
from torch import Tensor

from gcngan.errors import ConfigError


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device='cuda' but no CUDA device is available; use --device cpu")
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"train.device={name!r} is not one of auto, cpu, cuda")
    return torch.device(name)


def grad_norm(params) -> Tensor:
    """Global L2 norm of the gradients of ``params``, dense or sparse (0 when none has a
    gradient)."""
    norms = [_entries(p.grad.detach()).norm(2) for p in params if p.grad is not None]
    if not norms:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(norms), 2)


def clip_grad_norm(params, max_norm: float) -> Tensor:
    """:func:`torch.nn.utils.clip_grad_norm_` (L2, same scaling: by
    ``min(1, max_norm / (norm + 1e-6))``) for gradients that may be sparse (the row
    gradients of :func:`gcngan.train.optim.use_row_gradients`, coalesced in place and
    scaled through their values); the norm before clipping."""
    params = [p for p in params if p.grad is not None]
    if not any(p.grad.is_sparse for p in params):
        return torch.nn.utils.clip_grad_norm_(params, max_norm)
    for p in params:
        if p.grad.is_sparse:
            p.grad = p.grad.coalesce()
    total = grad_norm(params)
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for p in params:
        _entries(p.grad).mul_(coef.to(p.grad.device))
    return total


def _entries(grad: Tensor) -> Tensor:
    """The stored entries of a gradient: itself, or a coalesced sparse one's values."""
    return grad.values() if grad.is_sparse and grad.is_coalesced() else grad
