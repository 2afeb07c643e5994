"""The existence study: window summaries, the fitted rules, and that it finds signal where
the data has it and none where it has not."""
from __future__ import annotations

import math

import pytest
import torch

from gcngan.baselines import get_baseline
from gcngan.errors import ConfigError
from bench.existence import WindowExistence, best_rule, existence_study, fit_table
from gcngan.metrics import mismatch_rate


def _iid_links(T=160, n=8, seed=0):
    """Each entry is a link at each snapshot independently with its own rate: the window's
    order carries nothing, and the count is all there is to know."""
    g = torch.Generator().manual_seed(seed)
    rate = torch.rand(n, n, generator=g)
    adj = (torch.rand(T, n, n, generator=g) < rate).float() * (1 + torch.rand(T, n, n, generator=g))
    adj[:, torch.arange(n), torch.arange(n)] = 0
    return adj


def test_window_summaries_count_the_window_before_each_target():
    adj = torch.zeros(6, 2, 2)
    adj[[0, 2, 3], 0, 1] = 1.0          # link 0->1 at snapshots 0, 2, 3
    adj[4, 1, 0] = 2.0
    ex = WindowExistence.from_adjacency(adj, 3)
    assert len(ex) == 3                                                # targets 3, 4, 5
    assert ex.count[:, 0, 1].tolist() == [2, 2, 2]                    # {0,2}, {2,3}, {3}+{2}
    assert ex.pattern[:, 0, 1].tolist() == [0b101, 0b110, 0b011]      # bit 0 = oldest
    assert ex.last[:, 0, 1].tolist() == [1, 1, 0]
    assert ex.target[:, 0, 1].tolist() == [True, False, False]
    assert ex.target[:, 1, 0].tolist() == [False, True, False]
    with pytest.raises(ConfigError, match="window=6"):
        WindowExistence.from_adjacency(adj, 6)


def test_fit_table_counts_and_shrinks_towards_the_prior():
    keys = torch.tensor([0, 0, 0, 1])
    labels = torch.tensor([1, 1, 0, 1])
    p = fit_table(keys, labels, 3, prior=torch.tensor([0.5, 0.5, 0.25]), strength=0.0)
    assert p[:2].tolist() == pytest.approx([2 / 3, 1.0]) and math.isnan(p[2])
    p = fit_table(keys, labels, 3, prior=torch.tensor([0.5, 0.5, 0.25]), strength=2.0)
    assert p.tolist() == pytest.approx([3 / 5, 2 / 3, 0.25])          # unseen key = prior


def test_median_rule_is_the_window_median_baselines_mismatch():
    """The study's median rule scores exactly what the window median baseline scores."""
    adj = _iid_links()
    W, holdout = 10, 40
    study = existence_study(adj, W, holdout, directed=True)
    targets = range(adj.shape[0] - holdout, adj.shape[0])
    windows = torch.stack([adj[t - W:t] for t in targets])
    pred = get_baseline("median").predict(windows)
    want = mismatch_rate(pred, adj[list(targets)]).mean()
    assert study["mismatch"]["median"] == pytest.approx(float(want))
    assert study["holdout_targets"] == [120, 159] and study["fit_targets"] == [10, 119]
    assert study["ratio"]["median"] == 1.0


def test_no_rule_beats_the_count_on_exchangeable_links():
    study = existence_study(_iid_links(T=400, n=10), 10, 150, directed=True)
    p = study["p_link_given_count"]
    assert all(a < b for a, b in zip(p, p[1:]))                       # more links, likelier
    assert set(study["mismatch"]) == {"median", "count", "count+last", "count+reverse",
                                      "order"}
    assert best_rule(study)[1] > 0.95


def test_order_rule_finds_a_pattern_the_count_misses():
    """Links that alternate snapshot by snapshot: the window always holds 5 of 10, so the
    count is useless, while the order (or the last snapshot) predicts every target."""
    T, n = 120, 6
    adj = torch.zeros(T, n, n)
    adj[::2, 0, 1] = adj[1::2, 1, 0] = 1.0
    adj[::2, 2, 3] = adj[1::2, 3, 2] = 1.0
    study = existence_study(adj, 10, 30, directed=True)
    assert study["mismatch"]["order"] == 0.0 and study["mismatch"]["count+last"] == 0.0
    assert study["mismatch"]["median"] > 0
    assert best_rule(study)[1] == 0.0
    undirected = existence_study(adj + adj.transpose(1, 2), 10, 30, directed=False)
    assert "count+reverse" not in undirected["mismatch"]


def test_holdout_must_leave_targets_to_fit():
    with pytest.raises(ConfigError, match="holdout=150"):
        existence_study(_iid_links(T=160), 10, 150, directed=True)
