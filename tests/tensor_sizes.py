"""The no-N^2 guards' recorder: the largest tensor any torch op returns, counted by what it
stores (a sparse tensor's ``numel()`` is its logical size, e.g. K^2 for the GCN's CSR
operator, not what it holds)."""
from __future__ import annotations

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


def stored(x: torch.Tensor) -> int:
    """Elements ``x`` holds: ``numel()`` when dense; for a sparse tensor its stored values and
    indices."""
    if x.layout == torch.strided:
        return x.numel()
    if x.layout == torch.sparse_coo:
        return x._values().numel() + x._indices().numel()
    return x.values().numel() + x.crow_indices().numel() + x.col_indices().numel()


class LargestTensor(TorchDispatchMode):
    """``with LargestTensor() as m: ...`` -> ``m.max_numel`` (:func:`stored`) and ``m.op``,
    the op that returned it."""

    def __init__(self) -> None:
        super().__init__()
        self.max_numel, self.op = 0, None

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for x in tree_flatten(out)[0]:
            if isinstance(x, torch.Tensor) and stored(x) > self.max_numel:
                self.max_numel, self.op = stored(x), str(func)
        return out
