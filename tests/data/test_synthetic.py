"""The synthetic mesh: determinism, structure, learnability, and the committed dataset."""
from __future__ import annotations

import hashlib
import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from gcngan.config import DataConfig
from gcngan.data import load_snapshots
from gcngan.data.registry import REPO_ROOT
from gcngan.cli import main
from gcngan.data.synthetic import (MeshSpec, SocialSpec, _int_columns_csv, generate_mesh,
                                   generate_social)
from gcngan.errors import InputError


def test_seeded_and_shaped():
    a = generate_mesh(num_nodes=8, num_snapshots=12, seed=3)
    b = generate_mesh(MeshSpec(num_nodes=8, num_snapshots=12, seed=3))
    c = generate_mesh(num_nodes=8, num_snapshots=12, seed=4)
    assert tuple(a.adj.shape) == (12, 8, 8) and a.adj.dtype == torch.float32
    assert torch.equal(a.adj, b.adj) and not torch.equal(a.adj, c.adj)
    assert torch.equal(a.adj, a.adj.transpose(1, 2)) and not a.directed
    assert float(a.adj.diagonal(dim1=1, dim2=2).abs().sum()) == 0
    assert float(a.adj.min()) >= 0 and float(a.scaled().max()) == pytest.approx(1.0)


def test_learnable_structure_beats_copy_last():
    """Averaging the last three snapshots beats copying the last one (noise + daily cycle)."""
    x = generate_mesh(num_nodes=16, num_snapshots=120, seed=0).scaled()
    target = x[3:]
    copy_last = ((x[2:-1] - target) ** 2).mean().sqrt()
    mean3 = (((x[:-3] + x[1:-2] + x[2:-1]) / 3 - target) ** 2).mean().sqrt()
    assert float(mean3) < 0.95 * float(copy_last)
    # daily cycle: mean link cost at the peak hour exceeds the night-time cost
    seq = generate_mesh(num_nodes=16, num_snapshots=96, seed=0)
    per_hour = torch.stack([seq.adj[h::24][seq.adj[h::24] > 0].mean() for h in range(24)])
    assert float(per_hour[12]) > 1.2 * float(per_hour[0])


def test_failures_and_recoveries_happen():
    adj = generate_mesh(num_nodes=16, num_snapshots=200, seed=1).adj
    present = adj > 0
    assert bool((present[:-1] & ~present[1:]).any()) and bool((~present[:-1] & present[1:]).any())


def test_spec_validation():
    with pytest.raises(InputError, match="num_nodes"):
        MeshSpec(num_nodes=1)
    with pytest.raises(InputError, match="p_link_fail"):
        MeshSpec(p_link_fail=1.5)


def test_committed_dataset_checksum_and_content():
    path = REPO_ROOT / "datasets" / "synthetic_mesh.csv"
    sums = dict(reversed(line.split()) for line in
                (REPO_ROOT / "datasets" / "SHA256SUMS").read_text().splitlines() if line)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sums["synthetic_mesh.csv"]
    assert path.stat().st_size < 1_000_000
    seq = load_snapshots(path, DataConfig())
    assert (seq.num_nodes, seq.num_snapshots, seq.directed) == (24, 240, False)
    regenerated = generate_mesh(MeshSpec(num_nodes=24, num_snapshots=240, seed=0))
    assert torch.allclose(seq.adj, regenerated.adj, atol=0.011)


# ----------------------------------------------------------------------------- social
def test_social_seeded_sized_and_clean():
    a = generate_social(num_nodes=300, num_snapshots=6, links_per_node=4, seed=2)
    b = generate_social(SocialSpec(num_nodes=300, num_snapshots=6, links_per_node=4, seed=2))
    c = generate_social(num_nodes=300, num_snapshots=6, links_per_node=4, seed=3)
    assert a.equals(b) and not a.equals(c)
    assert list(a.columns) == ["t", "src", "dst", "weight"]
    assert all(str(d) == "int64" for d in a.dtypes)
    assert sorted(a.t.unique().tolist()) == list(range(6))
    assert int(a.src.min()) >= 0 and int(a.dst.max()) < 300
    assert not (a.src == a.dst).any()                                   # no self-loops
    assert not a.duplicated(["t", "src", "dst"]).any()                  # one row per link
    assert (a.weight >= 1).all()
    assert a.equals(a.sort_values(["t", "src", "dst"]).reset_index(drop=True))
    per = a.groupby("t").size()
    assert ((per >= 0.9 * 1200) & (per <= 1200)).all()                 # ~links_per_node * N


def test_social_persistence_closure_and_hubs():
    """History and structure both predict the next snapshot: far more repeated links and
    closed 2-paths among new links than a random graph of the same density has, and hubs."""
    n, steps = 3000, 8
    df = generate_social(num_nodes=n, num_snapshots=steps, links_per_node=3, seed=0)
    mats = [sp.csr_matrix((np.ones(len(g)), (g.src, g.dst)), shape=(n, n))
            for _, g in df.groupby("t")]
    density = mats[-1].nnz / n ** 2
    t = steps - 1
    hist = sum(mats[:t]).astype(bool).astype(float)
    repeated = mats[t].multiply(mats[t - 1]).nnz / mats[t].nnz
    assert repeated > 0.3 > 100 * density                              # random graph: density
    union = ((hist + hist.T) > 0).astype(float)
    two_hop = (union @ union).tocsr()
    new = (mats[t] - mats[t].multiply(hist)).tocoo()
    new_closed = float((np.asarray(two_hop[new.row, new.col]).ravel() > 0).mean())
    rng = np.random.default_rng(0)
    r = rng.integers(0, n, size=(20000, 2))
    r = r[r[:, 0] != r[:, 1]]
    random_closed = float((np.asarray(two_hop[r[:, 0], r[:, 1]]).ravel() > 0).mean())
    assert new_closed > 0.6 and new_closed > 2.5 * random_closed
    indeg = np.bincount(df[df.t == t].dst, minlength=n)
    assert indeg.max() > 10 * indeg.mean()                             # preferential attachment
    # heavier pairs persist: repeated links weigh more than links seen for the first time
    last = df[df.t == t]
    key_prev = set(zip(df[df.t == t - 1].src, df[df.t == t - 1].dst))
    rep = np.array([(s, d) in key_prev for s, d in zip(last.src, last.dst)])
    assert last.weight[rep].mean() > last.weight[~rep].mean()


def test_social_is_linear_in_edges():
    """100,000 nodes: peak traced memory a small multiple of (N + E) bytes (N^2 = 10^10)."""
    tracemalloc.start()
    t0 = time.perf_counter()
    df = generate_social(num_nodes=100_000, num_snapshots=3, links_per_node=2, seed=0)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = len(df)
    assert 0.9 * 600_000 <= rows <= 600_000
    assert peak < 250 * (100_000 + rows)                                # ~175 MB; N^2 = 80 GB
    assert seconds < 30


def test_social_spec_validation():
    with pytest.raises(InputError, match="num_nodes"):
        SocialSpec(num_nodes=1)
    with pytest.raises(InputError, match="links_per_node"):
        SocialSpec(links_per_node=0)
    with pytest.raises(InputError, match="repeat_decay"):
        SocialSpec(repeat_decay=1.0)
    with pytest.raises(InputError, match="must be <= 1"):
        SocialSpec(p_triadic=0.6, p_pref=0.6)
    assert SocialSpec(p_repeat=0.5, repeat_decay=0.5).memory == 10     # 0.5**9 > 1e-3 > 0.5**10


def test_int_csv_writer_matches_pandas():
    rng = np.random.default_rng(0)
    cols = [rng.integers(0, 10 ** k, 500) for k in (1, 3, 10)] + [np.array([0] * 499 + [7])]
    text = _int_columns_csv(cols).decode()
    frame = pd.DataFrame({str(i): c for i, c in enumerate(cols)})
    assert text == frame.to_csv(index=False, header=False, lineterminator="\n")


def test_social_cli_roundtrip_and_mesh_default_unchanged(tmp_path, capsys):
    """The event stream reads back as the generated snapshots; ``synth`` without ``--kind``
    still writes the embedded mesh byte for byte; wrong-kind flags exit 2 writing nothing."""
    out = tmp_path / "social.csv"
    assert main(["data", "synth", "--kind", "social", "--nodes", "400", "--snapshots", "5",
                 "--links-per-node", "3", "--seed", "4", "--out", str(out)]) == 0
    assert out.read_text().splitlines()[0] == "timestamp,src,dst,weight"
    seq = load_snapshots(out, DataConfig(granularity="1d", nodes=400))
    df = generate_social(SocialSpec(num_nodes=400, num_snapshots=5, links_per_node=3, seed=4))
    assert seq.num_snapshots == 5 and seq.directed
    for t in range(5):
        g = df[df.t == t]
        expect = torch.zeros(400, 400)
        expect[torch.tensor(g.src.to_numpy()), torch.tensor(g.dst.to_numpy())] = \
            torch.tensor(g.weight.to_numpy(), dtype=torch.float32)
        assert torch.equal(seq.adj[t], expect)

    mesh = tmp_path / "mesh.csv"
    assert main(["data", "synth", "--out", str(mesh)]) == 0
    sums = dict(reversed(line.split()) for line in
                (REPO_ROOT / "datasets" / "SHA256SUMS").read_text().splitlines() if line)
    assert hashlib.sha256(mesh.read_bytes()).hexdigest() == sums["synthetic_mesh.csv"]

    capsys.readouterr()
    bad = tmp_path / "bad.csv"
    assert main(["data", "synth", "--kind", "social", "--period", "3", "--out", str(bad)]) == 2
    assert main(["data", "synth", "--links-per-node", "3", "--out", str(bad)]) == 2
    assert main(["data", "synth", "--kind", "social", "--nodes", "1", "--out", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "--period does not apply to --kind social" in err and "num_nodes=1" in err
    assert not bad.exists()
