"""Lazy row updates of embedding tables (gcngan.train.optim, train.lazy_embeddings): rows a
step reaches follow Adam exactly, the others and their moments stay; sparse row gradients
give the same steps, clipping and sync as dense ones; the optimiser state round-trips
through a weights-only checkpoint; the trainer and the CLI use it."""
from __future__ import annotations

import io

import pytest
import torch
from torch import nn

from gcngan.cli import main
from gcngan.config import build_config
from gcngan.errors import ConfigError
from gcngan.train.optim import LazyRowAdam, embedding_groups, use_row_gradients
from gcngan.train.runtime import clip_grad_norm, grad_norm


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = nn.Embedding(6, 3)
        self.lin = nn.Linear(3, 1)


def _steps(opt, model, rows_per_step):
    """Run one update per entry of ``rows_per_step`` (the table rows the loss reads)."""
    for rows in rows_per_step:
        opt.zero_grad(set_to_none=True)
        model.lin(model.table(torch.tensor(rows))).pow(2).sum().backward()
        opt.step()


def _pair(weight_decay=0.0):
    torch.manual_seed(0)
    a = Tiny()
    b = Tiny()
    b.load_state_dict(a.state_dict())
    lazy = LazyRowAdam(embedding_groups(a), lr=0.05, betas=(0.5, 0.9), weight_decay=weight_decay)
    plain = torch.optim.Adam(b.parameters(), lr=0.05, betas=(0.5, 0.9),
                             weight_decay=weight_decay)
    return a, lazy, b, plain


def test_embedding_groups_split_the_tables_from_the_rest():
    groups = embedding_groups(Tiny())
    assert [g["lazy_rows"] for g in groups] == [False, True]
    assert [len(g["params"]) for g in groups] == [2, 1]
    assert [g["lazy_rows"] for g in embedding_groups(nn.Linear(2, 2))] == [False]  # no table


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_rows_reached_at_every_step_follow_adam_exactly(weight_decay):
    a, lazy, b, plain = _pair(weight_decay)
    every = [[0, 1, 2, 3, 4, 5]] * 4
    _steps(lazy, a, every)
    _steps(plain, b, every)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    assert float(lazy.state[a.table.weight]["step"]) == 4


def test_rows_not_reached_stay_with_their_moments():
    a, lazy, b, plain = _pair()
    _steps(lazy, a, [[0, 1, 2, 3, 4, 5]])            # every row has moments now
    _steps(plain, b, [[0, 1, 2, 3, 4, 5]])
    before = a.table.weight.detach().clone()
    moment = lazy.state[a.table.weight]["exp_avg"].clone()
    plain_before = b.table.weight.detach().clone()
    _steps(lazy, a, [[0, 1]] * 3)                    # rows 2..5 not reached
    _steps(plain, b, [[0, 1]] * 3)
    w = a.table.weight.detach()
    assert torch.equal(w[2:], before[2:])
    assert torch.equal(lazy.state[a.table.weight]["exp_avg"][2:], moment[2:])
    assert not torch.equal(w[:2], before[:2])
    assert not torch.equal(b.table.weight.detach()[2:], plain_before[2:])  # Adam moves them
    torch.testing.assert_close(w[:2], b.table.weight.detach()[:2])  # reached: Adam's path
    for p, q in zip(a.lin.parameters(), b.lin.parameters()):      # the rest: plain Adam
        torch.testing.assert_close(p, q)
    with pytest.raises(ValueError, match="lazy_rows group"):
        LazyRowAdam(embedding_groups(Tiny()), amsgrad=True)


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_sparse_row_gradients_take_the_dense_gradients_steps(weight_decay):
    a, lazy, _, _ = _pair(weight_decay)
    torch.manual_seed(0)
    d = Tiny()
    d.load_state_dict(a.state_dict())
    dense = LazyRowAdam(embedding_groups(d), lr=0.05, betas=(0.5, 0.9),
                        weight_decay=weight_decay)
    assert use_row_gradients(a) == 1 and a.table.sparse and not d.table.sparse
    steps = [[0, 3, 3], [1, 3], [5], [0, 1, 2, 3, 4, 5]]     # repeats add up
    _steps(lazy, a, steps)
    _steps(dense, d, steps)
    assert a.table.weight.grad.is_sparse and not d.table.weight.grad.is_sparse
    for p, q in zip(a.parameters(), d.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)
    sa, sd = lazy.state[a.table.weight], dense.state[d.table.weight]
    torch.testing.assert_close(sa["exp_avg_sq"], sd["exp_avg_sq"])
    # a row looked up whose gradient is exactly zero is not stepped (as the dense rule)
    before = a.table.weight.detach().clone()
    lazy.zero_grad(set_to_none=True)
    (a.lin(a.table(torch.tensor([2]))) * 0.0).sum().backward()
    lazy.step()
    assert torch.equal(a.table.weight.detach(), before)


def test_clipping_and_norm_of_sparse_gradients_equal_the_dense_ones():
    torch.manual_seed(1)
    a, b = Tiny(), Tiny()
    b.load_state_dict(a.state_dict())
    use_row_gradients(a)
    rows = torch.tensor([4, 0, 4, 2])
    for m in (a, b):
        m.lin(m.table(rows)).pow(2).sum().mul(50.0).backward()
    torch.testing.assert_close(grad_norm(a.parameters()), grad_norm(b.parameters()))
    na = clip_grad_norm(list(a.parameters()), 0.5)
    nb = nn.utils.clip_grad_norm_(list(b.parameters()), 0.5)
    torch.testing.assert_close(na, nb)
    assert float(nb) > 0.5                                   # it did clip
    assert a.table.weight.grad.is_sparse
    for p, q in zip(a.parameters(), b.parameters()):
        ga = p.grad.to_dense() if p.grad.is_sparse else p.grad
        torch.testing.assert_close(ga, q.grad)
    torch.testing.assert_close(grad_norm(a.parameters()), torch.tensor(0.5), rtol=1e-5,
                               atol=0)


def test_data_parallel_sync_takes_sparse_gradients(monkeypatch):
    import torch.distributed as dist

    from gcngan.train.distributed import sync_gradients

    a = Tiny()
    use_row_gradients(a)
    a.lin(a.table(torch.tensor([1, 1, 3]))).sum().backward()
    want = [p.grad.to_dense() if p.grad.is_sparse else p.grad.clone() for p in a.parameters()]
    monkeypatch.setattr(dist, "all_reduce", lambda flat: flat.mul_(2.0))   # 2 equal ranks
    sync_gradients(a.parameters(), 1.0, 2.0)
    for p, g in zip(a.parameters(), want):
        assert not p.grad.is_sparse
        torch.testing.assert_close(p.grad, g)


def test_state_round_trips_through_a_weights_only_checkpoint():
    a, lazy, _, _ = _pair()
    _steps(lazy, a, [[0, 3], [1, 3]])
    buf = io.BytesIO()
    torch.save({"model": a.state_dict(), "opt": lazy.state_dict()}, buf)
    buf.seek(0)
    saved = torch.load(buf)                          # weights_only: plain payload
    c = Tiny()
    c.load_state_dict(saved["model"])
    resumed = LazyRowAdam(embedding_groups(c), lr=0.05, betas=(0.5, 0.9))
    resumed.load_state_dict(saved["opt"])
    assert [g["lazy_rows"] for g in resumed.param_groups] == [False, True]
    _steps(lazy, a, [[2, 3]])
    _steps(resumed, c, [[2, 3]])
    for p, q in zip(a.parameters(), c.parameters()):
        torch.testing.assert_close(p, q)


def test_trainer_and_config(tmp_path):
    from gcngan.data.synthetic import generate_social

    path = tmp_path / "social.csv"
    generate_social(num_nodes=40, num_snapshots=8, links_per_node=3, seed=0).to_csv(
        path, index=False)
    run = tmp_path / "run"
    rc = main(["train", str(path), "--out", str(run), "--preset", "sparse", "--device", "cpu",
               "--window", "3", "--val", "1", "--test", "1", "--epochs", "1",
               "--set", "max_links=20",                  # the preset's lazy rows
               "--set", "gcn_channels=8,8", "--set", "lstm_hidden=8", "--set", "noise_dim=8",
               "--quiet"])
    assert rc == 0 and (run / "best.pt").is_file()
    ckpt = torch.load(run / "last.pt")
    assert [g["lazy_rows"] for g in ckpt["opt_g"]["param_groups"]] == [False, True]
    assert ckpt["opt_g"]["state"]                        # the lazy rows were stepped
    assert build_config("sparse").train.lazy_embeddings
    assert not build_config("dense").train.lazy_embeddings        # dense presets: plain Adam
    with pytest.raises(ConfigError, match="lazy_embeddings"):
        build_config("sparse", overrides=["lazy_embeddings=true", "loss=wgan-clip"])
