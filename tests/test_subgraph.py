"""Sampled training subgraphs (gcngan.subgraph): the node set, the induced links, candidates
drawn inside the set, and a training step whose size does not grow with N."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gcngan.data.synthetic import generate_social
from gcngan.structural import PairIndex
from gcngan.subgraph import induced_edges, sample_subgraph


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


def test_induced_edges_are_the_links_with_both_ends_inside():
    rng = np.random.default_rng(0)
    key = np.unique(rng.integers(0, 50 * 50, 400))
    src, dst = key // 50, key % 50
    ei = torch.from_numpy(np.stack([src, dst]))
    ew = torch.rand(key.size)
    nodes = np.sort(rng.choice(50, 20, replace=False))
    got_ei, got_ew = induced_edges(ei, ew, nodes)
    keep = np.isin(src, nodes) & np.isin(dst, nodes)
    assert torch.equal(got_ei, ei[:, torch.from_numpy(keep)])
    assert torch.equal(got_ew, ew[torch.from_numpy(keep)])
    empty_ei, empty_ew = induced_edges(ei, ew, np.zeros(0, np.int64))
    assert empty_ei.shape == (2, 0) and empty_ew.shape == (0,)


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
