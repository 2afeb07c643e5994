"""Sliding windows over snapshots and the chronological split by target index.

Sample ``i`` of a :class:`WindowDataset` is ``(adj_seq, target)`` where ``target`` is
snapshot ``t = targets[i]`` and ``adj_seq`` the ``W`` snapshots ``t-W .. t-1``. Windows of
validation/test targets may look back into earlier splits (the history is known at
prediction time); targets themselves never overlap between splits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch.utils.data import Dataset

from gcngan.errors import InputError


@dataclass(frozen=True)
class Split:
    """Target snapshot indices of each split (``range`` objects, chronological)."""

    train: range
    val: range
    test: range

    def __getitem__(self, name: str) -> range:
        if name not in ("train", "val", "test"):
            raise InputError(f"unknown split {name!r}; valid: train, val, test")
        return getattr(self, name)


#: Validation and test targets when none are given: at most these many, and at most
#: :data:`SPLIT_SHARE` of the targets each (so a short stream keeps most targets for training,
#: at least half; from 200 targets on, 10 and 50 exactly).
DEFAULT_VAL, DEFAULT_TEST, SPLIT_SHARE = 10, 50, 0.25


def default_split_sizes(num_targets: int) -> tuple[int, int]:
    """``(val, test)`` for ``num_targets`` targets when the user gives neither: 10 and 50,
    each capped at 25% of the targets (at least 1).

    Examples:
        >>> default_split_sizes(435), default_split_sizes(87), default_split_sizes(16)
        ((10, 50), (10, 21), (4, 4))
    """
    cap = max(1, int(SPLIT_SHARE * num_targets))
    return min(DEFAULT_VAL, cap), min(DEFAULT_TEST, cap)


def chronological_split(num_snapshots: int, window: int, val: Optional[int] = None,
                        test: Optional[int] = None) -> Split:
    """Split the targets ``window .. T-1``: the last ``test`` for test, ``val`` before for
    validation (``None``: :func:`default_split_sizes`).

    Raises:
        InputError: when the window does not fit or no training target is left.

    Examples:
        >>> s = chronological_split(445, 10, val=10, test=50)
        >>> (s.train.start, s.val.start, s.test.start, s.test.stop)
        (10, 385, 395, 445)
    """
    if window < 1:
        raise InputError(f"window {window} must be >= 1")
    if window >= num_snapshots:
        raise InputError(f"window {window} is longer than the data: {num_snapshots} snapshots "
                         f"leave no target (need window < snapshots)")
    n_targets = num_snapshots - window
    auto_val, auto_test = default_split_sizes(n_targets)
    val = auto_val if val is None else val
    test = auto_test if test is None else test
    if val < 0 or test < 0 or val + test >= n_targets:
        raise InputError(f"--val {val} + --test {test} targets leave no training target: "
                         f"{num_snapshots} snapshots with window {window} give {n_targets} targets")
    test_start = num_snapshots - test
    val_start = test_start - val
    return Split(train=range(window, val_start), val=range(val_start, test_start),
                 test=range(test_start, num_snapshots))


def split_of(seq, config) -> Split:
    """The chronological split of ``seq``'s targets under ``config``'s ``window``, ``val``
    and ``test``: the one place a sequence and a :class:`~gcngan.config.DataConfig` become
    a :class:`Split` (trainer, checks, prediction, ``data inspect``, the benchmark).

    Args:
        seq (SnapshotSequence): Anything with ``num_snapshots``.
        config (DataConfig): ``window``, ``val``, ``test``.

    Raises:
        InputError: as :func:`chronological_split`.
    """
    return chronological_split(seq.num_snapshots, config.window, config.val, config.test)


#: Fewer training targets than this draw a warning from ``gcngan train`` (sparse family).
FEW_TRAINING_TARGETS = 5


def few_training_targets(split: Split, window: int,
                         minimum: int = FEW_TRAINING_TARGETS) -> str | None:
    """A warning when ``split`` leaves fewer than ``minimum`` training targets (e.g.
    ``enron184``: 26 snapshots, ``--window 10 --val 10 --test 5`` leave 1), naming the
    flags that give more; ``None`` otherwise.

    Examples:
        >>> few_training_targets(chronological_split(26, 10, val=10, test=5), 10)[:42]
        'only 1 training target (snapshot 10): the '
        >>> few_training_targets(chronological_split(445, 10), 10) is None
        True
    """
    n = len(split.train)
    if n >= minimum:
        return None
    where = (f"snapshot {split.train.start}" if n == 1 else
             f"snapshots {split.train.start}..{split.train.stop - 1}")
    return (f"only {n} training target{'s' if n != 1 else ''} ({where}): the model learns "
            f"from {n} window{'s' if n != 1 else ''}; for more, lower --val "
            f"{len(split.val)} or --test {len(split.test)}, or use a shorter --window "
            f"{window}")


def check_validation_targets(adj, split: Split, source: str = "") -> None:
    """Refuse a validation split whose target snapshots hold no link at all: every model and
    baseline scores zero error there, so nothing could be selected on it.

    Args:
        adj (Tensor | ndarray | SnapshotSequence): :math:`(T, N, N)` snapshots, or (sparse
            data) the number of non-zero entries of each snapshot, shape :math:`(T,)`
            (:meth:`SnapshotSequence.link_counts`), or the sequence itself (its counts are
            used: nothing of size :math:`N^2`).
        split (Split): the chronological split of ``adj``'s targets.
        source (str, optional): what the message starts with (e.g. the data's path).

    Raises:
        InputError: naming the empty stretch of snapshots around the validation targets.

    Examples:
        >>> adj = torch.ones(30, 3, 3); adj[15:22] = 0
        >>> check_validation_targets(adj, chronological_split(30, 5, val=5, test=10))
        Traceback (most recent call last):
        ...
        gcngan.errors.InputError: the validation targets (snapshots 15..19) are all empty (snapshots 15..21 hold no link), so no model can be selected on them; choose --val/--test so that validation falls outside the empty stretch
    """
    val = split.val
    if hasattr(adj, "link_counts"):
        adj = adj.link_counts()
    if not isinstance(adj, torch.Tensor) or adj.dim() == 1:                    # counts (T,)
        counts = torch.as_tensor(adj)
        if not len(val) or bool((counts[val.start:val.stop] != 0).any()):
            return
        empty = counts == 0                                                    # (T,)
    else:
        if not len(val) or bool((adj[val.start:val.stop] != 0).any()):
            return
        empty = ~(adj.flatten(1) != 0).any(1)                                 # (T,)
    first, last = val.start, val.stop - 1
    while first > 0 and bool(empty[first - 1]):
        first -= 1
    while last + 1 < len(empty) and bool(empty[last + 1]):
        last += 1
    where = f"{source}: " if source else ""
    raise InputError(f"{where}the validation targets (snapshots {val.start}..{val.stop - 1}) "
                     f"are all empty (snapshots {first}..{last} hold no link), so no model can "
                     f"be selected on them; choose --val/--test so that validation falls "
                     f"outside the empty stretch")


class WindowDataset(Dataset):
    """Map-style dataset of ``(adj_seq (W, N, N), target (N, N))`` pairs; no iterator state.

    A sample is an index range into the snapshots (:meth:`span`), not a copy; the dense
    tensors are sliced only when an item or batch is asked for. Given a
    :class:`~gcngan.data.SnapshotSequence`, its dense view (scaled to ``[0, 1]``, or raw with
    ``scaled=False``) is built on the first such request, so sparse consumers that only use
    :meth:`span` never build :math:`N^2` tensors.

    Args:
        adj (Tensor | SnapshotSequence): All snapshots, shape :math:`(T, N, N)` (usually
            scaled to [0, 1]), or the sequence.
        window (int): History length :math:`W`.
        targets (range | Sequence[int]): Target snapshot indices, each ``>= W``.
        scaled (bool, optional): For a sequence: items from ``seq.scaled()`` (default) or
            the raw ``seq.adj``.

    Shapes:
        - **item:** ``(W, N, N)``, ``(N, N)``
        - **batch(idx):** ``(B, W, N, N)``, ``(B, N, N)``
    """

    def __init__(self, adj, window: int, targets, *, scaled: bool = True) -> None:
        self._source = adj
        self._adj = adj if isinstance(adj, torch.Tensor) else None
        self._scaled = bool(scaled)
        num_t = int(adj.shape[0]) if self._adj is not None else int(adj.num_snapshots)
        self.window = int(window)
        self.targets = torch.as_tensor(list(targets), dtype=torch.long)
        if len(self.targets) and (int(self.targets.min()) < self.window
                                  or int(self.targets.max()) >= num_t):
            raise InputError(f"targets must lie in [{self.window}, {num_t - 1}]")
        self._offsets = torch.arange(-self.window, 0, dtype=torch.long)

    @property
    def adj(self) -> torch.Tensor:
        """The dense snapshots :math:`(T, N, N)` (built from a sequence on first use)."""
        if self._adj is None:
            seq = self._source
            self._adj = seq.scaled() if self._scaled else seq.adj
        return self._adj

    def span(self, i: int) -> tuple[range, int]:
        """Sample ``i`` as indices: ``(range(t - W, t), t)`` (history snapshots, target)."""
        t = int(self.targets[i])
        return range(t - self.window, t), t

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        t = int(self.targets[i])
        return self.adj[t - self.window:t], self.adj[t]

    def batch(self, idx: torch.Tensor | list) -> tuple[torch.Tensor, torch.Tensor]:
        """Gather many samples at once with one indexing op (no Python loop)."""
        t = self.targets[torch.as_tensor(idx, dtype=torch.long)]          # (B,)
        hist = self.adj[t[:, None] + self._offsets]                        # (B, W, N, N)
        return hist, self.adj[t]                                           # (B, N, N)

    def __repr__(self) -> str:
        return f"WindowDataset(len={len(self)}, window={self.window})"
