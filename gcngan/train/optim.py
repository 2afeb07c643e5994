r"""Adam whose embedding tables update lazily: only the rows a step's loss reached
(``train.lazy_embeddings``).

With plain Adam every row of a node-embedding table :math:`(N, F)` takes a step each
update, also the rows whose gradient is zero (their moments keep moving them), so an
update costs :math:`O(N F)` whatever the batch: at :math:`N = 100{,}000` and
:math:`F = 32` about 24 ms per step on one core, the larger part of a step's growth with
:math:`N`. :class:`LazyRowAdam` updates a lazy parameter group the way TensorFlow's
``LazyAdam`` and PyTorch's ``SparseAdam`` do: the rows with a non-zero gradient take
Adam's step (their moments updated, bias correction by the parameter's step count), the
other rows and their moments stay as they are. Every other group is plain
:class:`torch.optim.Adam` (the same state, so checkpoints keep their format: ``step``,
``exp_avg``, ``exp_avg_sq`` per parameter, a ``lazy_rows`` flag per group).

A lazy parameter's gradient may be dense (its zero rows untouched) or sparse, the row
gradient :func:`use_row_gradients` makes the tables produce (``nn.Embedding(sparse=True)``):
then the backward writes only the rows looked up and the update reads only those, so
neither allocates, zeroes nor scans the :math:`(N, F)` table (about 15 ms of a 115 ms
step at :math:`N = 100{,}000`). The trainer's gradient clipping
(:func:`gcngan.train.runtime.clip_grad_norm`) and data-parallel sync take either.
"""
from __future__ import annotations

import math
from typing import Iterable

import torch
from torch import Tensor, nn


def embedding_groups(module: nn.Module) -> list[dict]:
    """``module``'s parameters as optimiser groups: the weights of its
    :class:`torch.nn.Embedding` tables (``lazy_rows=True``) and the rest (``False``);
    a group without parameters is left out."""
    tables = {id(m.weight) for m in module.modules() if isinstance(m, nn.Embedding)}
    params = list(module.parameters())
    lazy = [p for p in params if id(p) in tables]
    dense = [p for p in params if id(p) not in tables]
    return [g for g in ({"params": dense, "lazy_rows": False},
                        {"params": lazy, "lazy_rows": True}) if g["params"]]


def use_row_gradients(module: nn.Module) -> int:
    """Make every :class:`torch.nn.Embedding` of ``module`` produce sparse row gradients
    (``sparse=True``: the rows looked up, not an :math:`(N, F)` tensor); the forward and the
    weights are unchanged. Only for optimisers that take them (:class:`LazyRowAdam`).

    Returns:
        int: the tables switched.
    """
    tables = [m for m in module.modules() if isinstance(m, nn.Embedding)]
    for m in tables:
        m.sparse = True
    return len(tables)


class LazyRowAdam(torch.optim.Adam):
    r""":class:`torch.optim.Adam` with lazy row updates for the groups marked
    ``lazy_rows=True`` (see the module docstring): for a parameter :math:`(R, F)` with
    gradient :math:`G`, the rows :math:`r` with :math:`G_r \ne 0` take

    .. math::
        m_r \leftarrow \beta_1 m_r + (1 - \beta_1) g_r, \quad
        v_r \leftarrow \beta_2 v_r + (1 - \beta_2) g_r^2, \quad
        \theta_r \leftarrow \theta_r - \frac{\eta}{1 - \beta_1^k}
        \frac{m_r}{\sqrt{v_r / (1 - \beta_2^k)} + \epsilon}

    (:math:`g_r = G_r + \lambda \theta_r` with weight decay :math:`\lambda`, :math:`k` the
    parameter's step count), the other rows nothing. A row reached at every step follows
    exactly Adam's path. A sparse gradient (:func:`use_row_gradients`) gives the same
    step as its dense equal: its rows with a non-zero entry. ``amsgrad`` and ``maximize``
    are plain Adam's only.
    """

    def __init__(self, params: Iterable, **kwargs) -> None:
        super().__init__(params, **kwargs)
        for group in self.param_groups:
            group.setdefault("lazy_rows", False)
            if group["lazy_rows"] and (group["amsgrad"] or group["maximize"]):
                raise ValueError("LazyRowAdam: a lazy_rows group takes neither amsgrad nor "
                                 "maximize")

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        hidden = []                        # lazy parameters' gradients, hidden from Adam
        for group in self.param_groups:
            if group.get("lazy_rows"):
                for p in group["params"]:
                    if p.grad is not None:
                        hidden.append((group, p, p.grad))
                        p.grad = None
        try:
            super().step()
        finally:
            for _, p, grad in hidden:
                p.grad = grad
        for group, p, grad in hidden:
            self._lazy_step(group, p, grad)
        return loss

    def _lazy_step(self, group: dict, p: Tensor, grad: Tensor) -> None:
        """Adam's step on the rows of ``p`` (dim 0) where ``grad`` (dense or sparse) is
        non-zero."""
        state = self.state[p]
        if not state:
            state["step"] = torch.zeros((), dtype=torch.float32)
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["step"] += 1
        rows, g = _nonzero_rows(grad)                                        # (K,), (K, F)
        if rows.numel() == 0:
            return
        beta1, beta2 = group["betas"]
        k = float(state["step"])
        if group["weight_decay"]:
            g = g.add(p.index_select(0, rows), alpha=group["weight_decay"])
        m = state["exp_avg"].index_select(0, rows).mul_(beta1).add_(g, alpha=1 - beta1)
        v = state["exp_avg_sq"].index_select(0, rows).mul_(beta2).addcmul_(
            g, g, value=1 - beta2)
        state["exp_avg"].index_copy_(0, rows, m)
        state["exp_avg_sq"].index_copy_(0, rows, v)
        denom = (v.sqrt() / math.sqrt(1 - beta2 ** k)).add_(group["eps"])
        lr = float(group["lr"])
        p.index_add_(0, rows, m.div_(denom), alpha=-lr / (1 - beta1 ** k))


def _nonzero_rows(grad: Tensor) -> tuple[Tensor, Tensor]:
    """The rows of ``grad`` :math:`(R, F)` with a non-zero (or NaN) entry and their values:
    ``(rows (K,) long ascending, values (K, F))``; a sparse ``grad`` (rows along dim 0) is
    read through its coalesced entries only."""
    if grad.is_sparse:
        grad = grad.coalesce()
        rows, values = grad.indices()[0], grad.values()                      # (K,), (K, F)
        keep = values.reshape(rows.numel(), -1).abs().amax(dim=1).ne(0)
        return rows[keep], values[keep]
    # abs().amax() is 4x faster than ne().any()
    rows = grad.reshape(grad.shape[0], -1).abs().amax(dim=1).ne(0).nonzero().squeeze(1)
    return rows, grad.index_select(0, rows)
