"""The synthetic mesh: determinism, structure, learnability, and the committed dataset."""
from __future__ import annotations

import hashlib

import pytest
import torch

from gcngan.config import DataConfig
from gcngan.data import load_snapshots
from gcngan.data.registry import REPO_ROOT
from gcngan.data.synthetic import MeshSpec, generate_mesh
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
