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
    """Global L2 norm of the gradients of ``params`` (0 when none has a gradient)."""
    norms = [p.grad.detach().norm(2) for p in params if p.grad is not None]
    if not norms:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(norms), 2)
