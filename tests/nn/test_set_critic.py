"""The DeepSets set critic: shapes, permutation invariance, size independence, raw scores,
gradients with respect to the weights (for the gradient penalty), the window summary."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gcngan.data.snapshots import Scaler
from gcngan.nn.set_critic import WINDOW_SUMMARY, SetCritic, window_summary


def _sets(seed=0, F=5, sizes=(7, 3, 12)):
    g = torch.Generator().manual_seed(seed)
    graph = torch.cat([torch.full((s,), i) for i, s in enumerate(sizes)])
    P = len(graph)
    return torch.rand(P, F, generator=g), torch.rand(P, generator=g), graph, len(sizes)


def test_shapes_invariance_and_size_independence():
    torch.manual_seed(0)
    feats, weight, graph, G = _sets()
    critic = SetCritic(5, condition_channels=2, hidden_channels=8)
    cond = torch.randn(G, 2)
    score = critic(feats, weight, graph, G, cond)
    assert score.shape == (G,)
    perm = torch.randperm(len(graph))
    assert torch.allclose(critic(feats[perm], weight[perm], graph[perm], G, cond), score,
                          atol=1e-6)
    # mean pooling: every element twice = the same set
    twice = critic(feats.repeat(2, 1), weight.repeat(2), graph.repeat(2), G, cond)
    assert torch.allclose(twice, score, atol=1e-6)
    # each graph's score depends on its own elements only
    w2 = weight.clone()
    w2[graph == 1] = 0.0
    moved = critic(feats, w2, graph, G, cond)
    assert torch.allclose(moved[[0, 2]], score[[0, 2]]) and not torch.allclose(moved[1], score[1])
    # the parameter count does not depend on N or on the set sizes
    assert sum(p.numel() for p in critic.parameters()) == \
        sum(p.numel() for p in SetCritic(5, 2, hidden_channels=8).parameters())


def test_sum_pool_raw_scores_and_gradient_penalty_input():
    torch.manual_seed(1)
    feats, weight, graph, G = _sets(F=3)
    critic = SetCritic(3, pool="sum", hidden_channels=8)
    twice = critic(feats.repeat(2, 1), weight.repeat(2), graph.repeat(2), G)
    assert not torch.allclose(twice, critic(feats, weight, graph, G))   # sum depends on size
    with torch.no_grad():
        critic.out.bias.fill_(5.0)
    assert bool((critic(feats, weight, graph, G) > 1).all())           # no sigmoid
    w = weight.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(feats, w, graph, G).sum(), w, create_graph=True)
    assert grad.shape == w.shape and grad.abs().sum() > 0
    grad.pow(2).sum().backward()                                        # double backward (GP)
    assert critic.phi[0].weight.grad is not None and critic.out.weight.grad is not None
    empty = critic(feats, weight, graph, G + 1)                         # a set without elements
    assert empty.shape == (G + 1,) and torch.isfinite(empty).all()


def test_validation():
    feats, weight, graph, G = _sets()
    with pytest.raises(ValueError, match="pool"):
        SetCritic(5, pool="max")
    with pytest.raises(ValueError, match="pair features"):
        SetCritic(4)(feats, weight, graph, G)
    with pytest.raises(ValueError, match="condition"):
        SetCritic(5, 2)(feats, weight, graph, G)
    assert SetCritic(0)(None, weight, graph, G).shape == (G,)           # weights only
    assert repr(SetCritic(5, 2)) == "SetCritic(5, condition_channels=2, pool='mean')"


class _Seq:
    def __init__(self, adj, scaler=None):
        self.adj, self.scaler = adj, scaler
        self.num_snapshots, self.num_nodes = adj.shape[0], adj.shape[1]

    def edges(self, t):
        s, d = np.nonzero(self.adj[t])
        return s.astype(np.int64), d.astype(np.int64), self.adj[t, s, d].astype(np.float32)


def test_window_summary_by_hand():
    adj = np.zeros((4, 6, 6), dtype=np.float32)
    adj[1, 0, 1], adj[1, 2, 3] = 2.0, 4.0
    adj[2, 0, 1], adj[2, 4, 5], adj[2, 1, 0] = 4.0, 4.0, 2.0
    s = window_summary(_Seq(adj, Scaler("linear", 4.0)), 3, 2)
    assert s.shape == (len(WINDOW_SUMMARY),)
    expect = [np.log1p(5 / 2), np.log1p(6), (0.5 + 1 + 1 + 1 + 0.5) / 5, 1 / 3]
    np.testing.assert_allclose(s.numpy(), expect, rtol=1e-6)
    assert float(window_summary(_Seq(adj), 3, 1)[3]) == 0.0             # W = 1: no repeats
