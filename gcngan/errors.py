"""Exceptions the command line turns into a one-line message and exit status 2.

Library code raises these where a problem is detected; :func:`gcngan.cli.main`
catches :class:`GcnganError` once and prints ``gcngan: error: <message>``.
"""
from __future__ import annotations


class GcnganError(Exception):
    """Base class of every user-facing error (bad input, bad config, bad file)."""

    exit_code = 2


class InputError(GcnganError, ValueError):
    """Malformed data file or option value; the message names the file, line or value."""


class ConfigError(GcnganError, ValueError):
    """Unknown or invalid configuration key or value.

    Errors about one field also carry ``key`` (``"section.name"``), ``value`` and
    ``problem`` (e.g. ``"must be > 0"``), so the command line can name the flag the user
    typed instead of the config field (:func:`field_error`).
    """

    def __init__(self, message: str, key: str | None = None, value=None,
                 problem: str | None = None) -> None:
        super().__init__(message)
        self.key, self.value, self.problem = key, value, problem


def field_error(section: str, name: str, value, problem: str) -> ConfigError:
    """``ConfigError("section.name=value problem")`` with its parts attached."""
    return ConfigError(f"{section}.{name}={value!r} {problem}", key=f"{section}.{name}",
                       value=value, problem=problem)


class CheckpointError(GcnganError):
    """A checkpoint that is missing, corrupt, unsafe or made for other data."""


class TrainingError(GcnganError):
    """Training cannot go on (NaN/inf in a loss or the weights); the message names the
    epoch and step and what to try."""


class ResourceError(GcnganError):
    """Not enough memory for the requested run (estimated up front, or a CUDA
    out-of-memory error); the message says what size or batch size would fit."""
