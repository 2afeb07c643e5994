"""Fixtures of the model tests."""
from __future__ import annotations

import pytest

from gcngan.config import ModelConfig


@pytest.fixture
def small():
    """``small(**changes)``: a tiny ModelConfig (fast to build and run) with ``changes``."""
    def make(**kw) -> ModelConfig:
        base = dict(noise_dim=4, gcn_channels=[4, 3], lstm_hidden=8, critic_hidden=[6, 4],
                    dropout=0.0)
        base.update(kw)
        return ModelConfig(**base)
    return make
