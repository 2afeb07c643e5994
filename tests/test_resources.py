"""Memory estimates (:mod:`gcngan.resources`) and the refusal with the largest N that fits."""
from __future__ import annotations

import pytest
import torch

from gcngan.config import build_config
from gcngan.errors import ResourceError
from gcngan.nn import build_critic, build_generator
from gcngan.resources import (available_memory, check_memory, estimate_training_memory,
                              max_active_fraction, max_num_nodes, parameter_count, parse_size)

TINY = ["noise_dim=4", "gcn_channels=4,3", "lstm_hidden=16", "critic_hidden=12,6", "window=3",
        "batch_size=2"]


def test_parameter_count_matches_the_real_models():
    cfg = build_config("paper", overrides=TINY)
    for n in (1, 5, 17):
        real = sum(p.numel() for m in (build_generator(cfg.model, n, window=3),
                                       build_critic(cfg.model, n)) for p in m.parameters())
        assert parameter_count(cfg.model, n, window=3) == real


def test_estimate_grows_with_n_squared_and_the_batch():
    cfg = build_config("paper")
    small, big = (estimate_training_memory(cfg, n, 100) for n in (500, 1000))
    # the dense decoder (lstm_hidden x N^2) and the critic's first layer dominate
    assert 3.5 < big.total / small.total < 4.1
    assert big.training_state == big.weights * 2            # RMSprop: grad + 1 slot
    wide = estimate_training_memory(build_config("paper", overrides=["batch_size=256"]), 1000,
                                    100)
    assert wide.activations > big.activations and wide.weights == big.weights


def test_residual_decoder_activations_cover_its_per_entry_mlp():
    """The residual decoder runs an MLP per active entry: B * N^2 rows of its input width
    plus two hidden layers at least (the estimate once ignored them and was 12x too low)."""
    from gcngan.nn import build_generator

    cfg = build_config("dense")
    n = 120
    mlp = build_generator(cfg.model, n, None, window=cfg.data.window).decoder.mlp
    floor = cfg.train.batch_size * n * n * (mlp[0].in_features + 2 * mlp[0].out_features) * 4
    est = estimate_training_memory(cfg, n, 100)
    assert est.activations > floor
    paper = estimate_training_memory(build_config("paper"), n, 100)
    assert est.activations > 5 * paper.activations


def test_residual_estimate_shrinks_with_the_active_entries_only():
    """On sparse data the residual decoder's per-entry MLP runs on few rows; the dense terms
    (and the paper preset, whose decoder is dense) do not change."""
    cfg, paper = build_config("dense"), build_config("paper")
    full, sparse = (estimate_training_memory(cfg, 400, 100, active_fraction=a) for a in (1, .01))
    assert sparse.activations < full.activations / 5
    assert sparse.weights == full.weights and sparse.data == full.data
    dense_only = cfg.train.batch_size * 400 ** 2 * (4 * 10 + 12 + 3 * 10 + 5) * 4
    assert dense_only < sparse.activations < 1.2 * dense_only
    assert (estimate_training_memory(paper, 400, 100, active_fraction=0.01)
            == estimate_training_memory(paper, 400, 100))


def test_max_active_fraction_is_the_densest_window():
    adj = torch.zeros(6, 4, 4)
    adj[0, 0, 1] = adj[1, 0, 2] = adj[2, 0, 3] = adj[5, 1, 2] = 1.0
    assert max_active_fraction(adj, 3) == 3 / 16          # snapshots 0..2
    assert max_active_fraction(adj, 2) == 2 / 16
    assert max_active_fraction(adj, 10) == 4 / 16         # longer than the data: all of it
    assert max_active_fraction(torch.zeros(0, 4, 4), 3) == 0.0


def test_trainer_checks_memory_with_the_datas_active_share(monkeypatch):
    from gcngan.data import generate_mesh
    from gcngan.train import family as family_mod
    from gcngan.train import trainer as trainer_mod

    seen = {}
    monkeypatch.setattr(family_mod, "check_memory",         # the dense family checks it
                        lambda *a, **kw: seen.update(kw))
    seq = generate_mesh(num_nodes=8, num_snapshots=30, seed=0)
    cfg = build_config("dense", overrides=["window=4", "val=3", "test=3"])
    trainer_mod.Trainer(cfg, seq, quiet=True)
    assert seen["active_fraction"] == max_active_fraction(seq.adj, 4) < 1.0


def test_max_num_nodes_is_the_boundary():
    assert max_num_nodes(lambda n: n <= 37, 1000) == 37
    assert max_num_nodes(lambda n: n <= 37, 20) == 20
    assert max_num_nodes(lambda n: False, 50) == 0


def test_check_memory_refuses_with_the_largest_n_that_fits():
    cfg = build_config("paper")
    limit = estimate_training_memory(cfg, 300, 400).total
    assert check_memory(cfg, 300, 400, "cpu", available=limit).total == limit
    with pytest.raises(ResourceError) as info:
        check_memory(cfg, 1000, 400, "cpu", available=limit)
    msg = str(info.value)
    assert "N at most 300 (the data has N=1000)" in msg and "--top-k 300" in msg
    assert "CPU RAM" in msg and "\n" not in msg
    with pytest.raises(ResourceError, match="not even N=1 fits"):
        check_memory(cfg, 10, 400, "cpu", available=1000)


def test_available_memory_and_the_env_cap(monkeypatch):
    free = available_memory("cpu")
    assert free is None or free > 0
    monkeypatch.setenv("GCNGAN_MEMORY_LIMIT", "64M")
    assert available_memory("cpu") == min(free or 2**26, 2**26)
    monkeypatch.setenv("GCNGAN_MEMORY_LIMIT", "lots")
    with pytest.raises(ResourceError, match="GCNGAN_MEMORY_LIMIT"):
        available_memory("cpu")


def test_parse_size():
    assert parse_size("1.5G") == 3 * 2**29 and parse_size("2kib") == 2048
    with pytest.raises(ResourceError):
        parse_size("-1G")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA")
def test_gpu_free_memory_is_used():
    free = available_memory("cuda")
    assert free is not None and 0 < free <= torch.cuda.get_device_properties(0).total_memory
