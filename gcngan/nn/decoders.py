r"""Decoders: temporal state (+ the window itself) -> next adjacency in :math:`[0, 1]`.

Every decoder has the same call signature ``decoder(h, adj_seq) -> (B, N, N)`` so the
generator never needs to know which one it holds:

* ``h`` — the LSTM output, ``(B, W, H_lstm)`` (``h[:, -1]`` is the final state);
* ``adj_seq`` — the input window ``(B, W, N, N)`` in ``[0, 1]``, for decoders that build on
  window statistics (e.g. a residual decoder around the window mean).

Decoders are registered by name with :func:`register_decoder`; the builder receives the
:class:`~gcngan.config.ModelConfig`, the LSTM size and ``N``. ``model.decoder`` in the config
selects one. A new decoder is one class + one ``@register_decoder("name")`` builder.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn

from gcngan.errors import ConfigError

DecoderBuilder = Callable[..., nn.Module]
DECODERS: dict[str, DecoderBuilder] = {}


def register_decoder(name: str) -> Callable[[DecoderBuilder], DecoderBuilder]:
    """Register ``builder(config: ModelConfig, in_channels: int, num_nodes: int) -> nn.Module``."""
    def wrap(builder: DecoderBuilder) -> DecoderBuilder:
        DECODERS[name] = builder
        return builder
    return wrap


def build_decoder(config, in_channels: int, num_nodes: int) -> nn.Module:
    """The decoder named ``config.decoder``; unknown or not-yet-available names raise."""
    if config.decoder not in DECODERS:
        raise ConfigError(f"model.decoder={config.decoder!r} is not available; "
                          f"registered decoders: {', '.join(sorted(DECODERS))}")
    return DECODERS[config.decoder](config, in_channels, num_nodes)


class DenseDecoder(nn.Module):
    r"""The paper's decoder: one fully connected layer from the final LSTM state to all
    :math:`N^2` entries, then a sigmoid: :math:`\hat A = \sigma(W h_W + b)`.

    Args:
        in_channels (int): LSTM state size :math:`H_{lstm}`.
        num_nodes (int): :math:`N`.

    Shapes:
        - **h:** :math:`(B, W, H_{lstm})`
        - **adj_seq:** :math:`(B, W, N, N)` (unused)
        - **output:** :math:`(B, N, N)` in :math:`[0, 1]`
    """

    def __init__(self, in_channels: int, num_nodes: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.num_nodes = num_nodes
        self.lin = nn.Linear(in_channels, num_nodes * num_nodes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.lin.reset_parameters()

    def forward(self, h: Tensor, adj_seq: Tensor) -> Tensor:
        n = self.num_nodes
        logits = self.lin(h[:, -1])                                      # (B, N*N)
        return torch.sigmoid(logits).view(-1, n, n)                      # (B, N, N)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, num_nodes={self.num_nodes})"


@register_decoder("dense")
def _build_dense(config, in_channels: int, num_nodes: int) -> nn.Module:
    return DenseDecoder(in_channels, num_nodes)
