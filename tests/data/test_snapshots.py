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


# ----------------------------------------------------------------------------- sparse storage
import hashlib  # noqa: E402

import numpy as np  # noqa: E402

from gcngan.config import DataConfig  # noqa: E402
from gcngan.data import load_snapshots  # noqa: E402
from gcngan.data import snapshots as snapshots_mod  # noqa: E402


def _random_dense(seed: int, t: int, n: int, directed: bool, loops: bool,
                  empty=()) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    adj = (torch.rand(t, n, n, generator=g) * 50).round() * (torch.rand(t, n, n, generator=g) < 0.2)
    if not directed:
        adj = torch.maximum(adj, adj.transpose(1, 2))
    if not loops:
        adj[:, torch.arange(n), torch.arange(n)] = 0
    for k in empty:
        adj[k] = 0
    return adj


def _coo_of(adj: torch.Tensor):
    t, s, d = torch.nonzero(adj, as_tuple=True)
    return t.numpy(), s.numpy(), d.numpy(), adj[t, s, d].numpy()


def _old_fingerprint(adj: torch.Tensor, ids, directed: bool, scaler: Scaler) -> str:
    """The fingerprint as the dense-only versions computed it (checkpoints store it)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(adj.numpy()).tobytes())
    h.update(repr([str(n) for n in ids]).encode())
    h.update(repr((directed, scaler.kind, scaler.denom)).encode())
    return h.hexdigest()


def _old_summary(adj: torch.Tensor, seq) -> dict:
    """``summary()`` of the dense-only versions, from the (T, N, N) tensor."""
    nz = adj[adj > 0]
    n, t = adj.shape[1], adj.shape[0]
    per = (adj > 0).flatten(1).sum(1).double()
    q = {}
    if nz.numel():
        vals = torch.quantile(nz.double(), torch.tensor([0.25, 0.5, 0.75, 0.99],
                                                        dtype=torch.float64)).tolist()
        q = {"p25": vals[0], "p50": vals[1], "p75": vals[2], "p99": vals[3]}
    return {"source": seq.source, "num_nodes": n, "num_snapshots": t,
            "num_rows": int(seq.num_rows), "num_nonzero": int(nz.numel()),
            "directed": bool(seq.directed),
            "weight_min": float(nz.min()) if nz.numel() else 0.0,
            "weight_max": float(nz.max()) if nz.numel() else 0.0, "weight_quantiles": q,
            "density_mean": float(per.mean() / (n * n)), "density_min": float(per.min() / (n * n)),
            "density_max": float(per.max() / (n * n)),
            "zero_share": float(1.0 - nz.numel() / max(1, adj.numel())),
            "empty_snapshots": int((per == 0).sum()), "granularity": None,
            "scale": seq.scaler.to_dict(),
            "fingerprint": _old_fingerprint(adj, seq.node_ids, seq.directed, seq.scaler)}


@pytest.mark.parametrize("seed, directed, loops, empty", [
    (0, True, False, ()), (1, False, False, (2,)), (2, True, True, (0, 5)),
    (3, False, True, (6, 7)),                                      # trailing empty snapshots
])
def test_coo_and_dense_agree(seed, directed, loops, empty):
    adj = _random_dense(seed, 8, 7, directed, loops, empty)
    ids = [f"n{i}" for i in range(7)]
    scaler = Scaler("log1p", 60.0)
    dense = SnapshotSequence(adj, ids, directed=directed, scaler=scaler, num_rows=11)
    coo = SnapshotSequence.from_edges(*_coo_of(adj), 8, ids, directed, scaler, num_rows=11)
    assert coo._dense is None and (coo.num_snapshots, coo.num_nodes) == (8, 7)
    assert coo.num_edges == dense.num_edges == int((adj != 0).sum())
    assert coo.fingerprint == dense.fingerprint == _old_fingerprint(adj, ids, directed, scaler)
    assert coo.summary() == dense.summary() == _old_summary(adj, dense)
    assert coo._dense is None                        # summary and fingerprint: no dense view
    np.testing.assert_array_equal(coo.link_counts(), (adj != 0).flatten(1).sum(1).numpy())
    np.testing.assert_array_equal(coo.density(),
                                  ((adj > 0).flatten(1).sum(1).double() / 49).numpy())
    for t in range(8):
        s, d, w = coo.edges(t)
        assert s.dtype == d.dtype == np.int64 and w.dtype == np.float32
        assert np.all(np.diff(s * 7 + d) > 0)                         # sorted by (src, dst)
        for got, want in zip((s, d, w), dense.edges(t)):
            np.testing.assert_array_equal(got, want)
        assert np.array_equal(coo.csr(t).toarray(), adj[t].numpy())
        ei, ew = coo.edge_index(t)
        assert torch.equal(ei, torch.nonzero(adj[t]).T) and torch.equal(ew, adj[t][adj[t] != 0])
    for a, b in zip(coo.to_pyg(), dense.to_pyg()):
        assert torch.equal(a.edge_index, b.edge_index) and torch.equal(a.edge_weight, b.edge_weight)
    head = coo.head(3)
    assert head._dense is None and torch.equal(head.adj, adj[:3])
    assert head.fingerprint == SnapshotSequence(adj[:3].clone(), ids, directed, scaler).fingerprint
    assert torch.equal(coo.adj, adj) and torch.equal(coo.scaled(), dense.scaled())


def test_from_edges_validates():
    with pytest.raises(InputError, match="given twice"):
        SnapshotSequence.from_edges([0, 0], [1, 1], [2, 2], [1.0, 2.0], 1, [0, 1, 2], True)
    with pytest.raises(InputError, match="destination index out of range"):
        SnapshotSequence.from_edges([0], [1], [3], [1.0], 1, [0, 1, 2], True)
    seq = SnapshotSequence.from_edges([1, 0], [0, 1], [1, 0], [2.0, 0.0], 3, ["a", "b"], True)
    assert seq.num_edges == 1 and seq.link_counts().tolist() == [0, 1, 0]   # zeros dropped


def test_dense_view_refused_beyond_the_limit_in_one_line():
    n = 20_000                                         # 1 x 20000 x 20000 > 2**28 entries
    seq = SnapshotSequence.from_edges([0, 0], [0, 5], [1, 19_999], [1.0, 3.0], 1,
                                      list(range(n)), True, source="big.csv")
    assert not seq.fits_dense and seq.summary()["num_nonzero"] == 2
    assert len(seq.fingerprint) == 64                   # the COO hash, no dense bytes
    with pytest.raises(InputError) as err:
        seq.adj
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("big.csv: 1 snapshots x 20000 x 20000 nodes is "
                                              "too large for dense snapshots")
    assert msg.endswith("keep the 16384 most active nodes with --top-k 16384")


def test_fingerprint_of_ingested_data_uses_the_dense_layout(tiny_csv, monkeypatch):
    seq = load_snapshots(tiny_csv)
    fp = seq.fingerprint                                 # streamed in blocks from the edges
    assert seq._dense is None
    assert fp == _old_fingerprint(seq.adj, seq.node_ids, seq.directed, seq.scaler)
    monkeypatch.setattr(snapshots_mod, "_HASH_BLOCK", 5)    # many blocks: same bytes
    assert load_snapshots(tiny_csv).fingerprint == fp


def test_inspecting_a_100k_node_stream_never_builds_n_squared(tmp_path):
    """Ingestion, summary, density, split check and the plot profile of a 100,000-node event
    stream: no torch tensor of N^2 entries (dispatch guard) and a small Python heap peak."""
    import tracemalloc

    from torch.utils._python_dispatch import TorchDispatchMode

    from gcngan.data.windows import check_validation_targets, chronological_split
    from gcngan.plots import snapshot_profile

    rng = np.random.default_rng(0)
    n, e = 100_000, 100_000
    path = tmp_path / "big.csv"
    ts = np.sort(rng.integers(0, 40 * 86400, e))
    src, dst = rng.integers(0, n, e), rng.integers(0, n, e)
    src[: n // 2], dst[: n // 2] = np.arange(n // 2), np.arange(n // 2, n)    # every node
    np.savetxt(path, np.column_stack([ts, src, dst, rng.integers(1, 5, e)]),
               fmt="%d", delimiter=",", header="timestamp,src,dst,weight", comments="")
    biggest = []

    class Guard(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for x in (out if isinstance(out, (tuple, list)) else (out,)):
                if isinstance(x, torch.Tensor):
                    biggest.append(x.numel())
            return out

    tracemalloc.start()
    with Guard():
        seq = load_snapshots(path, DataConfig(granularity="1d"))
        summary = seq.summary()
        density = seq.density()
        check_validation_targets(seq, chronological_split(seq.num_snapshots, 5, 5, 5))
        prof = snapshot_profile(seq)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seq.num_nodes == n and seq._dense is None and not seq.fits_dense
    assert summary["num_rows"] == e and len(density) == seq.num_snapshots == 40
    assert prof["density"].shape == (40,)
    assert max(biggest) < 10 * e                         # O(E), nowhere near N^2 = 1e10
    assert peak < 200 * 2 ** 20, f"heap peak {peak / 2 ** 20:.0f} MiB"
