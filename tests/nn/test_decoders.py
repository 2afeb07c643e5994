import pytest
import torch
from torch import nn

from gcngan.config import ModelConfig
from gcngan.errors import ConfigError
from gcngan.nn import DECODERS, DenseDecoder, build_decoder, build_generator, register_decoder


def small(**kw):
    base = dict(noise_dim=4, gcn_channels=[4, 3], lstm_hidden=8, critic_hidden=[6, 4],
                dropout=0.0)
    base.update(kw)
    return ModelConfig(**base)


def test_dense_decoder_shape_range_and_uses_last_state():
    d = DenseDecoder(8, 5)
    h = torch.randn(2, 3, 8)
    out = d(h, torch.rand(2, 3, 5, 5))
    assert out.shape == (2, 5, 5) and torch.all((out > 0) & (out < 1))
    h2 = h.clone()
    h2[:, 0] += 1.0                          # earlier steps do not matter
    torch.testing.assert_close(d(h2, None), out)
    assert repr(d) == "DenseDecoder(8, num_nodes=5)"


def test_decoder_registry_is_pluggable():
    class MeanDecoder(nn.Module):
        def forward(self, h, adj_seq):
            return adj_seq.mean(1)

    @register_decoder("test-mean")
    def _build(config, in_channels, num_nodes):
        return MeanDecoder()

    try:
        cfg = small()
        object.__setattr__(cfg, "decoder", "test-mean")
        g = build_generator(cfg, 5)
        adj_seq = torch.rand(2, 4, 5, 5)
        torch.testing.assert_close(g(adj_seq), adj_seq.mean(1))
    finally:
        DECODERS.pop("test-mean")
    cfg = small()
    object.__setattr__(cfg, "decoder", "nope")
    with pytest.raises(ConfigError, match="registered decoders: .*dense"):
        build_decoder(cfg, 8, 5)
