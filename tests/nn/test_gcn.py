import pytest
import torch
from torch_geometric.nn import DenseGCNConv, GCNConv

from gcngan.nn.gcn import DenseGCNEncoder, DenseGCNLayer, dense_gcn_norm


def _weighted(n=6, seed=0, directed=True):
    g = torch.Generator().manual_seed(seed)
    adj = torch.rand(n, n, generator=g) * (torch.rand(n, n, generator=g) < 0.5)
    adj.fill_diagonal_(0)
    return adj if directed else (adj + adj.T) / 2


def test_norm_matches_pyg_gcnconv_and_dense_on_transpose():
    adj = _weighted()
    x = torch.randn(6, 3)
    ours = DenseGCNLayer(3, 4)
    conv = GCNConv(3, 4, bias=False)
    dense = DenseGCNConv(3, 4, bias=False)
    with torch.no_grad():
        conv.lin.weight.copy_(ours.lin.weight)
        dense.lin.weight.copy_(ours.lin.weight)
    out = ours(x, dense_gcn_norm(adj))
    src, dst = adj.nonzero(as_tuple=True)
    ref_sparse = conv(x, torch.stack([src, dst]), adj[src, dst])
    ref_dense = dense(x, adj.T.unsqueeze(0)).squeeze(0)
    torch.testing.assert_close(out, ref_sparse, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out, ref_dense, atol=1e-5, rtol=1e-5)


def test_target_to_source_flow_uses_adj_itself():
    adj = _weighted(seed=1)
    torch.testing.assert_close(dense_gcn_norm(adj, flow="target_to_source"),
                               dense_gcn_norm(adj.T))
    with pytest.raises(ValueError, match="flow"):
        dense_gcn_norm(adj, flow="sideways")


def test_norm_hand_case():
    # one link 0 -> 1 of weight 3: receiver 1 has degree 1 + 3 = 4, node 0 degree 1
    adj = torch.tensor([[0.0, 3.0], [0.0, 0.0]])
    s = dense_gcn_norm(adj)
    expected = torch.tensor([[1.0, 0.0], [3.0 / 2.0, 1.0 / 4.0]])
    torch.testing.assert_close(s, expected)


def test_encoder_batches_all_graphs_like_a_loop():
    torch.manual_seed(0)
    enc = DenseGCNEncoder(5, [4, 3]).eval()
    adj_seq = torch.rand(2, 3, 6, 6)
    x = torch.rand(2, 3, 6, 5)
    out = enc(x, adj_seq)
    assert out.shape == (2, 3, 6, 3)
    for b in range(2):
        for w in range(3):
            one = enc(x[b, w][None, None], adj_seq[b, w][None, None])[0, 0]
            torch.testing.assert_close(out[b, w], one)
    # rows are L2-normalised (reference behaviour) or zero
    norms = out.norm(dim=-1)
    assert torch.all(((norms - 1).abs() < 1e-5) | (norms < 1e-6))


def test_encoder_broadcasts_shared_node_inputs_and_repr():
    enc = DenseGCNEncoder(4, [3])
    out = enc(torch.rand(6, 4), torch.rand(2, 3, 6, 6))
    assert out.shape == (2, 3, 6, 3)
    assert repr(enc) == "DenseGCNEncoder(4, [3])"
    assert repr(DenseGCNLayer(4, 3)) == "DenseGCNLayer(4, 3)"


def test_normalize_rows_equals_functional_normalize_values_and_gradient():
    """normalize_rows (the GCN layers' row L2 norm, a hand-written backward) gives
    F.normalize's values and gradient, also on rows that are zero or below eps."""
    import torch.nn.functional as F

    from gcngan.nn.gcn import normalize_rows

    torch.manual_seed(0)
    x = torch.relu(torch.randn(6, 5, 4, dtype=torch.float64))
    x[0, 0] = 0.0                                  # a zero row (all ReLU inputs negative)
    x[0, 1] = 1e-14                                # below eps: clamped
    grad = torch.randn_like(x)
    a = x.clone().requires_grad_(True)
    b = x.clone().requires_grad_(True)
    ya, yb = normalize_rows(a), F.normalize(b, p=2.0, dim=-1)
    torch.testing.assert_close(ya, yb)
    (ga,) = torch.autograd.grad(ya, a, grad)
    (gb,) = torch.autograd.grad(yb, b, grad)
    torch.testing.assert_close(ga, gb)
    assert torch.autograd.gradcheck(normalize_rows,
                                    (torch.randn(3, 4, dtype=torch.float64, requires_grad=True),))
