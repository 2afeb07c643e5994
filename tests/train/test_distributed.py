"""Data-parallel training (gcngan.train.distributed) on the CPU with gloo, world size 2:
the processes are started by distributed.launch running tests/train/ddp_worker.py."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from gcngan.train import distributed

sys.path.insert(0, str(Path(__file__).parent))
import ddp_worker  # noqa: E402


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    code = distributed.launch([str(Path(ddp_worker.__file__)), str(out)], 2)
    assert code == 0
    return out


@pytest.mark.slow                   # 2 fresh processes (~20-40 s, once per module)
@pytest.mark.parametrize("loss", ["wgan-clip", "wgan-gp"])
def test_two_processes_equal_one_process_on_the_union(two_ranks, loss):
    ranks = [torch.load(two_ranks / f"{loss}.rank{r}.pt") for r in range(2)]
    single = ddp_worker.build(loss, 4)          # one process, batches = the global batches
    assert [b.tolist() for b in single.batches(0)] == ranks[0]["batches"]
    assert [len(b) for b in ranks[0]["batches"]] == [4, 3]       # the 2 + 1 split is tested
    g0 = {k: v.clone() for k, v in single.generator.state_dict().items()}
    stats = single.train_epoch(0)
    moved = max((single.generator.state_dict()[k] - g0[k]).abs().max() for k in g0)
    assert moved > 1e-4                                          # the epoch did train
    for name in ("generator", "critic"):
        want = getattr(single, name).state_dict()
        for rank in ranks:
            for key, value in want.items():
                torch.testing.assert_close(rank[name][key], value, atol=1e-5, rtol=0,
                                           msg=f"{loss} {name}.{key}")
        for key in want:                     # the processes hold the same weights exactly
            assert torch.equal(ranks[0][name][key], ranks[1][name][key])
    for key in ("d_loss", "g_loss", "d_real", "d_fake"):         # the global batch's numbers
        assert ranks[0]["stats"][key] == pytest.approx(stats[key], abs=1e-5)
        assert ranks[1]["stats"][key] == ranks[0]["stats"][key]


@pytest.mark.slow                   # 2 fresh processes (~20-40 s, once per module)
def test_a_stop_on_one_process_stops_both_after_the_same_batch(two_ranks):
    stops = [torch.load(two_ranks / f"stop.rank{r}.pt") for r in range(2)]
    assert stops[0] == stops[1] == {"stopped_after": 1, "critic_steps": 1}


def test_global_batches_and_shards_cover_the_epoch_once():
    perm = torch.randperm(23, generator=torch.Generator().manual_seed(0))
    for k, b in ((2, 4), (3, 2), (4, 5)):
        batches = distributed.global_batches(perm, b, k)
        assert all(len(x) >= k for x in batches)
        got = torch.cat([distributed.shard(x, r, k) for x in batches for r in range(k)])
        assert sorted(got.tolist()) == list(range(23))
    assert [len(x) for x in distributed.global_batches(perm[:21], 5, 2)] == [10, 11]


def test_more_processes_than_training_windows_is_refused():
    from gcngan.errors import InputError

    with pytest.raises(InputError, match="3 training window"):
        distributed.check_shardable(3, 4)


def test_more_processes_than_gpus_is_refused_by_every_process(monkeypatch):
    from gcngan.errors import ConfigError

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    for rank in ("0", "1"):                 # before joining: no process waits for another
        monkeypatch.setenv("RANK", rank)
        monkeypatch.setenv("LOCAL_RANK", rank)
        n = torch.cuda.device_count()
        if n >= 2:
            pytest.skip("2 GPUs visible")
        with pytest.raises(ConfigError, match=f"2 processes on this machine but {n} CUDA"):
            distributed.init_from_env(torch.device("cuda"))


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 CUDA devices (NCCL)")
def test_nccl_two_gpus_equal_one_process(tmp_path):    # pragma: no cover - no GPU here
    assert distributed.launch([str(Path(ddp_worker.__file__)), str(tmp_path), "cuda"], 2) == 0
    for loss in ("wgan-clip", "wgan-gp"):
        ranks = [torch.load(tmp_path / f"{loss}.rank{r}.pt", map_location="cpu")
                 for r in range(2)]
        single = ddp_worker.build(loss, 4)
        single.train_epoch(0)
        for key, value in single.generator.state_dict().items():
            assert torch.equal(ranks[0]["generator"][key], ranks[1]["generator"][key])
            torch.testing.assert_close(ranks[0]["generator"][key], value, atol=1e-4, rtol=0)
