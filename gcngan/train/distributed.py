r"""Data-parallel training over :mod:`torch.distributed`: the process group from the
launcher's environment, the shard of each global batch a process trains on, and the
gradient average that keeps every process's weights identical.

Launch (one process per device; ``torchrun`` sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``, ``MASTER_PORT``)::

    torchrun --nproc_per_node 2 -m gcngan train DATA --out RUN --device cpu     # gloo
    torchrun --nproc_per_node 8 -m gcngan train DATA --out RUN --device cuda    # NCCL
    gcngan train DATA --out RUN --nproc 2          # the same on one machine (launch)

What a run of ``k`` processes does (:class:`~gcngan.train.Trainer` calls these):

* **Global batch.** Every process draws the same permutation of the training windows
  (seed, epoch) and cuts it into global batches of ``batch_size x k`` windows
  (:func:`global_batches`); process ``r`` trains on the ``r``-th contiguous slice
  (:func:`shard`), ``batch_size`` windows — ``--batch-size`` is per process, as with
  PyTorch's ``DistributedSampler``. A last global batch with fewer windows than
  processes joins the one before it, so no process is ever idle. On the sparse path a
  window is one target snapshot with its candidate pairs.
* **Same start.** Every process builds its models from the same seed; rank 0's weights
  are then broadcast (:func:`broadcast_module`) so they are equal bit for bit.
  Training noise, dropout and the gradient penalty's :math:`\epsilon` are drawn per
  process: rank 0 keeps the seed's stream (a 1-process run is the plain run), rank
  ``r > 0`` re-seeds with :func:`rank_seed` — deterministic for a fixed seed and ``k``.
* **Gradients.** After each ``backward`` and before clipping and the optimiser step,
  :func:`sync_gradients` replaces every process's gradients by the window-weighted mean over
  processes — one flat all-reduce per model and step: what
  :class:`~torch.nn.parallel.DistributedDataParallel` does, in one bucket and after the
  backward pass rather than overlapped with it. Losses that are means over windows (every
  dense term) give exactly the gradient of the single-process mean loss on the union of the
  slices. On the sparse path the reconstruction is a mean over candidate pairs and the
  critic's a mean over windows: weighting by windows makes the step the window-weighted mean
  of the processes' losses, which equals the union's when the processes' windows hold
  equally many candidates (not in general: a target with more true links weighs its pairs
  less than in one process). :class:`~torch.nn.parallel.DistributedDataParallel` is not
  used, although a check with torch 2.13 and gloo gave the same critic gradients through it
  (three forward passes before one backward, the gradient penalty's ``autograd.grad(...,
  create_graph=True)``, the frozen critic of the generator step): it averages the processes
  equally, where a last global batch split 2 + 1 needs the window weights (DDP would need
  the loss rescaled per process); its reducer is armed by its own ``forward``, and the
  generator is entered through ``forward_parts``; an explicit reduce is one code path for
  both models and both families (no ``find_unused_parameters``) and its time is measured
  (``allreduce_seconds`` in ``log.csv``). What it gives up is DDP's overlap of the reduce
  with the backward pass, a small cost for gradients of a few megabytes (see "Going wider"
  in docs/results.md). GAN trainers with the same loop shape do the same: NVIDIA's StyleGAN3
  training loop all-reduces each network's flattened gradients by hand after ``backward``.
* **Agreement.** Batch statistics and the stop request (SIGINT/SIGTERM) travel in one
  small all-reduce per batch (:func:`reduce_stats`), so every process logs the global
  batch's numbers and stops at the same safe point.

Backend: ``nccl`` for CUDA, ``gloo`` for the CPU.
"""
from __future__ import annotations

import datetime
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import torch
from torch import Tensor, nn

from gcngan.errors import ConfigError, InputError

#: Environment variables a launcher (``torchrun``, :func:`launch`) sets for each process.
ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
#: Set by :func:`launch` (``gcngan train --nproc``) in its children.
LAUNCHER_ENV = "GCNGAN_NPROC"


@dataclass(frozen=True)
class Context:
    """Where this process stands: ``rank`` of ``world_size`` processes, ``local_rank`` on
    its machine (the CUDA device it uses)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        """More than one process: gradients, statistics and stops are shared."""
        return self.world_size > 1

    @property
    def main(self) -> bool:
        """Rank 0: the process that writes files and prints."""
        return self.rank == 0


def env_context() -> Context:
    """The :class:`Context` the launcher's environment describes (``Context()`` without
    one); nothing is initialised.

    Raises:
        ConfigError: malformed ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``.
    """
    if "WORLD_SIZE" not in os.environ:
        return Context()
    try:
        world = int(os.environ["WORLD_SIZE"])
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError:
        raise ConfigError(f"torch.distributed environment: RANK={os.environ.get('RANK')!r}, "
                          f"WORLD_SIZE={os.environ.get('WORLD_SIZE')!r} are not integers") \
            from None
    if world < 1 or not 0 <= rank < world:
        raise ConfigError(f"torch.distributed environment: RANK={rank} is not in "
                          f"0..WORLD_SIZE-1 (WORLD_SIZE={world})")
    return Context(rank, world, local)


def context() -> Context:
    """The current process's :class:`Context`: from the initialised process group, else
    a single process (``Context()``)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        local = int(os.environ.get("LOCAL_RANK", str(dist.get_rank())))
        return Context(dist.get_rank(), dist.get_world_size(), local)
    return Context()


def init_from_env(device: torch.device, timeout_s: float = 600.0) -> Context:
    """Join the process group the launcher's environment describes (no-op for one
    process): ``nccl`` when ``device`` is CUDA (this process uses ``cuda:LOCAL_RANK``),
    else ``gloo``.

    Raises:
        ConfigError: CUDA with fewer visible devices than processes on this machine
            (``LOCAL_WORLD_SIZE``; every process refuses, rank 0 says it).
    """
    import torch.distributed as dist

    ctx = env_context()
    if not ctx.active or dist.is_initialized():
        return context() if dist.is_initialized() else ctx
    if device.type == "cuda":
        local_world = max(int(os.environ.get("LOCAL_WORLD_SIZE", "0") or 0), ctx.local_rank + 1)
        if local_world > torch.cuda.device_count():
            raise ConfigError(f"{local_world} processes on this machine but "
                              f"{torch.cuda.device_count()} CUDA device(s) visible: start at "
                              f"most one process per GPU (--nproc / --nproc_per_node)")
        torch.cuda.set_device(ctx.local_rank)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo",
                            timeout=datetime.timedelta(seconds=timeout_s))
    return context()


_left_a_group = False


def shutdown() -> None:
    """Leave the process group (no-op when none); :func:`left_a_group` is true afterwards."""
    import torch.distributed as dist

    global _left_a_group
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
        _left_a_group = True


def left_a_group() -> bool:
    """Whether this process has been one of a multi-process job and left its group.

    Such a process must not end through the interpreter's finalisation: a gloo worker
    thread may still be dropping its last reference to a finished all-reduce, whose tensor
    is a Python object, and a thread that wants the GIL while the interpreter is being torn
    down aborts the process ("terminate called without an active exception", SIGABRT, about
    one run in ten on 2 CPU cores with torch 2.13; gdb shows ``ProcessGroupGloo::runLoop`` ->
    ``~AsyncAllreduceWork`` -> ``TensorImpl::decref_pyobject`` -> ``take_gil`` during
    ``Py_FinalizeEx``; ``destroy_process_group`` does not join those threads). The command
    line therefore ends it with :func:`os._exit` once its outputs are flushed
    (:func:`gcngan.cli.main`).
    """
    return _left_a_group


def barrier() -> None:
    """Wait for every process (no-op for one)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()


# ----- batches --------------------------------------------------------------------------------
def global_batches(perm: Tensor, batch_size: int, world_size: int) -> list[Tensor]:
    """Cut an epoch's permutation into global batches of ``batch_size * world_size``
    windows; a last batch with fewer than ``world_size`` windows joins the previous one.

    Examples:
        >>> [b.tolist() for b in global_batches(torch.arange(9), 2, 2)]
        [[0, 1, 2, 3], [4, 5, 6, 7, 8]]
        >>> [b.tolist() for b in global_batches(torch.arange(5), 1, 1)]
        [[0], [1], [2], [3], [4]]
    """
    out = list(perm.split(batch_size * world_size))
    if len(out) > 1 and len(out[-1]) < world_size:
        out[-2:] = [torch.cat(out[-2:])]
    return out


def shard(batch: Tensor, rank: int, world_size: int) -> Tensor:
    """Process ``rank``'s contiguous slice of a global batch (sizes differ by at most one).

    Examples:
        >>> [shard(torch.arange(5), r, 2).tolist() for r in range(2)]
        [[0, 1, 2], [3, 4]]
    """
    return torch.tensor_split(batch, world_size)[rank]


def check_shardable(num_windows: int, world_size: int) -> None:
    """Every process needs at least one training window.

    Raises:
        InputError: fewer training windows than processes.
    """
    if num_windows < world_size:
        raise InputError(f"{num_windows} training window(s) cannot be shared by {world_size} "
                         f"processes; start at most {num_windows} (or give more training "
                         f"snapshots)")


# ----- weights, gradients, statistics -----------------------------------------------------------
def broadcast_module(module: nn.Module) -> None:
    """Copy rank 0's parameters and buffers into every process's ``module``."""
    import torch.distributed as dist

    with torch.no_grad():
        for t in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(t.data, src=0)


def gradient_bytes(params: Iterable[Tensor]) -> int:
    """Bytes one :func:`sync_gradients` call all-reduces for ``params`` (their gradients
    plus one presence flag each)."""
    params = [p for p in params if p.requires_grad]
    return sum(p.numel() * p.element_size() for p in params) + 4 * len(params)


def sync_gradients(params: Iterable[Tensor], weight: float, total: float) -> float:
    r"""Replace each gradient by the weighted mean over processes,
    :math:`g = \sum_r w_r g_r / \sum_r w_r` with ``weight`` = this process's :math:`w_r`
    (its windows) and ``total`` = :math:`\sum_r w_r` (the global batch); one all-reduce of
    one flat buffer. A parameter without a gradient on every process keeps ``None`` (as a
    single process leaves it); without one on some, it counts as zero there.

    Returns:
        float: seconds spent (packing, all-reduce, unpacking).
    """
    import torch.distributed as dist

    t0 = time.perf_counter()
    params = [p for p in params if p.requires_grad]
    if not params:
        return 0.0
    grads = [_dense(p.grad.detach()).reshape(-1) * weight if p.grad is not None
             else p.new_zeros(p.numel()) for p in params]
    flags = torch.tensor([float(p.grad is not None) for p in params],
                         device=params[0].device, dtype=params[0].dtype)
    flat = torch.cat(grads + [flags])
    dist.all_reduce(flat)
    present = flat[-len(params):].tolist()
    offset = 0
    for p, has in zip(params, present):
        n = p.numel()
        p.grad = flat[offset:offset + n].view_as(p) / total if has > 0 else None
        offset += n
    return time.perf_counter() - t0


def _dense(grad: Tensor) -> Tensor:
    """A sparse (row) gradient as its dense equal; a dense one as it is."""
    return grad.to_dense() if grad.is_sparse else grad


def reduce_stats(stats: dict, weight: float, total: float,
                 stop_signal: Optional[int]) -> tuple[dict, Optional[int]]:
    """Window-weighted mean of a batch's statistics over processes, and the agreed stop
    request, in one all-reduce.

    Args:
        stats: ``{name: scalar tensor}`` (the same names on every process).
        weight, total: this process's windows and the global batch's.
        stop_signal: ``None`` (go on), ``signal.SIGTERM``, or any other value (stop).

    Returns:
        tuple: ``(stats of the global batch, None | SIGTERM | SIGINT)`` — SIGTERM when
        any process got one, else SIGINT when any process asked to stop.
    """
    import torch.distributed as dist

    keys = sorted(stats)
    vec = torch.tensor([float(stats[k]) * weight for k in keys]
                       + [float(stop_signal is not None),
                          float(stop_signal == signal.SIGTERM)], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        vec = vec.cuda()
    dist.all_reduce(vec)
    vec = vec.cpu()
    out = {k: torch.tensor(float(vec[i]) / total) for i, k in enumerate(keys)}
    stop = None
    if vec[-2] > 0:
        stop = signal.SIGTERM if vec[-1] > 0 else signal.SIGINT
    return out, stop


def agree_stop(stop_signal: Optional[int]) -> Optional[int]:
    """The stop request every process agrees on (see :func:`reduce_stats`)."""
    return reduce_stats({}, 0.0, 1.0, stop_signal)[1]


def all_gather(obj) -> list:
    """``[obj of rank 0, obj of rank 1, ...]`` on every process (picklable objects)."""
    import torch.distributed as dist

    out: list = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def rank_seed(seed: int, rank: int, epoch: int = 0) -> int:
    """Seed of process ``rank``'s training noise (rank 0 keeps ``seed``'s own stream and
    never calls this); ``epoch`` varies it when a run resumes with another world size.

    Examples:
        >>> rank_seed(0, 1) != rank_seed(0, 2) != rank_seed(1, 1)
        True
    """
    return (seed * 1_000_003 + rank * 7_919 + epoch * 104_729) % 2**63


# ----- local launcher ---------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port free on this machine now (for ``MASTER_PORT``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(argv: Sequence[str], nproc: int, env: Optional[dict] = None) -> int:
    """Run ``python ARGV`` (e.g. ``["-m", "gcngan", "train", ...]``) as ``nproc``
    processes of one job on this machine,
    with the environment ``torchrun --standalone --nproc_per_node NPROC`` gives them
    (``OMP_NUM_THREADS=1`` unless set). SIGINT/SIGTERM are passed on to the processes
    (which stop at their next safe point); when one fails, the others are ended.

    Returns:
        int: rank 0's exit status (or the first failing process's, when rank 0 was ended
        because of it).
    """
    base = dict(os.environ if env is None else env)
    base.update({"WORLD_SIZE": str(nproc), "LOCAL_WORLD_SIZE": str(nproc),
                 "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()),
                 LAUNCHER_ENV: str(nproc)})
    base.setdefault("OMP_NUM_THREADS", "1")
    procs = []
    for r in range(nproc):
        child = dict(base, RANK=str(r), LOCAL_RANK=str(r))
        procs.append(subprocess.Popen([sys.executable, *argv], env=child))

    def forward(signum, frame):
        for p in procs:
            if p.poll() is None:
                p.send_signal(signum)

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, forward)
        except ValueError:                     # not in the main thread
            pass
    failed_at: Optional[float] = None
    try:
        while any(p.poll() is None for p in procs):
            if failed_at is None and any(p.poll() not in (None, 0) for p in procs):
                failed_at = time.monotonic()   # the others would wait for it forever
            if failed_at is not None and time.monotonic() - failed_at > 5.0:
                break                          # (after a grace for rank 0's last words)
            time.sleep(0.05)
    finally:
        for sig, prev in previous.items():
            signal.signal(sig, prev)
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
    codes = [p.returncode for p in procs]
    if codes[0] > 0 or all(c == 0 for c in codes):
        return codes[0]
    return next((c for c in codes if c > 0), 1)
