r"""Memory budget of a training run, checked *before* the model is built.

The paper's dense decoder maps the LSTM state to all :math:`N^2` links, and the critic reads
all :math:`N^2` links, so both weight matrices and every per-batch tensor grow with
:math:`N^2`. :func:`estimate_training_memory` adds up

* parameters (counted exactly by building the generator and critic on the ``meta``
  device, which allocates nothing), times weights + gradients + optimiser slots;
* activations of one training batch, :math:`\approx 4\,B\,N^2\,(4W + 12)` bytes (input
  window, normalised adjacency, outputs, critic inputs, gradient penalty, their
  gradients) and of one evaluation batch; the ``residual`` decoder adds its per-entry MLP,
  :math:`\approx 4\,B\,a\,N^2\,(1.1\,(n_{in} + 4h + 9W + 22))` bytes
  (:meth:`ResidualDecoder.values_per_entry
  <gcngan.nn.residual.ResidualDecoder.values_per_entry>`; measured 540-560 values per entry at the default
  sizes, N = 90-180), where :math:`a` is the largest share of entries active in one window
  (:func:`max_active_fraction`; 1 when the data is not known: every entry active), plus
  :math:`4\,B\,N^2\,(3W + 5)` bytes of dense per-window work that does not shrink with
  :math:`a` (link indicators, node statistics, the conditional critic's history input;
  fitted to peak RSS on sparse data: Twitter mentions at N = 300, 600 and 995 estimate
  1.8, 7.0 and 18.9 GiB against 2.4, 7.5 and 19.4 GiB measured, which includes about
  0.45 GiB of Python and torch);
* the snapshots themselves on the device (raw and scaled copies, :math:`2\,T\,N^2`).

:func:`check_memory` compares the total with the memory that is free (the GPU's free
memory, or CPU RAM from ``/proc/meminfo`` and the cgroup limit, else ``os.sysconf``;
``GCNGAN_MEMORY_LIMIT`` caps it, e.g. ``GCNGAN_MEMORY_LIMIT=4G``) and raises
:class:`~gcngan.errors.ResourceError` with the largest :math:`N` that fits the current
settings. It is an estimate: good to a small factor, meant to turn a crash an hour in
into a clear message at once.
"""
from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import torch

from gcngan.errors import ResourceError

log = logging.getLogger(__name__)

BYTES_PER_VALUE = 4                 # float32
OPTIMIZER_SLOTS = {"rmsprop": 1, "adam": 2}
EVAL_BATCH = 64                     # windows per forward pass in gcngan.predict
MEMORY_ENV = "GCNGAN_MEMORY_LIMIT"
_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 2**10, "kib": 2**10, "m": 2**20, "mb": 2**20,
          "mib": 2**20, "g": 2**30, "gb": 2**30, "gib": 2**30, "t": 2**40, "tb": 2**40,
          "tib": 2**40}


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes needed by a training run (see the module docstring)."""

    num_nodes: int
    parameters: int            # generator + critic parameter count
    weights: int               # bytes of the parameters
    training_state: int        # bytes of gradients + optimiser slots
    activations: int           # bytes of one training (or evaluation) batch, the larger
    data: int                  # bytes of the snapshots on the device

    @property
    def total(self) -> int:
        return self.weights + self.training_state + self.activations + self.data


def parse_size(text: str) -> int:
    """``"512M"``, ``"4G"``, ``"1.5GiB"``, ``"1000000"`` -> bytes.

    Examples:
        >>> parse_size("4G"), parse_size("512mb"), parse_size("1000")
        (4294967296, 536870912, 1000)
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([a-zA-Z]*)\s*", str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise ResourceError(f"{MEMORY_ENV}={text!r}: expected bytes or a size such as 512M, 4G")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def format_bytes(n: float) -> str:
    """Human-readable size with binary units.

    Examples:
        >>> format_bytes(3 * 2**30), format_bytes(1536), format_bytes(12)
        ('3.0 GiB', '1.5 KiB', '12 B')
    """
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


# ----- what a run needs ---------------------------------------------------------------------
def parameter_count(model_config, num_nodes: int, feature_dim: Optional[int] = None,
                    window: int = 10) -> int:
    """Parameters of generator + critic for ``num_nodes`` nodes, counted on the ``meta``
    device (nothing is allocated)."""
    from gcngan.nn import build_critic, build_generator

    with torch.device("meta"):
        feats = (torch.empty(num_nodes, feature_dim) if feature_dim is not None else None)
        gen = build_generator(model_config, num_nodes, feats, window=window)
        critic = build_critic(model_config, num_nodes)
    return sum(p.numel() for m in (gen, critic) for p in m.parameters())


def max_active_fraction(adj: torch.Tensor, window: int) -> float:
    r"""Largest share of the :math:`N^2` entries of ``adj`` :math:`(T, N, N)` that are
    non-zero at least once within one window of ``window`` snapshots: what the ``residual``
    decoder decodes per window (it predicts 0 for every other entry).

    Examples:
        >>> adj = torch.zeros(4, 2, 2); adj[0, 0, 1] = adj[3, 1, 0] = 1.0
        >>> max_active_fraction(adj, 2), max_active_fraction(adj, 4)
        (0.25, 0.5)
    """
    T = adj.shape[0]
    if T == 0:
        return 0.0
    window = max(1, min(window, T))
    last_seen = torch.full(adj.shape[1:], -window - 1, dtype=torch.int32)   # (N, N)
    best = 0
    for t in range(T):
        last_seen[adj[t].cpu() != 0] = t
        if t >= window - 1:
            best = max(best, int((last_seen > t - window).sum()))
    return best / adj[0].numel()


def estimate_training_memory(config, num_nodes: int, num_snapshots: int,
                             feature_dim: Optional[int] = None,
                             active_fraction: float = 1.0) -> MemoryEstimate:
    """Bytes a training run of ``config`` needs on its device for this data size.

    Args:
        config (ExperimentConfig): Model, window and batch size.
        num_nodes (int): :math:`N`.
        num_snapshots (int): :math:`T`.
        feature_dim (int, optional): :math:`F` of ``node_input='features'``.
        active_fraction (float, optional): Largest share of entries active in one window
            (:func:`max_active_fraction`), which bounds the ``residual`` decoder's rows.
            Default 1: every entry active.
    """
    from gcngan.train.losses import get_loss

    n2 = num_nodes * num_nodes
    tc, w = config.train, config.data.window
    params = parameter_count(config.model, num_nodes, feature_dim, w)
    slots = OPTIMIZER_SLOTS.get(get_loss(tc.loss).optimizer, 2)
    train_act = tc.batch_size * n2 * (4 * w + 12)
    eval_act = EVAL_BATCH * n2 * (2 * w + 2)
    if config.model.decoder == "residual":         # the entries active in the densest window
        train_act += tc.batch_size * n2 * (3 * w + 5)       # its dense per-window work
        rows = math.ceil(active_fraction * n2)
        from gcngan.nn.residual import ResidualDecoder

        per_entry = ResidualDecoder.values_per_entry
        train_act += tc.batch_size * rows * per_entry(config.model, w)
        eval_act += EVAL_BATCH * rows * per_entry(config.model, w, train=False)
    return MemoryEstimate(
        num_nodes=num_nodes, parameters=params,
        weights=BYTES_PER_VALUE * params,
        training_state=BYTES_PER_VALUE * params * (1 + slots),
        activations=BYTES_PER_VALUE * max(train_act, eval_act),
        data=BYTES_PER_VALUE * 2 * num_snapshots * n2)


def max_num_nodes(fits: Callable[[int], bool], upper: int) -> int:
    """Largest ``n`` in ``[1, upper]`` with ``fits(n)`` (``fits`` grows monotonically false);
    0 when even ``n=1`` does not fit.

    Examples:
        >>> max_num_nodes(lambda n: n * n <= 50, 1000)
        7
    """
    if upper < 1 or not fits(1):
        return 0
    lo, hi = 1, upper
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


# ----- what the machine has -----------------------------------------------------------------
def available_memory(device: torch.device | str) -> Optional[int]:
    """Free bytes on ``device`` (``None`` when unknown), capped by ``GCNGAN_MEMORY_LIMIT``.

    CUDA: ``torch.cuda.mem_get_info``. CPU: ``MemAvailable`` of ``/proc/meminfo``, the cgroup
    (v2 or v1) limit minus usage when lower, else ``os.sysconf`` available pages.
    """
    device = torch.device(device)
    free: Optional[int] = None
    if device.type == "cuda":
        try:
            free = int(torch.cuda.mem_get_info(device)[0])
        except (RuntimeError, AssertionError):
            free = None
    elif device.type == "cpu":
        free = _cpu_available()
    limit = os.environ.get(MEMORY_ENV)
    if limit:
        cap = parse_size(limit)
        free = cap if free is None else min(free, cap)
    return free


def _cpu_available() -> Optional[int]:
    candidates = []
    meminfo = _read_text("/proc/meminfo")
    if meminfo:
        m = re.search(r"^MemAvailable:\s+(\d+)\s*kB", meminfo, re.MULTILINE)
        if m:
            candidates.append(int(m.group(1)) * 1024)
    if not candidates:
        try:
            candidates.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        limit, usage = _read_text(limit_file), _read_text(usage_file)
        if limit and usage and limit.strip().isdigit() and usage.strip().isdigit():
            lim = int(limit)
            if lim < 2**60:                                   # "no limit" in cgroup v1
                candidates.append(max(lim - int(usage), 0))
            break
    return min(candidates) if candidates else None


def _read_text(path: str) -> Optional[str]:
    try:
        return Path(path).read_text()
    except OSError:
        return None


# ----- the check ----------------------------------------------------------------------------
def check_memory(config, num_nodes: int, num_snapshots: int, device: torch.device | str,
                 feature_dim: Optional[int] = None,
                 available: Optional[int] = None,
                 active_fraction: float = 1.0) -> Optional[MemoryEstimate]:
    """Refuse a run whose estimated memory exceeds what ``device`` has free.

    Args:
        available (int, optional): Free bytes; default :func:`available_memory`.
        active_fraction (float, optional): See :func:`estimate_training_memory`; kept for
            the smaller ``N`` suggested (the most active nodes are at least as dense).

    Returns:
        MemoryEstimate: the estimate (``None`` when the model cannot be built on ``meta``).

    Raises:
        ResourceError: one line with the estimate, what is free, and the largest ``N`` that
            fits the current model, window and batch size.
    """
    device = torch.device(device)
    try:
        est = estimate_training_memory(config, num_nodes, num_snapshots, feature_dim,
                                       active_fraction)
    except (RuntimeError, NotImplementedError, TypeError) as exc:   # e.g. a module not meta-safe
        log.debug("memory estimate skipped: %s", exc)
        return None
    free = available if available is not None else available_memory(device)
    log.debug("memory estimate for N=%d: %s of %s free", num_nodes, format_bytes(est.total),
              "unknown" if free is None else format_bytes(free))
    if free is None or est.total <= free:
        return est
    n_max = max_num_nodes(
        lambda n: estimate_training_memory(config, n, num_snapshots, feature_dim,
                                           active_fraction).total <= free,
        num_nodes - 1)
    where = "GPU memory" if device.type == "cuda" else "CPU RAM"
    size = (f"N at most {n_max} (the data has N={num_nodes}): keep the most active nodes with "
            f"--top-k {n_max}, or" if n_max else "not even N=1 fits:")
    raise ResourceError(
        f"not enough memory for N={num_nodes} nodes: about "
        f"{format_bytes(est.total)} needed ({est.parameters:,} parameters: "
        f"{format_bytes(est.weights)} + {format_bytes(est.training_state)} gradients and "
        f"optimiser state; {format_bytes(est.activations)} activations at batch size "
        f"{config.train.batch_size}; {format_bytes(est.data)} data), {format_bytes(free)} of "
        f"{where} free; with these settings {size} shrink --set lstm_hidden=... / "
        f"critic_hidden=..., or --batch-size; or train the sparse model (edge lists, no "
        f"N x N tensors): --preset sparse")
