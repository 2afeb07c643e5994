"""One process of the data-parallel tests (tests/train/test_distributed.py): started by
:func:`gcngan.train.distributed.launch` as ``python tests/train/ddp_worker.py OUT_DIR``.

For each loss (``wgan-clip``, ``wgan-gp``) it trains one epoch of the tiny trainer of
:func:`build` with ``batch_size`` 2 per process (global batches of 4 and 3 windows: the
second is split 2 + 1) and saves its weights and the epoch's statistics to
``OUT_DIR/<loss>.rank<r>.pt`` (``python tests/train/ddp_worker.py OUT_DIR cuda``: on
``cuda:LOCAL_RANK`` with NCCL); then it checks that a stop asked on rank 1 only stops every
process after the same batch (``OUT_DIR/stop.rank<r>.pt``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

from gcngan.config import build_config
from gcngan.train import Trainer, TrainingInterrupted, distributed, gradient_penalty
from test_trainer import tiny_seq  # same folder: on sys.path as a script and in pytest

# deterministic generator (no noise input, no dropout): the two set-ups can only differ
# by how the batch is split; the GP's epsilon comes from alpha_gp below
TINY = ["noise_dim=4", "gcn_channels=4,3", "lstm_hidden=16", "critic_hidden=12,6",
        "window=3", "val=3", "test=3", "node_input=embedding", "dropout=0"]


def build(loss: str, batch_size: int, device: str = "cpu") -> Trainer:
    """The tiny trainer; its GP draws epsilon of global window j (j-th of the global
    batch) from one stream seeded per critic step, whichever process holds window j."""
    cfg = build_config("paper", overrides=TINY + [f"loss={loss}", f"batch_size={batch_size}",
                                                f"device={device}"])
    tr = Trainer(cfg, tiny_seq(), quiet=True, callbacks=[])

    def alpha_gp(critic, real, fake, cond):
        n, total = tr._shard
        k, r = tr.dist.world_size, tr.dist.rank
        before = r * (total // k) + min(r, total % k)      # windows of lower ranks
        g = torch.Generator().manual_seed(1000 + tr.critic_steps)
        torch.rand(before, generator=g)                    # skip their epsilons
        return gradient_penalty(critic, real, fake, adj_seq=cond, generator=g)

    tr.family.gradient_penalty = alpha_gp
    return tr


def main(out: Path, device: str = "cpu") -> None:
    ctx = distributed.init_from_env(torch.device(device))
    for loss in ("wgan-clip", "wgan-gp"):
        tr = build(loss, 2, device)
        stats = tr.train_epoch(0)
        torch.save({"generator": tr.generator.state_dict(), "critic": tr.critic.state_dict(),
                    "stats": stats, "batches": [b.tolist() for b in tr.batches(0)]},
                   out / f"{loss}.rank{ctx.rank}.pt")
    tr = build("wgan-clip", 2)
    tr.stop_requested = ctx.rank == 1
    try:
        tr.train_epoch(0)
        stopped = None
    except TrainingInterrupted:
        stopped = tr.partial["batch"]
    torch.save({"stopped_after": stopped, "critic_steps": tr.critic_steps},
               out / f"stop.rank{ctx.rank}.pt")
    distributed.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1]), *sys.argv[2:3])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)       # not through finalisation, as gcngan.cli.main ends such a process
