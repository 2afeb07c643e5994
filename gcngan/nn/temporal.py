r"""Temporal model: an LSTM over the per-snapshot embeddings of a window.

``impl="fused"`` (default) runs ``nn.LSTM``'s kernel (oneDNN on the CPU, cuDNN on CUDA).
``impl="unrolled"`` applies the same parameters with one matrix product per step in plain
autograd ops: a readable reference of the computation that also supports double backward
(cuDNN's LSTM does not, pytorch/pytorch#5261). Both give the same result (tested), share
one ``state_dict`` layout (``lstm.weight_ih_l0`` ...), and ran at the same speed on the
2-core CPU for the ``paper`` preset (~300 training windows/s on mesh1).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

IMPLS = ("fused", "unrolled")


class TemporalLSTM(nn.Module):
    r"""``nn.LSTM(batch_first=True)`` whose sequence is the window of flattened snapshot
    embeddings; returns the whole output sequence and the last step's hidden state.

    Args:
        in_channels (int): Size of one step's input, :math:`N \cdot H`.
        hidden_channels (int): LSTM state size :math:`H_{lstm}`.
        num_layers (int, optional): Stacked LSTM layers. (default: ``1``)
        dropout (float, optional): Dropout between stacked layers (ignored for one layer).
            (default: ``0.0``)
        impl (str, optional): ``"fused"`` (``nn.LSTM`` kernel) or ``"unrolled"`` (one
            matmul per step, double-backward capable). (default: ``"fused"``)

    Shapes:
        - **seq:** :math:`(B, W, N \cdot H)`
        - **output:** ``(out, last)`` with ``out`` :math:`(B, W, H_{lstm})` and
          ``last`` :math:`(B, H_{lstm})` (``out[:, -1]``)
    """

    def __init__(self, in_channels: int, hidden_channels: int, num_layers: int = 1,
                 dropout: float = 0.0, impl: str = "fused") -> None:
        super().__init__()
        if impl not in IMPLS:
            raise ValueError(f"TemporalLSTM: impl={impl!r} is not one of {', '.join(IMPLS)}")
        self.impl = impl
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.dropout = dropout
        self.lstm = nn.LSTM(in_channels, hidden_channels, num_layers=num_layers,
                            batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.lstm.reset_parameters()

    def forward(self, seq: Tensor) -> tuple[Tensor, Tensor]:
        if self.impl == "fused":
            out, _ = self.lstm(seq)                                      # (B, W, H_lstm)
        else:
            out = self._unrolled(seq)                                    # (B, W, H_lstm)
        return out, out[:, -1]                                           # (B, H_lstm)

    def _unrolled(self, seq: Tensor) -> Tensor:
        """``nn.LSTM`` semantics (gates i, f, g, o; zero initial state), one matmul per step."""
        x = seq
        for layer in range(self.num_layers):
            w_ih = getattr(self.lstm, f"weight_ih_l{layer}")             # (4H, D)
            w_hh = getattr(self.lstm, f"weight_hh_l{layer}")             # (4H, H)
            b = getattr(self.lstm, f"bias_ih_l{layer}") + getattr(self.lstm, f"bias_hh_l{layer}")
            xw = F.linear(x, w_ih, b)                                    # (B, W, 4H)
            w_hh_t = w_hh.t()                                            # (H, 4H)
            h = c = None
            outs = []
            for t in range(xw.shape[1]):
                gates = xw[:, t] if h is None else torch.addmm(xw[:, t], h, w_hh_t)  # (B, 4H)
                i, f, g, o = gates.chunk(4, dim=1)
                i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
                g = torch.tanh(g)
                c = i * g if c is None else torch.addcmul(i * g, f, c)   # (B, H)
                h = o * torch.tanh(c)
                outs.append(h)
            x = torch.stack(outs, dim=1)                                 # (B, W, H)
            if layer < self.num_layers - 1 and self.lstm.dropout > 0:
                x = F.dropout(x, self.lstm.dropout, self.training)
        return x

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels})"


class NodeTemporalLSTM(nn.Module):
    r"""One LSTM shared by all nodes, run over each node's own sequence of embeddings
    (``model.temporal='node'``): per-node states for decoders that score node pairs.

    Args:
        in_channels (int): Size of one step's input, :math:`N \cdot H` (as
            :class:`TemporalLSTM`, so the generator wires both alike).
        hidden_channels (int): LSTM state size :math:`H_{lstm}`.
        num_nodes (int): :math:`N`.
        num_layers (int, optional): Stacked LSTM layers. (default: ``1``)
        dropout (float, optional): Dropout between stacked layers. (default: ``0.0``)

    Shapes:
        - **seq:** :math:`(B, W, N \cdot H)`
        - **output:** ``(out, last)`` with ``out`` :math:`(B, W, N, H_{lstm})` and
          ``last`` :math:`(B, N, H_{lstm})`
    """

    def __init__(self, in_channels: int, hidden_channels: int, num_nodes: int,
                 num_layers: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        if in_channels % num_nodes:
            raise ValueError(f"NodeTemporalLSTM: in_channels={in_channels} is not a multiple "
                             f"of num_nodes={num_nodes}")
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.num_nodes = num_nodes
        self.lstm = TemporalLSTM(in_channels // num_nodes, hidden_channels, num_layers, dropout)

    def reset_parameters(self) -> None:
        self.lstm.reset_parameters()

    def forward(self, seq: Tensor) -> tuple[Tensor, Tensor]:
        B, W, _ = seq.shape
        N = self.num_nodes
        x = seq.reshape(B, W, N, -1).transpose(1, 2).reshape(B * N, W, -1)  # (B*N, W, H)
        out, _ = self.lstm(x)                                               # (B*N, W, H_lstm)
        out = out.reshape(B, N, W, -1).transpose(1, 2)                      # (B, W, N, H_lstm)
        return out, out[:, -1]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}, " \
               f"num_nodes={self.num_nodes})"
