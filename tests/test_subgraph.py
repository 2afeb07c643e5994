"""Sampled training subgraphs (gcngan.subgraph): the node set, the induced links, candidates
drawn inside the set, and a training step whose size does not grow with N."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gcngan.data.synthetic import generate_social
from gcngan.structural import PairIndex
from gcngan.nn.sparse_gcn import SparseWindowBatch
from gcngan.subgraph import induced_window, sample_subgraph


def _index(tmp_path, n: int, snapshots: int = 8, links: int = 3):
    from gcngan.config import DataConfig
    from gcngan.data import load_snapshots

    csv = tmp_path / f"social-{n}.csv"
    generate_social(num_nodes=n, num_snapshots=snapshots, links_per_node=links,
                    seed=0).to_csv(csv, index=False)
    return PairIndex(load_snapshots(str(csv), DataConfig(window=3)))


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    return _index(tmp_path_factory.mktemp("subgraph"), 300)


def test_sample_holds_the_seeds_then_their_window_neighbours(index):
    t, n = 6, index.num_nodes
    seeds = np.array([5, 3, 5, 17, 40])
    union, _ = index.union(t, 3)
    nodes = sample_subgraph(union, seeds, 60, np.random.default_rng(0))
    assert nodes.dtype == np.int64 and np.all(np.diff(nodes) > 0)
    assert np.isin(seeds, nodes).all() and nodes.size == 60
    hop1 = np.unique(union[np.unique(seeds)].indices)
    hop2 = np.unique(union[hop1].indices)
    assert np.isin(nodes, np.concatenate([seeds, hop1, hop2])).all()   # nothing random
    assert np.array_equal(nodes, sample_subgraph(union, seeds, 60, np.random.default_rng(0)))
    assert not np.array_equal(nodes, sample_subgraph(union, seeds, 60,
                                                     np.random.default_rng(1)))
    # the pair features' union (PairFeaturizer's bounded cache) draws the same set
    from gcngan.nn.pair_decoder import PairFeaturizer
    fz_union, _ = PairFeaturizer(index).union(t, 3)
    assert np.array_equal(nodes, sample_subgraph(fz_union, seeds, 60, np.random.default_rng(0)))
    # more seeds than the budget: the seeds alone
    many = np.arange(0, n, 2)
    assert np.array_equal(sample_subgraph(union, many, 10, np.random.default_rng(0)), many)


def _random_snapshot(rng, n: int = 50, links: int = 400):
    key = np.unique(rng.integers(0, n * n, links))                       # sorted by src
    return torch.from_numpy(np.stack([key // n, key % n])), torch.rand(key.size)


def test_induced_window_is_the_batch_of_the_links_with_both_ends_inside():
    """induced_window == from_snapshots on the links inside ``nodes`` with ``nodes`` as the
    node set: same local ids, same link order, same weights (an empty snapshot too)."""
    rng = np.random.default_rng(0)
    snaps = [_random_snapshot(rng) for _ in range(3)]
    snaps.append((torch.zeros(2, 0, dtype=torch.long), torch.zeros(0)))
    nodes = np.sort(rng.choice(50, 20, replace=False))
    got = induced_window(snaps, nodes)
    inside = []
    for ei, ew in snaps:
        keep = torch.from_numpy(np.isin(ei[0], nodes) & np.isin(ei[1], nodes))
        inside.append((ei[:, keep], ew[keep]))
    want = SparseWindowBatch.from_snapshots([inside], nodes=torch.from_numpy(nodes))
    assert got.batch_size == 1 and got.window == 4
    assert torch.equal(got.nodes, want.nodes)
    assert torch.equal(got.edge_index, want.edge_index)
    assert torch.equal(got.edge_weight, want.edge_weight)
    assert 0 < got.edge_index.shape[1] < sum(ei.shape[1] for ei, _ in snaps)


@pytest.mark.parametrize("n", [400, 4000])
def test_a_sampled_step_does_not_grow_with_n(tmp_path, n):
    """With subgraph_nodes = S the batch computes at most max(S, the candidates' endpoints)
    nodes and only links inside the subgraph, whatever N; its candidates are the
    whole-window path's; the whole-window batch covers every endpoint of the window."""
    from gcngan.config import build_config
    from gcngan.data import load_snapshots
    from gcngan.train import Trainer

    csv = tmp_path / "s.csv"
    generate_social(num_nodes=n, num_snapshots=8, links_per_node=3, seed=0).to_csv(
        csv, index=False)
    small = ["max_links=10", "negatives=4", "val_queries=20", "val_q=10", "gcn_channels=8,8",
             "lstm_hidden=8", "noise_dim=8", "decoder_hidden=16", "critic_hidden=16"]
    cfg = build_config("sparse", overrides=small + ["subgraph_nodes=150"],
                       data={"window": 3, "val": 1, "test": 1},
                       train={"epochs": 1, "device": "cpu"})
    tr = Trainer(cfg, load_snapshots(str(csv), cfg.data), quiet=True)
    ts = tr.train_set
    assert ts.sampled and ts.subgraph_nodes == 150
    inputs, target = ts.batch(torch.tensor([0]))
    nodes = ts.candidates(ts.targets[0])[6]
    assert nodes.shape == (150,)                 # 10 x (1 + 4) candidates: < 100 endpoints
    assert inputs.batch.num_local <= 150
    glob = inputs.batch.nodes[inputs.batch.edge_index % inputs.batch.num_local]
    assert np.isin(glob.numpy(), nodes).all()
    assert np.isin(inputs.src.numpy(), nodes).all() and np.isin(inputs.dst.numpy(), nodes).all()
    assert bool((target > 0).any())
    tr.train_epoch(0)
    whole = build_config("sparse", overrides=small + ["subgraph_nodes=0"],
                         data={"window": 3, "val": 1, "test": 1},
                         train={"epochs": 1, "device": "cpu"})
    tw = Trainer(whole, load_snapshots(str(csv), whole.data), quiet=True)
    assert not tw.train_set.sampled
    w_inputs, w_target = tw.train_set.batch(torch.tensor([0]))
    assert w_inputs.batch.num_local > 150
    assert torch.equal(w_inputs.src, inputs.src) and torch.equal(w_inputs.dst, inputs.dst)
    assert torch.equal(w_inputs.feats, inputs.feats) and torch.equal(w_target, target)


def test_subgraph_nodes_at_or_above_n_trains_on_whole_windows(index):
    from gcngan.nn.pair_decoder import PairFeaturizer
    from gcngan.train.family import SparseTrainingSet

    ts = SparseTrainingSet(index, PairFeaturizer(index), [5, 6], 3, max_links=10, negatives=4,
                           seed=0, subgraph_nodes=index.num_nodes)
    assert not ts.sampled and ts.candidates(5)[6] is None


def test_a_sampled_batch_is_the_batch_of_the_induced_links(index, monkeypatch):
    """A sampled batch of two targets (each target's window kept, or built again once the
    cache is full) is the batch from_snapshots builds from each window's links inside its
    subgraph and the candidates' endpoints."""
    import gcngan.train.family as family
    from gcngan.nn.pair_decoder import PairFeaturizer

    def fresh(ts, targets):
        wins, ends = [], []
        for t in targets:
            src, dst, *_, nodes = ts.candidates(t)
            win = []
            for k in range(t - ts.window, t):
                ei, ew = ts.snapshot_edges(k)
                keep = torch.from_numpy(np.isin(ei[0], nodes) & np.isin(ei[1], nodes))
                win.append((ei[:, keep], ew[keep]))
            wins.append(win)
            ends += [torch.from_numpy(src), torch.from_numpy(dst)]
        return SparseWindowBatch.from_snapshots(wins, extra_nodes=torch.cat(ends))

    for budget in (family.WINDOW_CACHE_BYTES, 1):
        monkeypatch.setattr(family, "WINDOW_CACHE_BYTES", budget)
        ts = family.SparseTrainingSet(index, PairFeaturizer(index), [5, 6], 3, max_links=10,
                                      negatives=4, seed=0, subgraph_nodes=60)
        assert ts.sampled
        for _ in range(2):                                     # built, then kept (or not)
            got = ts.batch(torch.tensor([0, 1]))[0].batch
            want = fresh(ts, [5, 6])
            assert torch.equal(got.nodes, want.nodes)
            assert torch.equal(got.edge_index, want.edge_index)
            assert torch.equal(got.edge_weight, want.edge_weight)
        assert sorted(ts._windows) == ([5, 6] if budget > 1 else [])
