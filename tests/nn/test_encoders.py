"""Structural encoders by name: ``gcn`` and ``none`` (the flattened adjacency)."""
import pytest
import torch

from gcngan.config import ModelConfig
from gcngan.errors import ConfigError
from gcngan.nn import AdjacencyEncoder, DenseGCNEncoder, build_encoder


def test_adjacency_encoder_passes_the_window_through():
    enc = AdjacencyEncoder(4)
    adj_seq = torch.rand(2, 3, 4, 4)
    out = enc(None, adj_seq)
    assert out.shape == (2, 3, 4, 4) and torch.equal(out, adj_seq)
    assert enc.out_channels == 4 and not list(enc.parameters())
    assert repr(enc) == "AdjacencyEncoder(4)"


def test_build_encoder_by_name():
    assert isinstance(build_encoder(ModelConfig(encoder="gcn"), 8, 5), DenseGCNEncoder)
    assert isinstance(build_encoder(ModelConfig(encoder="none"), 0, 5), AdjacencyEncoder)
    with pytest.raises(ConfigError, match="encoder"):
        ModelConfig(encoder="mlp")
