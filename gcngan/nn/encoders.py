r"""Structural encoders by name: what the LSTM sees of each snapshot.

* ``gcn`` — :class:`~gcngan.nn.gcn.DenseGCNEncoder` over the node inputs (GCN-GAN);
* ``none`` — :class:`AdjacencyEncoder`: the snapshot itself, so the LSTM reads the flattened
  adjacency (the paper's "LSTM" baseline, with the dense decoder and MSE loss).

Both follow the encoder contract of :class:`~gcngan.nn.generator.Generator`:
``encoder(x, adj_seq) -> (B, W, N, H)``, with ``out_channels = H``.
"""
from __future__ import annotations

from typing import Callable, Optional

from torch import Tensor, nn

from gcngan.errors import ConfigError
from gcngan.nn.gcn import DenseGCNEncoder


class AdjacencyEncoder(nn.Module):
    r"""No structural encoding: row :math:`i` of snapshot :math:`A_t` is node :math:`i`'s
    embedding, so ``reshape(B, W, N * N)`` is the flattened adjacency. Ignores ``x`` and has
    no parameters.

    Args:
        num_nodes (int): :math:`N` (= ``out_channels``).

    Shapes:
        - **x:** ignored (``None`` or any node input)
        - **adj_seq:** :math:`(B, W, N, N)`
        - **output:** :math:`(B, W, N, N)`, the input itself
    """

    def __init__(self, num_nodes: int) -> None:
        super().__init__()
        self.num_nodes = num_nodes
        self.out_channels = num_nodes

    def reset_parameters(self) -> None:
        pass

    def forward(self, x: Optional[Tensor], adj_seq: Tensor) -> Tensor:
        return adj_seq                                                   # (B, W, N, N)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.num_nodes})"


def _gcn(config, in_channels: int, num_nodes: int) -> nn.Module:
    return DenseGCNEncoder(in_channels, config.gcn_channels, dropout=config.dropout)


def _none(config, in_channels: int, num_nodes: int) -> nn.Module:
    return AdjacencyEncoder(num_nodes)


#: ``name -> builder(config: ModelConfig, in_channels: int, num_nodes: int)``.
ENCODERS: dict[str, Callable[..., nn.Module]] = {"gcn": _gcn, "none": _none}

#: Encoders that read the node inputs (the others get no node-input module).
USES_NODE_INPUT = frozenset({"gcn"})


def build_encoder(config, in_channels: int, num_nodes: int) -> nn.Module:
    """The encoder named ``config.encoder``; unknown names list the choices."""
    try:
        builder = ENCODERS[config.encoder]
    except KeyError:
        raise ConfigError(f"model.encoder={config.encoder!r} is not one of "
                          f"{', '.join(ENCODERS)}") from None
    return builder(config, in_channels, num_nodes)
