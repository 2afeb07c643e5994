"""The sparse GCN encoder: direction convention against PyG's dense layer, the disjoint
union of a batch, the per-node LSTM, node inputs, gradients."""
from __future__ import annotations

import pytest
import torch
from torch_geometric.nn import DenseGCNConv

from gcngan.nn.gcn import dense_gcn_norm
from gcngan.nn.sparse_gcn import PropagationOperator, SparseGCNEncoder, SparseWindowBatch


def _directed(n: int = 6, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(n, n, generator=g) * (torch.rand(n, n, generator=g) < 0.4)
    a.fill_diagonal_(0)
    assert not torch.equal(a, a.T)
    return a                                                              # (N, N) adj[src, dst]


def _sparse(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    src, dst = a.nonzero().T
    return torch.stack([src, dst]), a[src, dst]


def _dense_layer(conv) -> DenseGCNConv:
    d = DenseGCNConv(conv.in_channels, conv.out_channels)
    d.lin.weight.data.copy_(conv.lin.weight.data)
    d.bias.data.copy_(conv.bias.data)
    return d


@pytest.mark.parametrize("flow", ["source_to_target", "target_to_source"])
def test_direction_matches_dense_gcn_conv(flow):
    """source_to_target (src -> dst messages) == DenseGCNConv(x, A.T); the other flow == A."""
    torch.manual_seed(0)
    a = _directed()
    enc = SparseGCNEncoder(6, 4, [3], 5, l2_normalize=False, flow=flow)
    batch = SparseWindowBatch.from_snapshots([[_sparse(a)]], nodes=torch.arange(6))
    h = enc.convolve(batch)[0, 0]                                         # (N, 3)
    dense = _dense_layer(enc.convs[0])
    x = enc.embedding.weight
    right = a.T if flow == "source_to_target" else a
    wrong = a if flow == "source_to_target" else a.T
    assert torch.allclose(h, torch.relu(dense(x, right)[0]), atol=1e-6)
    assert not torch.allclose(h, torch.relu(dense(x, wrong)[0]), atol=1e-3)
    # and the project's own dense normalisation
    lin = x @ enc.convs[0].lin.weight.T
    ref = dense_gcn_norm(a, flow=flow) @ lin + enc.convs[0].bias
    assert torch.allclose(h, torch.relu(ref), atol=1e-6)


def test_mirror_is_the_undirected_union():
    torch.manual_seed(0)
    a = _directed()
    sym = a + a.T
    enc = SparseGCNEncoder(6, 4, [3], 5, l2_normalize=False, mirror=True)
    h = enc.convolve(SparseWindowBatch.from_snapshots([[_sparse(a)]], nodes=torch.arange(6)))
    ref = torch.relu(_dense_layer(enc.convs[0])(enc.embedding.weight, sym)[0])
    assert torch.allclose(h[0, 0], ref, atol=1e-6)


def test_batch_equals_snapshot_by_snapshot_and_lstm_per_node():
    """A B x W batch as one disjoint union gives what each snapshot gives alone, and the
    output is a shared LSTM over each node's W embeddings."""
    torch.manual_seed(1)
    n, B, W = 7, 2, 3
    snaps = [[_sparse(_directed(n, seed=10 * b + w)) for w in range(W)] for b in range(B)]
    enc = SparseGCNEncoder(n, 5, [4, 3], 6)
    enc.eval()
    batch = SparseWindowBatch.from_snapshots(snaps, nodes=torch.arange(n))
    assert batch.edge_index.max() < B * W * n and batch.num_local == n
    h = enc.convolve(batch)                                               # (B, W, N, 3)
    assert h.shape == (B, W, n, 3)
    for b in range(B):
        for w in range(W):
            alone = enc.convolve(SparseWindowBatch.from_snapshots([[snaps[b][w]]],
                                                                  nodes=torch.arange(n)))
            assert torch.allclose(h[b, w], alone[0, 0], atol=1e-6)
    out = enc(batch)                                                      # (B, N, H_lstm)
    assert out.shape == (B, n, 6)
    seq, _ = enc.lstm(h[1, :, 4].unsqueeze(0))                            # node 4, window 1
    assert torch.allclose(out[1, 4], seq[0, -1], atol=1e-6)


def test_lstm_on_asked_rows_only_gives_their_states_and_gradients():
    """``forward(batch, rows=...)`` runs the LSTM for those (window, node) rows only: the
    states and the parameters' gradients of every row asked for are those of the full
    forward."""
    torch.manual_seed(3)
    n, B, W = 7, 2, 3
    snaps = [[_sparse(_directed(n, seed=10 * b + w)) for w in range(W)] for b in range(B)]
    batch = SparseWindowBatch.from_snapshots(snaps, nodes=torch.arange(n))
    enc = SparseGCNEncoder(n, 5, [4, 3], 6)
    rows = torch.tensor([0, 5, 9, 13])                                     # b * n + i
    weight = torch.randn(rows.numel(), 6)
    grads = []
    for part in (enc(batch, rows=rows), enc(batch).flatten(0, 1)[rows]):
        assert part.shape == (4, 6)
        enc.zero_grad()
        (part * weight).sum().backward()
        grads.append([p.grad.clone() for p in enc.parameters()])
        if len(grads) == 1:
            asked = part.detach()
    assert torch.allclose(asked, part.detach(), atol=1e-6)
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-6)


def test_active_nodes_only_give_the_same_states():
    """Computing only the window's endpoints + asked nodes equals computing all N nodes."""
    torch.manual_seed(2)
    n = 50
    a = torch.zeros(n, n)
    a[3, 7], a[7, 11], a[11, 3], a[20, 7] = 0.5, 1.0, 0.2, 0.7
    snaps = [[_sparse(a), _sparse(a.T.contiguous())]]
    enc = SparseGCNEncoder(n, 4, [3], 5)
    full = enc(SparseWindowBatch.from_snapshots(snaps, nodes=torch.arange(n)))
    part_batch = SparseWindowBatch.from_snapshots(snaps, extra_nodes=torch.tensor([42]))
    assert part_batch.nodes.tolist() == [3, 7, 11, 20, 42]
    part = enc(part_batch)
    assert torch.allclose(part[0], full[0, part_batch.nodes], atol=1e-6)
    assert part_batch.local(torch.tensor([42, 3])).tolist() == [4, 0]
    with pytest.raises(ValueError, match="not in the batch"):
        part_batch.local(torch.tensor([5]))


def test_gradients_features_noise_and_validation():
    torch.manual_seed(3)
    n = 8
    snaps = [[_sparse(_directed(n, seed=s)) for s in range(2)]]
    feats = torch.randn(n, 2)
    enc = SparseGCNEncoder(n, 3, [4], 5, feature_channels=2, noise_std=0.5)
    batch = SparseWindowBatch.from_snapshots(snaps, nodes=torch.arange(n))
    out = enc(batch, feats)
    out.pow(2).sum().backward()
    for name, p in enc.named_parameters():
        assert p.grad is not None and bool(p.grad.abs().sum() > 0), name
    assert not torch.equal(enc(batch, feats), enc(batch, feats))         # noise draws differ
    quiet = SparseGCNEncoder(n, 0, [4], 5, feature_channels=2)           # features only
    assert quiet.embedding is None and quiet(batch, feats).shape == (1, n, 5)
    assert torch.equal(quiet(batch, feats), quiet(batch, feats))
    with pytest.raises(ValueError, match="node features"):
        quiet(batch)
    with pytest.raises(ValueError, match="flow"):
        SparseGCNEncoder(n, 3, [4], 5, flow="both")
    with pytest.raises(ValueError, match="must be > 0"):
        SparseGCNEncoder(n, 0, [4], 5)
    with pytest.raises(ValueError, match="same length"):
        SparseWindowBatch.from_snapshots([snaps[0], snaps[0][:1]])
    assert repr(enc) == "SparseGCNEncoder(8, 3, [4], lstm_hidden=5)"


def test_no_convolution_ablation_ignores_the_links():
    """convolve=False (model.encoder='none'): no GCN layer, the states depend on the node
    inputs only; with the convolution the same nodes' states change with the links."""
    torch.manual_seed(4)
    n = 7
    a = [[_sparse(_directed(n, seed=s)) for s in range(3)]]
    b = [[_sparse(_directed(n, seed=s + 10)) for s in range(3)]]
    nodes = torch.arange(n)
    flat = SparseGCNEncoder(n, 4, [5], 6, convolve=False)
    assert len(flat.convs) == 0 and flat.lstm.input_size == 4
    out_a = flat(SparseWindowBatch.from_snapshots(a, nodes=nodes))
    out_b = flat(SparseWindowBatch.from_snapshots(b, nodes=nodes))
    assert out_a.shape == (1, n, 6) and torch.equal(out_a, out_b)
    seq = flat.embedding(nodes).unsqueeze(1).expand(n, 3, 4)               # (N, W, F)
    assert torch.allclose(out_a[0], flat.lstm(seq)[0][:, -1], atol=1e-6)
    gcn = SparseGCNEncoder(n, 4, [5], 6)
    assert not torch.allclose(gcn(SparseWindowBatch.from_snapshots(a, nodes=nodes)),
                              gcn(SparseWindowBatch.from_snapshots(b, nodes=nodes)))


def test_activity_inputs_are_each_copys_degrees():
    """activity=True: the first layer reads [input, log1p in-degree, log1p out-degree] of each
    node in each snapshot (directed links, before any mirroring)."""
    torch.manual_seed(5)
    n = 6
    snaps = [[_sparse(_directed(n, seed=s)) for s in range(2)] for _ in range(2)]
    enc = SparseGCNEncoder(n, 3, [4], 5, activity=True, mirror=True)
    assert enc.convs[0].in_channels == 5
    batch = SparseWindowBatch.from_snapshots(snaps, nodes=torch.arange(n))
    h0 = enc.node_inputs(batch.nodes)
    inputs = enc.first_inputs(batch, h0)                                   # (BWN, F + 2)
    # the encoder projects each node's input once and adds each copy's degree part
    proj = enc.first_projection(batch, h0)
    assert torch.allclose(proj, enc.convs[0].lin(inputs), atol=1e-6)
    x = inputs.view(2, 2, n, 5)                                            # (B, W, N, F + 2)
    for b in range(2):
        for w in range(2):
            ei = snaps[b][w][0]
            want = torch.stack([torch.bincount(ei[1], minlength=n),
                                torch.bincount(ei[0], minlength=n)], 1).float().log1p()
            assert torch.allclose(x[b, w, :, 3:], want)
            assert torch.equal(x[b, w, :, :3], enc.embedding.weight)
    assert not SparseGCNEncoder(n, 3, [4], 5, activity=True, convolve=False).activity


def test_skip_appends_the_node_input_to_every_copy():
    torch.manual_seed(6)
    n = 6
    snaps = [[_sparse(_directed(n, seed=s)) for s in range(3)]]
    batch = SparseWindowBatch.from_snapshots(snaps, nodes=torch.arange(n))
    enc = SparseGCNEncoder(n, 3, [4], 5, skip=True)
    assert enc.lstm.input_size == 4 + 3
    h = enc.convolve(batch)                                                # (1, 3, N, 7)
    assert h.shape == (1, 3, n, 7)
    for w in range(3):
        assert torch.equal(h[0, w, :, 4:], enc.embedding.weight)
    plain = SparseGCNEncoder(n, 3, [4], 5)
    plain.load_state_dict({k: v for k, v in enc.state_dict().items() if "lstm" not in k},
                          strict=False)
    assert torch.allclose(plain.convolve(batch), h[..., :4])              # the GCN part as before
    assert enc(batch).shape == (1, n, 5)


@pytest.mark.parametrize("flow", ["source_to_target", "target_to_source"])
def test_propagation_operator_is_gcnconvs_propagate_with_its_gradient(flow):
    """One CSR product each way: the sums of PyG's gather-scatter on the same normalised
    links (duplicate links included), the gradient through ``A.T`` built on first backward."""
    from torch_geometric.nn import GCNConv
    from torch_geometric.nn.conv.gcn_conv import gcn_norm

    torch.manual_seed(3)
    n = 12
    ei = torch.randint(0, n, (2, 40))
    ei = torch.cat([ei, ei[:, :5]], dim=1)                               # 5 duplicate links
    ew = torch.rand(45)
    conv = GCNConv(4, 3, flow=flow)
    h = torch.randn(n, 4, requires_grad=True)
    g = torch.randn(n, 3)
    norm_ei, norm_ew = gcn_norm(ei, ew, n, flow=flow)
    ref = conv.propagate(norm_ei, x=conv.lin(h), edge_weight=norm_ew)
    (ref * g).sum().backward()
    ref_grad, h.grad = h.grad.clone(), None
    op = PropagationOperator.gcn(ei, ew, n, flow=flow)
    assert op._a_t is None                                                # no backward yet
    out = op(conv.lin(h))
    assert torch.allclose(out, ref, atol=1e-6)
    (out * g).sum().backward()
    assert op._a_t is not None
    assert torch.allclose(h.grad, ref_grad, atol=1e-6)


def test_batch_keeps_its_operator_and_counts_its_bytes():
    """A batch normalises its links once per encoder setting (kept across steps), and
    :meth:`nbytes` counts the operator it keeps beside its own tensors."""
    torch.manual_seed(0)
    batch = SparseWindowBatch.from_snapshots([[_sparse(_directed(n=7, seed=s)) for s in range(3)]],
                                             nodes=torch.arange(7))
    enc = SparseGCNEncoder(7, 4, [5, 3], 6)
    first = enc.convolve(batch)
    assert len(batch._operators) == 1
    op = next(iter(batch._operators.values()))
    assert torch.equal(enc.convolve(batch), first)
    assert next(iter(batch._operators.values())) is op and len(batch._operators) == 1
    op.a_t                                                                # both matrices built
    held = sum(x.numel() * x.element_size() for m in (op.a, op.a_t)
               for x in (m.crow_indices(), m.col_indices(), m.values()))
    tensors = sum(x.numel() * x.element_size()
                  for x in (batch.nodes, batch.edge_index, batch.edge_weight))
    assert batch.nbytes() == tensors + held


@pytest.mark.parametrize("mirror", [False, True])
def test_convolve_is_the_gcnconv_modules(mirror):
    """The encoder normalises the graph once per forward into one sparse operator and runs
    each layer's GCNConv parts itself: output and gradients are those of calling the
    GCNConv modules (which normalise per layer), up to the order of float sums."""
    import torch.nn.functional as F

    torch.manual_seed(7)
    n = 9
    snaps = [[_sparse(_directed(n, seed=s)) for s in range(3)] for _ in range(2)]
    batch = SparseWindowBatch.from_snapshots(snaps, nodes=torch.arange(n))
    enc = SparseGCNEncoder(n, 4, [5, 3], 6, mirror=mirror)

    def reference():
        ei, ew = batch.edge_index, batch.edge_weight
        if mirror:
            ei, ew = torch.cat([ei, ei.flip(0)], dim=1), torch.cat([ew, ew])
        h = enc.node_inputs(batch.nodes).repeat(6, 1)                 # B * W copies
        for conv in enc.convs:
            h = F.normalize(F.relu(conv(h, ei, ew)), p=2.0, dim=-1)
        return h.view(2, 3, n, -1)                                    # (B, W, N, H)

    out = []
    for fn in (reference, lambda: enc.convolve(batch)):
        enc.zero_grad()
        h = fn()
        (h * torch.arange(1.0, 4.0)).sum().backward()
        params = [*enc.convs.parameters(), enc.embedding.weight]       # inputs' too
        out.append((h.detach(), [p.grad.clone() for p in params]))
    assert torch.allclose(out[0][0], out[1][0], atol=1e-6)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(out[0][1], out[1][1]))


@pytest.mark.parametrize("window", [1, 2, 5])
def test_lstm_last_is_nn_lstm_output_and_gradients(window):
    """lstm_last (step by step with ``torch.lstm_cell``, zero start state) is
    ``nn.LSTM``'s last output, and so are its gradients (input and every weight)."""
    torch.manual_seed(8)
    enc = SparseGCNEncoder(5, 4, [3], 6)
    seq = torch.randn(7, window, 3)
    got = []
    for fn in (enc.lstm_last, lambda s: enc.lstm(s)[0][:, -1]):
        enc.zero_grad()
        x = seq.clone().requires_grad_(True)
        out = fn(x)
        (out * torch.arange(1.0, 7.0)).sum().backward()
        got.append((out.detach(), x.grad, [p.grad.clone() for p in enc.lstm.parameters()]))
    (a, ga, pa), (b, gb, pb) = got
    assert torch.allclose(a, b, atol=1e-6) and torch.allclose(ga, gb, atol=1e-6)
    assert all(torch.allclose(p, q, atol=1e-6) for p, q in zip(pa, pb))
    assert torch.equal(enc.lstm_last(seq[:, :0]), torch.zeros(7, 6))       # W = 0


def test_stacked_windows_are_the_batch_from_snapshots():
    """stack(one-window batches) == from_snapshots(all windows, all extra nodes): the same
    union of nodes, local ids and link order; parts must be single windows of one length."""
    g = torch.Generator().manual_seed(0)
    wins, parts, extra = [], [], []
    for b in range(3):
        win = [_sparse(_directed(9, seed=3 * b + w)) for w in range(2)]
        ends = torch.randint(0, 12, (4,), generator=g)
        wins.append(win)
        extra.append(ends)
        parts.append(SparseWindowBatch.from_snapshots([win], extra_nodes=ends))
    got = SparseWindowBatch.stack(parts)
    want = SparseWindowBatch.from_snapshots(wins, extra_nodes=torch.cat(extra))
    assert (got.batch_size, got.window) == (3, 2)
    assert torch.equal(got.nodes, want.nodes)
    assert torch.equal(got.edge_index, want.edge_index)
    assert torch.equal(got.edge_weight, want.edge_weight)
    assert SparseWindowBatch.stack(parts[:1]) is parts[0]
    with pytest.raises(ValueError, match="one window"):
        SparseWindowBatch.stack([got])
    with pytest.raises(ValueError, match="at least one"):
        SparseWindowBatch.stack([])


@pytest.mark.cuda
def test_encoder_on_cuda_is_the_cpu_encoder():
    """Same weights, same batch: the CUDA forward (CSR product on the GPU) and gradients
    equal the CPU ones (skipped without CUDA)."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA")
    torch.manual_seed(0)
    snaps = [[_sparse(_directed(n=9, seed=s)) for s in range(3)] for _ in range(2)]
    batch = SparseWindowBatch.from_snapshots(snaps, nodes=torch.arange(9))
    enc = SparseGCNEncoder(9, 4, [5, 3], 6)
    out = []
    for dev in ("cpu", "cuda"):
        e = enc.to(dev)
        e.zero_grad()
        h = e(batch)
        h.sum().backward()
        out.append((h.detach().cpu(), [p.grad.detach().cpu() for p in e.parameters()]))
    assert torch.allclose(out[0][0], out[1][0], atol=1e-5)
    assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(out[0][1], out[1][1]))


def test_forward_runs_the_lstm_over_each_nodes_window_in_order():
    """forward reads step ``w`` of node ``i`` of window ``b`` from copy ``b * W + w``: the
    same as ``nn.LSTM`` over the (B * M, W, H) sequences of the GCN output."""
    torch.manual_seed(9)
    n = 7
    snaps = [[_sparse(_directed(n, seed=s + 3 * b)) for s in range(3)] for b in range(2)]
    batch = SparseWindowBatch.from_snapshots(snaps, nodes=torch.arange(n))
    enc = SparseGCNEncoder(n, 4, [5], 6)
    h = enc.convolve(batch)                                                # (B, W, M, H)
    seq = h.permute(0, 2, 1, 3).reshape(2 * n, 3, 5)                       # (BM, W, H)
    want = enc.lstm(seq)[0][:, -1].reshape(2, n, 6)
    assert torch.allclose(enc(batch), want, atol=1e-6)


def test_random_channels_are_a_fixed_untrained_part_of_the_inputs():
    """random_channels: N(0, 1/R) inputs drawn once from the seed, a buffer (in the state
    dict, never a parameter), appended to each node's embedding; the first layer reads them."""
    a = SparseGCNEncoder(6, 3, [4], 5, random_channels=8, random_seed=1)
    b = SparseGCNEncoder(6, 3, [4], 5, random_channels=8, random_seed=1)
    assert torch.equal(a.random_inputs, b.random_inputs) and a.random_inputs.shape == (6, 8)
    assert "random_inputs" in a.state_dict()
    assert all(p is not a.random_inputs for p in a.parameters())
    assert a.convs[0].in_channels == 3 + 8
    nodes = torch.tensor([4, 0])
    h0 = a.node_inputs(nodes)
    assert torch.equal(h0[:, 3:], a.random_inputs[nodes])
    assert torch.equal(h0[:, :3], a.embedding(nodes))
    snaps = [[_sparse(_directed(6, seed=s)) for s in range(2)]]
    a(SparseWindowBatch.from_snapshots(snaps, nodes=torch.arange(6))).sum().backward()
    assert a.random_inputs.grad is None and a.embedding.weight.grad is not None
    assert not hasattr(SparseGCNEncoder(6, 3, [4], 5), "random_inputs")
