"""SnapshotSequence and Scaler: scaling round trips, views, converters, summary, fingerprint."""
from __future__ import annotations

import pytest
import torch

from gcngan.data import Scaler, SnapshotSequence
from gcngan.errors import InputError


@pytest.mark.parametrize("kind", ["linear", "log1p"])
def test_scaler_round_trip(kind, tiny_adj):
    s = Scaler(kind, float(tiny_adj.max()))
    y = s.transform(tiny_adj)
    assert float(y.min()) >= 0 and float(y.max()) == pytest.approx(1.0)
    assert torch.allclose(s.inverse(y), tiny_adj, rtol=1e-5, atol=1e-4)
    assert Scaler.from_dict(s.to_dict()) == s


def test_scaler_rejects_unknown_kind_and_bad_denominator():
    with pytest.raises(InputError, match="unknown scale"):
        Scaler("sqrt", 1.0)
    assert Scaler("linear", 0.0).denom == 1.0


def test_shapes_and_validation(tiny_adj):
    seq = SnapshotSequence(adj=tiny_adj, node_ids=list(range(8)), directed=True)
    assert (seq.num_snapshots, seq.num_nodes) == (12, 8)
    with pytest.raises(InputError, match="node ids"):
        SnapshotSequence(adj=tiny_adj, node_ids=[0, 1], directed=True)
    with pytest.raises(InputError, match=r"\(T, N, N\)"):
        SnapshotSequence(adj=tiny_adj[0], node_ids=list(range(8)), directed=True)


def test_sparse_views_match_dense(tiny_adj):
    seq = SnapshotSequence(adj=tiny_adj, node_ids=list(range(8)), directed=True,
                           scaler=Scaler("linear", 100.0))
    ei, ew = seq.edge_index(3)
    rebuilt = torch.zeros(8, 8)
    rebuilt[ei[0], ei[1]] = ew
    assert torch.equal(rebuilt, tiny_adj[3])
    data = seq.to_pyg()
    assert len(data) == 12 and data[3].num_nodes == 8
    assert torch.equal(data[3].edge_index, ei)
    assert torch.allclose(data[3].edge_weight, ew / 100.0)


def test_networkx_round_trip(tiny_adj):
    ids = [f"r{i}" for i in range(8)]
    seq = SnapshotSequence(adj=tiny_adj, node_ids=ids, directed=True)
    graphs = [seq.to_networkx(t) for t in range(seq.num_snapshots)]
    assert graphs[0].is_directed() and set(graphs[0].nodes) == set(ids)
    back = SnapshotSequence.from_networkx(graphs, node_ids=ids)
    assert torch.equal(back.adj, tiny_adj) and back.directed


def test_summary_and_fingerprint(tiny_adj):
    seq = SnapshotSequence(adj=tiny_adj, node_ids=list(range(8)), directed=True, num_rows=5)
    s = seq.summary()
    for key in ("num_nodes", "num_snapshots", "num_rows", "directed", "weight_min",
                "weight_max", "density_mean", "fingerprint"):
        assert key in s
    assert s["weight_max"] == float(tiny_adj.max())
    assert s["weight_min"] == float(tiny_adj[tiny_adj > 0].min())
    other = SnapshotSequence(adj=tiny_adj.clone(), node_ids=list(range(8)), directed=True)
    assert other.fingerprint == seq.fingerprint
    changed = tiny_adj.clone()
    changed[0, 0, 1] += 1
    assert SnapshotSequence(adj=changed, node_ids=list(range(8)),
                            directed=True).fingerprint != seq.fingerprint


def test_head_keeps_the_first_snapshots(tiny_adj):
    seq = SnapshotSequence(tiny_adj, list(range(8)), directed=True,
                           times=list(range(tiny_adj.shape[0])), source="f.csv")
    first = seq.head(2)
    assert torch.equal(first.adj, tiny_adj[:2]) and first.times == [0, 1]
    assert first.node_ids == seq.node_ids and first.directed and first.scaler == seq.scaler
    first.adj[0, 0, 1] = 123.0                     # a copy: the original is untouched
    assert seq.adj[0, 0, 1] != 123.0
    for bad in (0, tiny_adj.shape[0] + 1):
        with pytest.raises(InputError, match=f"f.csv: cannot keep {bad} of"):
            seq.head(bad)
