"""Pre-flight checks (gcngan/check.py): each passes on a small synthetic mesh with a small
paper-style model, and each fails on a deliberately broken setup."""
import math

import pytest
import torch
from torch import nn

from gcngan import check as C
from gcngan.config import build_config
from gcngan.data.synthetic import generate_mesh
from gcngan.nn import build_generator

SMALL = ["device=cpu", "noise_dim=4", "gcn_channels=8,4", "lstm_hidden=32",
         "critic_hidden=32,16", "batch_size=8", "seed=0"]


@pytest.fixture(scope="module")
def mesh():
    return generate_mesh(num_nodes=8, num_snapshots=60, seed=3)


def config(*extra, val=6, test=6, window=4):
    cfg = build_config("paper", None, [*SMALL, *extra])
    cfg.data.window, cfg.data.val, cfg.data.test = window, val, test
    return cfg


class ZeroAdjacency(nn.Module):
    """Wraps an encoder and hands it all-zero snapshots: the history never reaches the LSTM."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, x, adj_seq):
        return self.encoder(x, torch.zeros_like(adj_seq))


def ignores_history(cfg, n):
    """A real (paper, dense-decoder) generator whose output depends on the noise only."""
    gen = build_generator(cfg.model, n)
    gen.encoder = ZeroAdjacency(gen.encoder)
    return gen


class OutOfRange(nn.Module):
    """Emits (B, N, N) values in [0, 2] (no squashing)."""

    def __init__(self, n):
        super().__init__()
        self.w = nn.Parameter(torch.full((n, n), 2.0))

    def forward(self, adj_seq, generator=None):
        return self.w.expand(adj_seq.shape[0], -1, -1) * adj_seq[:, -1].ge(0)

    def predict(self, adj_seq, samples=1, generator=None):
        with torch.no_grad():
            return self(adj_seq)


def test_pairwise_auc_and_noise_like():
    assert C.pairwise_auc(torch.tensor([2.0, 3.0]), torch.tensor([1.0, 2.0])) == 0.875
    g = torch.Generator().manual_seed(0)
    real = torch.rand(16, 6, 6) * 0.5
    noise = C.noise_like(real, 0.25, g)
    assert noise.shape == real.shape and float(noise.min()) >= 0
    assert float(noise.max()) <= float(real.max())
    assert abs(float((noise > 0).double().mean()) - 0.25) < 0.1


def test_data_check_passes_and_fails_on_impossible_split(mesh):
    r = C.check_data(mesh, config())
    assert r.passed and r.value["num_nodes"] == 8 and r.value["split"]["val"] == 6
    assert set(r.to_dict()) == {"name", "passed", "value", "detail"}
    bad = C.check_data(mesh, config(val=30, test=30))
    assert not bad.passed and "snapshots" in bad.detail
    # the other checks are not run after a failed data check
    results = C.run_checks(mesh, config(val=30, test=30))
    assert [r.name for r in results] == list(C.CHECKS)
    assert not any(r.passed for r in results)


@pytest.mark.parametrize("loss", ["wgan-clip", "wgan-gp", "bce"])
def test_critic_separates_real_from_noise(mesh, loss):
    r = C.check_critic(mesh, config(f"loss={loss}"))
    assert r.passed, r.detail
    assert r.value["auc"] >= 0.9 and r.value["score_gap"] > 0


def test_critic_check_fails_for_a_critic_that_cannot_learn(mesh):
    class Constant(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = nn.Parameter(torch.zeros(()))

        def forward(self, adj, adj_seq=None):
            return self.b.expand(adj.shape[0])

    r = C.check_critic(mesh, config(), steps=5, critic_factory=lambda cfg, n: Constant())
    assert not r.passed and r.value["auc"] == pytest.approx(0.5)


def test_generator_check(mesh):
    r = C.check_generator(mesh, config())
    assert r.passed, r.detail
    assert r.value["forward"]["shape"] == [4, 8, 8] and r.value["forward"]["device"] == "cpu"
    bad = C.check_generator(mesh, config(), generator_factory=lambda cfg, n: OutOfRange(n))
    assert not bad.passed and "outside [0, 1]" in bad.detail
    assert "all zeros" not in r.detail

    class Empty(OutOfRange):
        def forward(self, adj_seq, generator=None):
            return super().forward(adj_seq) * 0.0

    empty = C.check_generator(mesh, config(), generator_factory=lambda cfg, n: Empty(n))
    assert empty.passed and "predict() gives all zeros on these windows" in empty.detail


def test_history_sensitivity_is_zero_when_the_output_ignores_the_input(mesh):
    cfg = config()
    adj = mesh.scaled()
    gen = ignores_history(cfg, mesh.num_nodes)
    assert C.history_sensitivity(gen, adj, list(range(40, 46)), 4) == 0.0
    real = build_generator(cfg.model, mesh.num_nodes)
    assert C.history_sensitivity(real, adj, list(range(40, 46)), 4) > 1e-3
    assert math.isnan(C.history_sensitivity(real, adj, [40], 4))


def test_training_check_passes_and_a_history_blind_generator_fails(mesh):
    cfg = config()
    good = C.check_training(mesh, cfg, min_steps=12)
    assert good.passed, good.detail
    v = good.value
    assert v["val_rmse_trained"] < v["val_rmse_untrained"]
    assert v["d_loss"][0] != v["d_loss"][1] and v["g_loss"][0] != v["g_loss"][1]

    broken = C.check_training(mesh, cfg, min_steps=12, max_steps=12,
                              generator_factory=ignores_history)
    assert not broken.passed
    assert broken.value["history_sensitivity"] == 0.0
    assert "ignores the history" in broken.detail
