r"""Batched dense GCN over weighted snapshots.

Direction convention
--------------------
Our adjacency is ``adj[..., src, dst]`` (row = source, column = destination). Messages flow
along links, from ``src`` to ``dst``, as in PyG's default ``flow="source_to_target"``: node
``j`` aggregates over its *incoming* links, so the propagation matrix is built from
:math:`A^\top` and degrees are in-degrees (column sums of :math:`A`). With this convention

* ``dense_gcn_norm(adj) @ x`` equals PyG's ``GCNConv`` propagation with
  ``edge_index = [src; dst]`` and ``edge_weight = adj[src, dst]``, and
* equals ``DenseGCNConv(x, adj.transpose(-1, -2))``

(for a zero diagonal; PyG's dense layer *sets* the diagonal to 1 where we *add* :math:`I`).
``flow="target_to_source"`` uses :math:`A` itself (aggregation over outgoing links, as the
GCN-GAN reference code does). For undirected (symmetric) snapshots both are identical.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

FLOWS = ("source_to_target", "target_to_source")


class _RowL2Normalize(torch.autograd.Function):
    """``F.normalize(x, p=2, dim=-1, eps)`` with a backward of four passes over ``x``
    instead of autograd's chain through the norm, the clamp and the division."""

    @staticmethod
    def forward(ctx, x: Tensor, eps: float) -> Tensor:
        norm = torch.linalg.vector_norm(x, 2, dim=-1, keepdim=True)           # (..., 1)
        inv = norm.clamp_min(eps).reciprocal_()
        y = x * inv
        ctx.save_for_backward(y, inv, norm)
        ctx.eps = eps
        return y

    @staticmethod
    def backward(ctx, grad: Tensor):
        y, inv, norm = ctx.saved_tensors
        # d(x / n) = (g - y <g, y>) / n where n = |x| > eps; where clamped, n = eps is a
        # constant and the gradient is g / eps
        dot = (grad * y).sum(-1, keepdim=True).masked_fill_(norm < ctx.eps, 0.0)
        return (grad - y * dot) * inv, None


def normalize_rows(x: Tensor, eps: float = 1e-12) -> Tensor:
    r"""Each row of ``x`` :math:`(\ldots, C)` divided by its L2 norm (at least ``eps``):
    ``torch.nn.functional.normalize(x, p=2, dim=-1, eps=eps)``, the same values and
    gradient (tested) at about half the cost of its backward."""
    return _RowL2Normalize.apply(x, eps)


def dense_gcn_norm(adj: Tensor, add_self_loops: bool = True,
                   flow: str = "source_to_target") -> Tensor:
    r"""Symmetrically normalised propagation matrix
    :math:`\hat D^{-1/2}(\tilde A + I)\hat D^{-1/2}`.

    :math:`\tilde A = A^\top` for ``flow="source_to_target"`` (default), else :math:`A`;
    :math:`\hat D` is the diagonal of row sums of :math:`\tilde A + I`. Rows of the result
    are receivers. Nodes of degree 0 (only without self-loops) get zero rows/columns.

    Args:
        adj (Tensor): Weights, shape :math:`(\ldots, N, N)`, ``adj[..., src, dst]``.
        add_self_loops (bool, optional): Add :math:`I` first. (default: ``True``)
        flow (str, optional): ``"source_to_target"`` or ``"target_to_source"``.

    Returns:
        Tensor: Shape :math:`(\ldots, N, N)`.

    Examples:
        >>> dense_gcn_norm(torch.zeros(2, 2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    if flow not in FLOWS:
        raise ValueError(f"dense_gcn_norm: flow={flow!r} is not one of {', '.join(FLOWS)}")
    a = adj.transpose(-1, -2) if flow == "source_to_target" else adj
    if add_self_loops:
        n = a.shape[-1]
        a = a + torch.eye(n, dtype=a.dtype, device=a.device)
    deg = a.sum(dim=-1)                                                  # (..., N)
    inv_sqrt = deg.clamp_min(1e-12).rsqrt()
    inv_sqrt = torch.where(deg > 0, inv_sqrt, torch.zeros_like(inv_sqrt))
    return inv_sqrt.unsqueeze(-1) * a * inv_sqrt.unsqueeze(-2)


class DenseGCNLayer(nn.Module):
    r"""One graph convolution :math:`S X \Theta (+ b)` on a precomputed propagation matrix
    :math:`S` (see :func:`dense_gcn_norm`), for any number of graphs at once.

    Args:
        in_channels (int): Input feature size :math:`F`.
        out_channels (int): Output feature size :math:`H`.
        bias (bool, optional): Learn an additive bias. (default: ``False``, as the reference)

    Shapes:
        - **x:** :math:`(G, N, F)` or :math:`(N, F)` (shared by all graphs)
        - **support:** :math:`(G, N, N)`
        - **output:** :math:`(G, N, H)`
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = False) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.lin.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor, support: Tensor) -> Tensor:
        out = torch.matmul(support, self.lin(x))                         # (G, N, H)
        if self.bias is not None:
            out = out + self.bias
        return out

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels})"


class DenseGCNEncoder(nn.Module):
    r"""Stacked GCN over every snapshot of every window in one batched call
    (Kipf & Welling, arXiv:1609.02907), as in GCN-GAN's structural encoder.

    Each layer computes :math:`\mathrm{dropout}(\mathrm{norm}(\mathrm{ReLU}(S X \Theta)))`
    where :math:`S = \hat D^{-1/2}(\tilde A + I)\hat D^{-1/2}` is built once per batch and
    ``norm`` is row-wise L2 normalisation (the reference code's choice,
    :func:`normalize_rows`).

    Args:
        in_channels (int): Node-input size :math:`F`.
        channels (Sequence[int]): Output size of each layer; the last is :math:`H`.
        dropout (float, optional): Dropout after each layer. (default: ``0.0``)
        l2_normalize (bool, optional): L2-normalise node embeddings after each layer.
            (default: ``True``)
        flow (str, optional): Message direction, see the module docstring.
            (default: ``"source_to_target"``)

    Shapes:
        - **x:** :math:`(B, W, N, F)` or :math:`(N, F)` (broadcast to every snapshot)
        - **adj_seq:** :math:`(B, W, N, N)`, weights in :math:`[0, 1]`
        - **output:** :math:`(B, W, N, H)`
    """

    def __init__(self, in_channels: int, channels: Sequence[int], dropout: float = 0.0,
                 l2_normalize: bool = True, flow: str = "source_to_target") -> None:
        super().__init__()
        if flow not in FLOWS:
            raise ValueError(f"DenseGCNEncoder: flow={flow!r} is not one of {', '.join(FLOWS)}")
        if not channels:
            raise ValueError("DenseGCNEncoder: channels must list at least one layer size")
        self.in_channels = in_channels
        self.channels = [int(c) for c in channels]
        self.out_channels = self.channels[-1]
        self.dropout = dropout
        self.l2_normalize = l2_normalize
        self.flow = flow
        sizes = [in_channels] + self.channels
        self.layers = nn.ModuleList(DenseGCNLayer(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for layer in self.layers:
            layer.reset_parameters()

    def forward(self, x: Tensor, adj_seq: Tensor, support: Optional[Tensor] = None) -> Tensor:
        B, W, N, _ = adj_seq.shape
        if support is None:
            support = dense_gcn_norm(adj_seq.reshape(B * W, N, N), flow=self.flow)  # (BW, N, N)
        h = x.reshape(B * W, N, x.shape[-1]) if x.dim() == 4 else x     # (BW, N, F) | (N, F)
        for layer in self.layers:
            h = F.relu(layer(h, support))                                # (BW, N, H_l)
            if self.l2_normalize:
                h = normalize_rows(h)
            h = F.dropout(h, self.dropout, self.training)
        return h.reshape(B, W, N, self.out_channels)                     # (B, W, N, H)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.channels})"

