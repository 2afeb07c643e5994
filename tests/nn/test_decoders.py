import pytest
import torch
from torch import nn

from gcngan.errors import ConfigError
from gcngan.nn import (DECODERS, Decoder, DenseDecoder, build_decoder, build_generator,
                       register_decoder)



def test_dense_decoder_shape_range_and_uses_last_state():
    d = DenseDecoder(8, 5)
    h = torch.randn(2, 3, 8)
    out = d(h, torch.rand(2, 3, 5, 5))
    assert out.shape == (2, 5, 5) and torch.all((out > 0) & (out < 1))
    h2 = h.clone()
    h2[:, 0] += 1.0                          # earlier steps do not matter
    torch.testing.assert_close(d(h2, None), out)
    assert repr(d) == "DenseDecoder(8, num_nodes=5)"


def test_decoder_registry_is_pluggable(small):
    class MeanDecoder(Decoder):
        def forward(self, h, adj_seq):
            return adj_seq.mean(1)

    @register_decoder("test-mean")
    def _build(config, in_channels, num_nodes, window=None, link_floor=None):
        return MeanDecoder()

    try:
        cfg = small()
        object.__setattr__(cfg, "decoder", "test-mean")
        g = build_generator(cfg, 5)
        adj_seq = torch.rand(2, 4, 5, 5)
        torch.testing.assert_close(g(adj_seq), adj_seq.mean(1))
        # the contract's defaults: parts, pooled prediction = score, mse only, no hedge
        torch.testing.assert_close(g.forward_parts(adj_seq)["pred"], adj_seq.mean(1))
        torch.testing.assert_close(g.predict(adj_seq, samples=3), adj_seq.mean(1))
        torch.testing.assert_close(g.predict_scores(adj_seq, samples=2), adj_seq.mean(1))
        assert not g.decoder.hedged and g.decoder.selection() is None
        with pytest.raises(ConfigError, match="recon='hurdle'"):
            g.decoder.reconstruction("hurdle")
    finally:
        DECODERS.pop("test-mean")
    cfg = small()
    object.__setattr__(cfg, "decoder", "nope")
    with pytest.raises(ConfigError, match="registered decoders: .*dense"):
        build_decoder(cfg, 8, 5)


# ----- residual decoder ---------------------------------------------------------------------
from gcngan.nn.residual import EDGE_FEATURES, ResidualDecoder, masked_median  # noqa: E402
from gcngan.predict import refine  # noqa: E402


@pytest.fixture
def residual_cfg(small):
    """``residual_cfg(**changes)``: :func:`small` with the residual decoder's requirements."""
    return lambda **kw: small(node_input="embedding", temporal="node", decoder="residual", **kw)


def test_residual_decoder_shapes_and_parts(residual_cfg):
    W, N = 4, 5
    g = build_generator(residual_cfg(), N, window=W)
    assert isinstance(g.decoder, ResidualDecoder)
    adj_seq = torch.rand(2, W, N, N) * (torch.rand(2, W, N, N) > 0.5)
    out = g(adj_seq)
    assert out.shape == (2, N, N) and torch.all((out >= 0) & (out <= 1))
    parts = g.forward_parts(adj_seq)
    E = int((adj_seq > 0).any(1).sum())
    for k in ("logit_e", "v", "logit_h", "H", "L"):
        assert parts[k].shape == (E,)
    torch.testing.assert_close(parts["pred"], out)
    assert g.predict(adj_seq, samples=3).shape == (2, N, N)
    with pytest.raises(ValueError, match="window"):
        ResidualDecoder(8, N, 1)


def test_untrained_residual_decoder_is_the_refined_window_median(residual_cfg):
    torch.manual_seed(0)
    W, N = 6, 4
    adj_seq = torch.rand(3, W, N, N) * (torch.rand(3, W, N, N) > 0.4)  # mixed sparsity
    g = build_generator(residual_cfg(node_noise=0.1), N, window=W).eval()
    srt = adj_seq.sort(dim=1).values
    median = srt[:, (W - 1) // 2:W // 2 + 1].mean(1)                    # numpy median
    pred = g.predict(adj_seq, samples=3)
    torch.testing.assert_close(refine(pred * 2000, 0.01), refine(median * 2000, 0.01),
                               rtol=0, atol=1e-4)
    torch.testing.assert_close(pred, median, rtol=0, atol=1e-7)


def test_hedge_moves_low_bases_towards_the_high_mode():
    W, N = 4, 3
    d = ResidualDecoder(6, N, W).eval()
    adj_seq = torch.zeros(1, W, N, N)
    adj_seq[0, :, 0, 1] = torch.tensor([0.9, 0.1, 0.2, 0.8])           # median 0.5 -> high
    adj_seq[0, :, 1, 2] = torch.tensor([0.9, 0.1, 0.2, 0.1])           # median 0.15, H = 0.9
    with torch.no_grad():
        parts = d.parts(torch.zeros(1, W, N, 6), adj_seq)
    no_hedge = d.combine(parts, float("inf"))
    hedged = d.combine(parts, 0.0)
    assert float(no_hedge[0, 1, 2]) == pytest.approx(0.15)
    ph = torch.sigmoid(torch.tensor(8.0 * (0.25 - 0.5)))
    assert float(hedged[0, 1, 2]) == pytest.approx(float(0.15 + ph * (0.9 - 0.15)), rel=1e-5)
    assert float(hedged[0, 0, 1]) < float(no_hedge[0, 0, 1])            # high base: downwards


def test_masked_median():
    x = torch.tensor([[1.0, 5.0, 3.0, 9.0], [4.0, 4.0, 0.0, 0.0]])
    m = torch.tensor([[1, 1, 1, 1], [0, 0, 0, 0]]).bool()
    torch.testing.assert_close(masked_median(x, m, -1.0), torch.tensor([4.0, -1.0]))


def test_residual_needs_node_temporal(small):
    with pytest.raises(ConfigError, match="temporal='node'"):
        small(decoder="residual")


def test_residual_base_can_weight_recent_snapshots():
    """The base value also combines the window in time order, so it can express copy-last."""
    W, N = 4, 3
    d = ResidualDecoder(6, N, W).eval()
    with torch.no_grad():                      # all base weight on the last time-ordered candidate
        bias = torch.full((2 * W,), -30.0)
        bias[-1] = 30.0
        d.mlp[-1].bias[1:1 + 2 * W] = bias
        d.init_softmax.zero_()
        d.median_weights.zero_()
    adj_seq = torch.zeros(1, W, N, N)
    adj_seq[0, :, 0, 1] = torch.tensor([0.9, 0.8, 0.7, 0.1])           # median 0.75, last 0.1
    with torch.no_grad():
        parts = d.parts(torch.zeros(1, W, N, 6), adj_seq)
    assert float(parts["v"][0]) == pytest.approx(0.1, abs=1e-6)


def test_untrained_residual_link_score_ranks_by_the_window_count(residual_cfg):
    """The hard gate zeroes entries non-zero in fewer than half the window; the link score
    (existence probability) still orders them, by how often they were non-zero."""
    W, N = 4, 4
    g = build_generator(residual_cfg(), N, window=W).eval()
    adj_seq = torch.zeros(1, W, N, N)
    adj_seq[0, :, 0, 1] = torch.tensor([0.3, 0.3, 0.3, 0.3])           # 4 of 4 non-zero
    adj_seq[0, :, 0, 2] = torch.tensor([0.0, 0.3, 0.0, 0.3])           # 2 of 4: gated on
    adj_seq[0, :, 1, 2] = torch.tensor([0.0, 0.0, 0.0, 0.3])           # 1 of 4: gated off
    pred = g.predict(adj_seq, samples=2)
    score = g.predict_scores(adj_seq, samples=2)
    assert score.shape == (1, N, N) and torch.all((score >= 0) & (score <= 1))
    assert float(pred[0, 1, 2]) == 0.0 and 0.0 < float(score[0, 1, 2]) < 0.5
    assert float(score[0, 0, 1]) > float(score[0, 0, 2]) > 0.5 > float(score[0, 1, 2])
    inactive = (adj_seq[0] > 0).any(0).logical_not()
    assert torch.all(score[0][inactive] == 0)
    parts = g.decoder.pool([g.forward_parts(adj_seq)])
    torch.testing.assert_close(g.decoder.link_score(parts)[parts["idx"]],
                               torch.sigmoid(parts["logit_e"]))


def test_dense_decoder_scores_with_its_prediction(small):
    g = build_generator(small(), 5)
    adj_seq = torch.rand(2, 3, 5, 5)
    pred = g.predict(adj_seq, samples=2, generator=torch.Generator().manual_seed(3))
    score = g.predict_scores(adj_seq, samples=2, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(score, pred)


def test_residual_features_are_computed_for_the_given_entries_only():
    """Each row holds the entry's own window statistics, the reverse entry's, then its
    log-scaled window and link indicators; nothing of size N^2 per feature is built."""
    W, N = 4, 3
    d = ResidualDecoder(6, N, W)
    adj_seq = torch.zeros(2, W, N, N)
    adj_seq[0, :, 0, 1] = torch.tensor([0.0, 0.2, 0.0, 0.6])
    adj_seq[0, :, 1, 0] = torch.tensor([0.4, 0.4, 0.4, 0.0])
    idx = (torch.tensor([0, 0]), torch.tensor([0, 1]), torch.tensor([1, 0]))
    f = d.features(adj_seq, idx)
    ef, node, win, srt = f.edge, f.node, f.win, f.srt
    for k, name in enumerate(EDGE_FEATURES):                 # named columns, in column order
        torch.testing.assert_close(f.named[name], ef[:, k])
    torch.testing.assert_close(f.named["link_share"], torch.tensor([0.5, 0.75]))
    assert ef.shape == (2, ResidualDecoder.NUM_EDGE_STATS + 2 * W) and node.shape == (2, N, 5)
    own, rev = ef[:, :14], ef[:, 14:18]
    assert own[0, 7] == pytest.approx(0.5) and own[1, 7] == pytest.approx(0.75)  # link share
    assert own[0, 12] == pytest.approx(0.1) and own[1, 12] == pytest.approx(0.4)  # median
    assert own[0, 9] == 0.0 and own[1, 9] == pytest.approx(0.25)       # since the last link
    # the reverse columns are the other entry's last log value, log median, link share, high share
    torch.testing.assert_close(rev[0], own[1, [6, 0, 7, 8]])
    torch.testing.assert_close(rev[1], own[0, [6, 0, 7, 8]])
    torch.testing.assert_close(ef[0, 18 + W:], torch.tensor([0.0, 1.0, 0.0, 1.0]))
    torch.testing.assert_close(win, adj_seq[0, :, [0, 1], [1, 0]].T)
    torch.testing.assert_close(srt, win.sort(1).values)
    torch.testing.assert_close(ef[:, 18:18 + W], d.log_scale(win))
    # node context: node 0 has one link now (to 1) and had one before (from 1); none of
    # them high (>= 0.5) before, one now
    assert node[0, 0, 2] == pytest.approx(1 / N) and node[0, 0, 3] == 0.0
    assert node[0, 0, 0] == 1.0 and node[0, 0, 4] == pytest.approx(1 / N)
    assert torch.all(node[1] == 0)
