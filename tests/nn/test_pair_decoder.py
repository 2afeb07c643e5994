"""Pair features against a from-scratch dense numpy reference; the pair decoder's shapes,
hurdle (exact zeros), gradients, ablations and contract methods."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gcngan.data.snapshots import Scaler
from gcngan.errors import ConfigError, InputError
from gcngan.nn.decoders import Decoder
from gcngan.nn.pair_decoder import (HISTORY_FEATURES, PAIR_FEATURES, PATH_FEATURES, PairDecoder,
                                    PairFeaturizer, fit_regression, hurdle_loss, listwise_loss, pair_features)
from gcngan.structural import AdamicAdar, CommonNeighbours, PairIndex, ResourceAllocation


class EdgeSeq:
    """The least a sequence needs for the sparse features: ``edges(t)`` sorted by (src, dst)."""

    def __init__(self, adj: np.ndarray, scaler=None) -> None:
        self.adj = adj
        self.num_snapshots, self.num_nodes = adj.shape[0], adj.shape[1]
        self.scaler = scaler

    def edges(self, t):
        src, dst = np.nonzero(self.adj[t])
        return src.astype(np.int64), dst.astype(np.int64), self.adj[t, src, dst].astype(np.float32)


def _random_adj(T=7, n=9, seed=0, p=0.25):
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 6, size=(T, n, n)) * (rng.random((T, n, n)) < p)
    for t in range(T):
        np.fill_diagonal(a[t], 0)
    return a.astype(np.float32)


def _reference(adj, t, window, src, dst, denom):
    """Every feature from the dense window, by the definitions, in plain numpy."""
    win = adj[t - window:t]                                               # (W, N, N)
    rows = []
    c = (win != 0).sum(0)
    u = ((c + c.T) > 0).astype(float)
    deg = u.sum(1)
    # new[k, x, y]: x -> y linked in snapshot k and in no snapshot before it
    linked = adj != 0
    new = linked & ~(np.cumsum(linked, axis=0) - linked).astype(bool)    # (T, N, N)
    new_win = new[t - window:t]
    ewma = 0.5 * 0.5 ** np.arange(window - 1, -1, -1.0)
    ewma[0] = 0.5 ** (window - 1)
    for a, b in zip(src, dst):
        series = win[:, a, b]
        present = np.flatnonzero(series)
        cn = sum(u[a, k] * u[k, b] for k in range(adj.shape[1]))
        aa = sum(u[a, k] * u[k, b] / np.log(deg[k]) for k in range(adj.shape[1]) if deg[k] > 1)
        ra = sum(u[a, k] * u[k, b] / deg[k] for k in range(adj.shape[1]) if deg[k] > 0)
        out_links = (win[:, a, :] != 0).sum()
        active = [j + 1 for j in range(window) if (win[j, b, :] != 0).any()
                  or (win[j, :, b] != 0).any()]
        rows.append([
            len(present) / window, series.mean() / denom, series[-1] / denom,
            1.0 / (window - present[-1]) if len(present) else 0.0,
            (win[:, b, a] != 0).sum() / window,
            float((adj[:t - window, a, b] != 0).any()),
            np.log1p(cn), np.log1p(aa), np.log1p(ra),
            np.log1p(deg[a]), np.log1p(deg[b]), np.log1p(deg[a] * deg[b]),
            ewma @ series / denom,
            len(present) / out_links if out_links else 0.0,
            np.log1p((win[:, :, b] != 0).any(axis=0).sum()),
            np.log1p((win[-1, :, b] != 0).sum()),
            np.log1p(new_win[:, :, b].sum()), np.log1p(new_win[-1, :, b].sum()),
            1.0 / (window + 1 - active[-1]) if active else 0.0,
            new_win[:, a, :].sum() / out_links if out_links else 0.0])
    return np.array(rows)


def test_pair_features_match_dense_reference():
    adj = _random_adj()
    seq = EdgeSeq(adj, Scaler("linear", 5.0))
    rng = np.random.default_rng(1)
    src, dst = rng.integers(0, 9, 40), rng.integers(0, 9, 40)
    src, dst = src[src != dst], dst[src != dst]
    for t, window in ((6, 3), (7, 4), (3, 3)):
        got = pair_features(seq, t, window, src, dst)
        assert got.shape == (len(src), len(PAIR_FEATURES)) and got.dtype == torch.float32
        ref = _reference(adj, t, window, src, dst, 5.0)
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-5, atol=1e-6)
    # the signal is there: some pairs have history, some structure
    got = pair_features(seq, 7, 4, src, dst).numpy()
    assert (got[:, 0] > 0).any() and (got[:, 0] == 0).any() and (got[:, 6] > 0).any()


def test_featurizer_reuses_caches_and_agrees_with_structural():
    """One featurizer over many targets (cached unions, evicted past cache_size) gives the
    one-off results; its row-intersection CN/AA/RA equal gcngan.structural's heuristics."""
    adj = _random_adj(T=9, n=12, seed=3, p=0.3)
    adj[4, 5, 5] = 2.0                                                    # a self-loop
    index = PairIndex(EdgeSeq(adj))
    fz = PairFeaturizer(index, cache_size=2, chunk=7)
    rng = np.random.default_rng(2)
    src, dst = rng.integers(0, 12, 60), rng.integers(0, 12, 60)
    for t in (9, 5, 7, 9, 6):
        got = fz(t, 4, src, dst)
        assert torch.equal(got, pair_features(EdgeSeq(adj), t, 4, src, dst))
        assert len(fz._unions) <= 2
        for col, heuristic in zip((6, 7, 8), (CommonNeighbours(), AdamicAdar(),
                                              ResourceAllocation())):
            ref = heuristic.score_pairs(index, t, src, dst, 4)[0]
            np.testing.assert_allclose(got[:, col].numpy(), np.log1p(ref), rtol=1e-6,
                                       atol=1e-6)


@pytest.mark.parametrize("rows", ["dense", "dense, one per block", "sparse"])
@pytest.mark.parametrize("block_entries", [1, 40, 1 << 21])
def test_paths_of_three_match_dense_powers(block_entries, rows, monkeypatch):
    """paths_of_three: the number of paths u - a - b - v in the window's union U
    (``(U^3)[u, v]``) and their sum of 1 / (d_a d_b) (``(U D^-1 U D^-1 U)[u, v]``), whatever
    the two-hop block size (one source per block at 1 entry) and however the sources'
    two-hop rows are held (dense scatter-adds, at most one row a block, or sparse
    products); with ``paths`` the featurizer appends their log1p after PAIR_FEATURES."""
    import gcngan.structural as structural

    if rows == "sparse":
        monkeypatch.setattr(structural, "PATH_DENSE_ZEROS_PER_ENTRY", 0)
    elif rows == "dense, one per block":
        monkeypatch.setattr(structural, "PATH_DENSE_ENTRIES", 14)
    adj = _random_adj(T=9, n=14, seed=4, p=0.04)
    adj[5, 3, 3] = 1.0                                                    # a self-loop
    index = PairIndex(EdgeSeq(adj))
    fz = PairFeaturizer(index, paths=True)
    rng = np.random.default_rng(3)
    src, dst = rng.integers(0, 14, 120), rng.integers(0, 14, 120)
    for t, window in ((9, 4), (6, 3)):
        u = (adj[t - window:t] != 0).any(axis=0)
        u = (u | u.T).astype(float)                                       # undirected union
        deg = u.sum(axis=1)
        inv = np.diag(np.where(deg > 0, 1.0 / np.maximum(deg, 1.0), 0.0))
        got = fz.paths_of_three(t, window, src, dst, block_entries=block_entries)
        np.testing.assert_allclose(got[:, 0], (u @ u @ u)[src, dst])
        np.testing.assert_allclose(got[:, 1], (u @ inv @ u @ inv @ u)[src, dst], rtol=1e-12)
        assert (got[:, 0] > 0).any() and (got[:, 0] == 0).any()
        feats = fz(t, window, src, dst)
        assert feats.shape == (src.size, len(PAIR_FEATURES) + len(PATH_FEATURES))
        assert torch.equal(feats[:, :len(PAIR_FEATURES)], pair_features(index, t, window, src, dst))
        np.testing.assert_allclose(feats[:, len(PAIR_FEATURES):].numpy(),
                                   np.log1p(got).astype(np.float32), rtol=1e-6)
    assert fz.paths_of_three(9, 4, src[:0], dst[:0]).shape == (0, 2)


def test_history_features_count_the_pairs_links_before_the_window():
    """HISTORY_FEATURES (after the paths): the share of snapshots 0 .. t-W-1 with u -> v and
    1 / (t - its last one there), from the dense array; zeros when the window starts the
    data; the other columns unchanged."""
    adj = _random_adj(T=12, n=8, seed=5, p=0.2)
    index = PairIndex(EdgeSeq(adj))
    fz = PairFeaturizer(index, paths=True, history=True)
    src, dst = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    src, dst = src.ravel(), dst.ravel()
    width = len(PAIR_FEATURES) + len(PATH_FEATURES)
    for t, window in ((12, 4), (9, 3), (3, 3)):
        feats = fz(t, window, src, dst)
        assert feats.shape == (src.size, width + len(HISTORY_FEATURES))
        assert torch.equal(feats[:, :width],
                           PairFeaturizer(index, paths=True)(t, window, src, dst))
        before = adj[:t - window, src, dst] != 0                          # (t-W, P)
        share = before.mean(axis=0) if t > window else np.zeros(src.size)
        last = np.where(before.any(axis=0),
                        t - window - 1 - np.argmax(before[::-1], axis=0), -1) \
            if t > window else np.full(src.size, -1)
        recency = np.where(last >= 0, 1.0 / (t - last), 0.0)
        np.testing.assert_allclose(feats[:, width:].numpy(),
                                   np.stack([share, recency], 1).astype(np.float32), rtol=1e-6)
        if t > window:
            assert (share > 0).any() and (share == 0).any() and (recency < 1 / window).all()


@pytest.mark.parametrize("paths, history", [(False, False), (True, False), (True, True),
                                           (False, True)])
def test_a_sparse_generator_reads_the_features_of_its_featurizer(paths, history):
    """``SparseGenerator.featurizer`` gives the columns its decoder was built for (the one
    place the trainer and the predictor get their featurizer from)."""
    from gcngan.config import build_config
    from gcngan.nn.sparse_model import SparseGenerator

    mc = build_config("sparse", overrides=[f"path_features={paths}",
                                           f"history_features={history}"]).model
    index = PairIndex(EdgeSeq(_random_adj(T=8, n=6, seed=2)))
    fz = SparseGenerator(6, mc).featurizer(index)
    assert (fz.paths, fz.history, fz.index) == (paths, history, index)
    feats = fz(8, 4, np.array([0, 1]), np.array([2, 3]))
    assert feats.shape == (2, SparseGenerator(6, mc).decoder.pair_channels)


def test_pair_features_refuse_bad_input():
    seq = EdgeSeq(_random_adj())
    with pytest.raises(InputError, match="full window"):
        pair_features(seq, 2, 3, [0], [1])
    with pytest.raises(InputError, match="out of range"):
        pair_features(seq, 5, 3, [0], [9])
    with pytest.raises(InputError, match="destinations"):
        pair_features(seq, 5, 3, [0, 1], [2])


def test_decoder_shapes_gradients_and_hurdle():
    torch.manual_seed(0)
    P, H, F = 50, 6, len(PAIR_FEATURES)
    dec = PairDecoder(H, F, hidden_channels=16)
    h_src = torch.randn(P, H, requires_grad=True)
    h_dst = torch.randn(P, H, requires_grad=True)
    feats = torch.rand(P, F)
    parts = dec.parts(h_src, h_dst, feats)
    assert all(parts[k].shape == (P,) for k in ("logit", "prob", "weight", "pred"))
    assert bool(((parts["weight"] > 0) & (parts["weight"] < 1)).all())
    assert torch.allclose(parts["pred"], parts["prob"] * parts["weight"])
    target = torch.where(torch.rand(P) < 0.3, torch.rand(P), torch.zeros(P))
    loss = dec.reconstruction("hurdle")(parts, target)
    loss.backward()
    assert h_src.grad.abs().sum() > 0 and h_dst.grad.abs().sum() > 0
    for name, p in dec.named_parameters():
        assert p.grad is not None, name
    # hurdle point prediction: the weight where prob > threshold, exact zeros elsewhere
    with torch.no_grad():
        parts = dec.parts(h_src, h_dst, feats)
        parts["prob"] = torch.linspace(0, 1, P)
        pred = dec.combine(parts)
    assert bool((pred[parts["prob"] <= 0.5] == 0).all())
    assert torch.equal(pred[parts["prob"] > 0.5], parts["weight"][parts["prob"] > 0.5])
    assert torch.equal(dec.link_score(parts), parts["prob"])
    pooled = dec.pool([parts, {**parts, "prob": 1 - parts["prob"]}])
    assert torch.allclose(pooled["prob"], torch.full((P,), 0.5))
    assert dec.selection() is None and not dec.hedged and isinstance(dec, Decoder)
    with pytest.raises(ConfigError, match="hurdle"):
        dec.reconstruction("mse")


def test_hurdle_loss_by_hand():
    parts = {"logit": torch.tensor([0.0, 2.0]), "weight": torch.tensor([0.5, 0.25])}
    target = torch.tensor([0.0, 0.75])
    bce = (np.log(2) + np.log1p(np.exp(-2.0))) / 2
    assert float(hurdle_loss(parts, target)) == pytest.approx(bce + 0.25, rel=1e-6)
    assert float(hurdle_loss(parts, torch.zeros(2))) == pytest.approx(
        (np.log(2) + np.log1p(np.exp(2.0))) / 2, rel=1e-6)


def test_decoder_ablations_and_linear_term():
    torch.manual_seed(1)
    P, H, F = 10, 4, 5
    feats = torch.rand(P, F)
    no_gcn = PairDecoder(0, F)
    assert no_gcn(None, None, feats)[0].shape == (P,)
    no_struct = PairDecoder(H, 0)
    assert no_struct(torch.randn(P, H), torch.randn(P, H), None)[0].shape == (P,)
    # the linear term on the features starts at zero and adds a^T f to the logit
    dec = PairDecoder(H, F)
    h = torch.randn(P, H)
    before = dec(h, h, feats)[0]
    with torch.no_grad():
        dec.linear.weight.fill_(1.0)
    assert torch.allclose(dec(h, h, feats)[0], before + feats.sum(-1), atol=1e-6)
    with pytest.raises(ValueError, match="pair features"):
        dec(h, h, None)
    with pytest.raises(ValueError, match="node states"):
        dec(None, None, feats)
    with pytest.raises(ValueError, match="not both 0"):
        PairDecoder(0, 0)
    assert repr(dec) == "PairDecoder(4, 5, hidden_channels=64)"


def test_regression_init_makes_the_untrained_decoder_the_regression():
    """After init_regression the logit is the fitted regression's on standardised features,
    whatever the node states (train mode, dropout on), and the MLP still gets gradients."""
    torch.manual_seed(0)
    P, H, F = 300, 6, 4
    feats = torch.randn(P, F) * torch.tensor([3.0, 0.1, 1.0, 0.0]) + 2.0  # a constant column
    label = (feats[:, 0] - 0.5 * feats[:, 2] + torch.randn(P)) > 2.0
    fit = fit_regression(feats, label, l2=1e-3)
    assert fit["scale"][3] == 1.0 and fit["coef"][3] == 0.0
    # the fit is the penalised optimum: zero gradient of mean log-loss + l2/2 |coef|^2
    beta = torch.tensor([fit["intercept"], *fit["coef"].tolist()], dtype=torch.float64,
                        requires_grad=True)
    z = ((feats - fit["mean"]) / fit["scale"]).double()
    m = beta[0] + z @ beta[1:]
    loss = torch.nn.functional.binary_cross_entropy_with_logits(m, label.double()) + \
        0.5e-3 * (beta[1:] ** 2).sum()
    loss.backward()
    assert float(beta.grad.abs().max()) < 1e-6
    assert fit["coef"][0] > 0 > fit["coef"][2]
    dec = PairDecoder(H, F, hidden_channels=16, dropout=0.5)
    dec.init_regression(fit)
    want = (fit["intercept"] + z @ fit["coef"].double()).float()
    for _ in range(2):
        logit, weight = dec(torch.randn(P, H), torch.randn(P, H), feats)
        assert torch.allclose(logit, want, atol=1e-5)
    h = torch.randn(P, H, requires_grad=True)
    parts = dec.parts(h, h, feats)
    hurdle_loss(parts, label.float()).backward()
    assert dec.out.weight.grad[0].abs().sum() > 0                     # the MLP can learn
    assert dec.feat_mean.requires_grad is False and "feat_scale" in dec.state_dict()
    with pytest.raises(ValueError, match="no pair features"):
        PairDecoder(H, 0).init_regression(fit)


def test_listwise_loss_is_the_per_query_softmax_cross_entropy():
    torch.manual_seed(2)
    query = torch.tensor([2, 0, 0, 1, 2, 0, 1, 1, 2, 1])
    positive = torch.tensor([0, 1, 0, 0, 1, 0, 0, 1, 0, 0]).bool()
    logit = (torch.randn(10) * 5).requires_grad_()
    got = listwise_loss(logit, query, positive)
    want = torch.stack([-torch.log_softmax(logit[query == q], 0)[positive[query == q]][0]
                        for q in range(3)]).mean()
    assert torch.allclose(got, want, atol=1e-6)
    got.backward()
    assert logit.grad[positive].lt(0).all() and logit.grad[~positive].gt(0).all()
    assert float(listwise_loss(logit, query, torch.zeros(10, dtype=torch.bool))) == 0.0
    big = torch.tensor([1000.0, 0.0])                                     # stable
    assert float(listwise_loss(big, torch.zeros(2, dtype=torch.long),
                               torch.tensor([True, False]))) == pytest.approx(0.0)
