"""Optional TensorBoard logging (``train.tensorboard``; the ``tensorboard`` extra).

TensorBoard is not a dependency: asking for it without the package installed is a
configuration error with the install command, raised before training starts.
"""
from __future__ import annotations

from pathlib import Path

from gcngan.errors import ConfigError

INSTALL = "pip install 'gcngan[tensorboard]'"


def tensorboard_available() -> bool:
    """Whether ``torch.utils.tensorboard`` can be imported (the ``tensorboard`` package)."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return False
    return True


def require_tensorboard() -> None:
    """Raise :class:`~gcngan.errors.ConfigError` unless TensorBoard is installed."""
    if not tensorboard_available():
        raise ConfigError(f"train.tensorboard=true needs the tensorboard package ({INSTALL}), "
                          "or drop the option")


def summary_writer(log_dir: str | Path):
    """A ``torch.utils.tensorboard.SummaryWriter`` writing event files to ``log_dir``."""
    require_tensorboard()
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(log_dir))
