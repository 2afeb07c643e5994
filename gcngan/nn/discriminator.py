r"""The critic (discriminator): an MLP over the flattened snapshot, raw scores out."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import Tensor, nn

CONDITIONS = ("none", "history")


class Critic(nn.Module):
    r"""MLP critic :math:`N^2 \to h_1 \to \ldots \to 1` with ReLU and dropout, no output
    sigmoid (WGAN scores; the BCE loss takes them as logits).

    With ``condition="history"`` the critic also sees the mean of the input window
    (a conditional GAN: "is this a plausible next snapshot *given this past*?"); its input
    is then :math:`2N^2` wide.

    Args:
        num_nodes (int): :math:`N`.
        hidden_channels (Sequence[int]): Hidden layer sizes, e.g. ``[512, 256, 64]``.
        dropout (float, optional): Dropout after each hidden layer. (default: ``0.0``)
        condition (str, optional): ``"none"`` or ``"history"``. (default: ``"none"``)

    Shapes:
        - **adj:** :math:`(B, N, N)`
        - **adj_seq:** :math:`(B, W, N, N)`, needed when ``condition="history"``
        - **output:** :math:`(B,)` scores
    """

    def __init__(self, num_nodes: int, hidden_channels: Sequence[int], dropout: float = 0.0,
                 condition: str = "none") -> None:
        super().__init__()
        if condition not in CONDITIONS:
            raise ValueError(f"Critic: condition={condition!r} is not one of "
                             f"{', '.join(CONDITIONS)}")
        self.num_nodes = num_nodes
        self.hidden_channels = [int(h) for h in hidden_channels]
        self.dropout = dropout
        self.condition = condition
        in_channels = num_nodes * num_nodes * (2 if condition == "history" else 1)
        self.in_channels = in_channels
        layers: list[nn.Module] = []
        for h in self.hidden_channels:
            layers += [nn.Linear(in_channels, h), nn.Dropout(dropout), nn.ReLU()]
            in_channels = h
        layers.append(nn.Linear(in_channels, 1))
        self.mlp = nn.Sequential(*layers)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                m.reset_parameters()

    def forward(self, adj: Tensor, adj_seq: Optional[Tensor] = None) -> Tensor:
        x = adj.flatten(1)                                               # (B, N*N)
        if self.condition == "history":
            if adj_seq is None:
                raise ValueError("Critic(condition='history') needs adj_seq")
            x = torch.cat([x, adj_seq.mean(dim=1).flatten(1)], dim=1)    # (B, 2*N*N)
        return self.mlp(x).squeeze(-1)                                   # (B,)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}"
                f"{', condition=history' if self.condition == 'history' else ''})")


def build_critic(config, num_nodes: int) -> Critic:
    """Build the :class:`Critic` described by a :class:`~gcngan.config.ModelConfig`."""
    return Critic(num_nodes, config.critic_hidden, dropout=config.dropout,
                  condition=config.critic_condition)
