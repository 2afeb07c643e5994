r"""Sparse GCN -> per-node LSTM over a batch of windows: the GCN-GAN encoder without
:math:`N \times N` tensors.

A batch of ``B`` windows of ``W`` snapshots is one graph: the disjoint union of ``B * W``
copies of the ``M`` nodes being computed (:class:`SparseWindowBatch`), copy ``b * W + w``
holding snapshot ``w`` of window ``b`` with node ``i`` at local index
``(b * W + w) * M + i``. Each layer is a :class:`torch_geometric.nn.GCNConv` (its weights,
its normalisation) propagating all copies at once through one CSR matrix
(:class:`PropagationOperator`, kept with the batch); a shared ``batch_first`` LSTM then
reads each node's ``W`` embeddings.

Direction convention
--------------------
``edge_index = [src; dst]`` (row = source, as ``adj[t, src, dst]``). With the default
``flow="source_to_target"`` messages go ``src -> dst``: node ``j`` aggregates over its
*incoming* links with in-degree normalisation, which equals the dense encoder's
:func:`~gcngan.nn.gcn.dense_gcn_norm` and ``DenseGCNConv(x, A.T)`` (tested).
``flow="target_to_source"`` aggregates over outgoing links (``DenseGCNConv(x, A)``);
``mirror=True`` adds every link in both directions (messages both ways, the undirected
union of a directed snapshot).

Which nodes
-----------
A node's GCN output depends on its own input and its neighbours' only, so the batch
needs just the nodes the caller asks about (the candidate pairs' endpoints) plus every
endpoint of the window's links: ``M <= N``. Memory is :math:`O(B W E + B W M d)`; a node
without a link in a snapshot gets its self-loop only.
"""
from __future__ import annotations

import warnings

from dataclasses import dataclass, field
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gcngan.nn.gcn import normalize_rows

FLOWS = ("source_to_target", "target_to_source")


@dataclass
class SparseWindowBatch:
    r"""``B`` windows of ``W`` sparse snapshots as one disjoint-union graph.

    Attributes:
        nodes (Tensor): :math:`(M,)` long, sorted global node indices computed.
        edge_index (Tensor): :math:`(2, E)` long, local ids ``(b * W + w) * M + i``.
        edge_weight (Tensor): :math:`(E,)` float, the model-scale link weights.
        batch_size (int): :math:`B`.
        window (int): :math:`W`.

    The GCN's normalised :class:`PropagationOperator` of the batch is built on first use
    and kept with it (:meth:`gcn_operator`), so a batch kept across epochs normalises its
    links once; never modify the links of a batch that has been propagated.
    """

    nodes: Tensor
    edge_index: Tensor
    edge_weight: Tensor
    batch_size: int
    window: int
    _operators: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def gcn_operator(self, *, flow: str = "source_to_target", mirror: bool = False,
                     improved: bool = False, add_self_loops: bool = True,
                     device=None, dtype=torch.float32) -> "PropagationOperator":
        """:meth:`PropagationOperator.gcn` of the batch's links (``mirror``: each also
        reversed) over its :math:`B W M` nodes, on ``device`` with ``dtype`` weights. Built
        on the first call with these arguments, then the same operator is returned: a batch
        kept across steps normalises and moves its links once."""
        key = (flow, mirror, improved, add_self_loops, torch.device(device or "cpu"), dtype)
        if key not in self._operators:
            ei, ew = self.edge_index.to(key[4]), self.edge_weight.to(key[4], dtype)
            if mirror:
                ei = torch.cat([ei, ei.flip(0)], dim=1)                    # (2, 2E)
                ew = torch.cat([ew, ew])
            self._operators[key] = PropagationOperator.gcn(
                ei, ew, self.batch_size * self.window * self.num_local, flow=flow,
                improved=improved, add_self_loops=add_self_loops, dtype=dtype)
        return self._operators[key]

    def nbytes(self) -> int:
        """Bytes of the batch's tensors and of one GCN operator of its links (built or not):
        what keeping the batch across steps costs."""
        tensors = sum(x.numel() * x.element_size()
                      for x in (self.nodes, self.edge_index, self.edge_weight))
        return tensors + PropagationOperator.nbytes_for(
            self.edge_index.shape[1], self.batch_size * self.window * self.num_local)

    @property
    def num_local(self) -> int:
        """:math:`M`, the nodes of one copy."""
        return int(self.nodes.numel())

    def local(self, node: Tensor) -> Tensor:
        """Position in :attr:`nodes` of each global index in ``node`` (any shape).

        Raises:
            ValueError: a node is not in the batch.
        """
        pos = torch.searchsorted(self.nodes, node).clamp_max(max(self.num_local - 1, 0))
        if node.numel() and (self.num_local == 0 or not bool((self.nodes[pos] == node).all())):
            raise ValueError("SparseWindowBatch.local: node not in the batch (pass it as "
                             "extra_nodes when building the batch)")
        return pos

    @classmethod
    def from_snapshots(cls, snapshots: Sequence[Sequence[tuple[Tensor, Tensor]]],
                       extra_nodes: Optional[Tensor] = None,
                       nodes: Optional[Tensor] = None) -> "SparseWindowBatch":
        r"""Stack ``B`` windows of ``W`` snapshots.

        Args:
            snapshots: ``B`` lists of ``W`` pairs ``(edge_index (2, E_bw) long,
                edge_weight (E_bw,) float)`` on global node indices (e.g.
                ``seq.edge_index(t)`` with scaled weights).
            extra_nodes (Tensor, optional): :math:`(K,)` global indices to compute as
                well (the candidate pairs' endpoints).
            nodes (Tensor, optional): :math:`(M,)` the node set itself (sorted, unique;
                must contain every endpoint); default: endpoints + ``extra_nodes``.

        Raises:
            ValueError: windows of different lengths, or ``nodes`` missing an endpoint.
        """
        if not snapshots or not snapshots[0]:
            raise ValueError("SparseWindowBatch: need at least one window of one snapshot")
        window = len(snapshots[0])
        if any(len(s) != window for s in snapshots):
            raise ValueError("SparseWindowBatch: every window needs the same length")
        flat = [pair for win in snapshots for pair in win]                 # B*W (ei, ew)
        glob = torch.cat([e.long() for e, _ in flat], dim=1)               # (2, E)
        copy = torch.cat([torch.full((e.shape[1],), k, dtype=torch.long)
                          for k, (e, _) in enumerate(flat)])               # (E,)
        weight = torch.cat([w.reshape(-1) for _, w in flat]).float()      # (E,)
        batch = cls(nodes, glob, weight, len(snapshots), window)
        if nodes is None:                                  # one sort gives nodes and local ids
            extra = (torch.zeros(0, dtype=torch.long) if extra_nodes is None
                     else extra_nodes.reshape(-1).long())
            batch.nodes, inverse = torch.unique(torch.cat([glob.reshape(-1), extra]),
                                                return_inverse=True)
            local = inverse[:glob.numel()].view(2, -1)                     # (2, E)
        else:
            local = batch.local(glob)                                      # (2, E)
        batch.edge_index = local + copy * batch.num_local                  # (2, E)
        return batch

    @classmethod
    def stack(cls, windows: Sequence["SparseWindowBatch"]) -> "SparseWindowBatch":
        r"""``B`` one-window batches as one batch of ``B`` windows on the union of their
        node sets: the same batch :meth:`from_snapshots` builds from the windows' links
        and nodes (same node order, same link order), without sorting the links again.

        Args:
            windows: ``B`` batches with ``batch_size = 1`` and the same ``window``.

        Raises:
            ValueError: no window, a batch of more than one window, or different lengths.
        """
        if not windows:
            raise ValueError("SparseWindowBatch.stack: need at least one window")
        if any(w.batch_size != 1 or w.window != windows[0].window for w in windows):
            raise ValueError("SparseWindowBatch.stack: every part must be one window of the "
                             "same length")
        if len(windows) == 1:
            return windows[0]
        W = windows[0].window
        nodes = torch.unique(torch.cat([w.nodes for w in windows]))       # (M,) sorted
        M, parts = int(nodes.numel()), []
        for b, win in enumerate(windows):
            m = max(win.num_local, 1)
            copy, pos = win.edge_index // m, win.edge_index % m             # (2, E_b) each
            parts.append((b * W + copy) * M + torch.searchsorted(nodes, win.nodes)[pos])
        return cls(nodes, torch.cat(parts, dim=1), torch.cat([w.edge_weight for w in windows]),
                   len(windows), W)


class _SparseProduct(torch.autograd.Function):
    """``op.a @ h`` for a fixed :class:`PropagationOperator` (no gradient for its values);
    backward ``op.a_t @ grad``."""

    @staticmethod
    def forward(ctx, h: Tensor, op: "PropagationOperator") -> Tensor:
        ctx.op = op
        return op.a @ h

    @staticmethod
    def backward(ctx, grad: Tensor):
        return ctx.op.a_t @ grad, None


class PropagationOperator:
    r"""A fixed sparse propagation :math:`A` (:math:`(K, K)`) held as a CSR matrix, so
    ``op(h)`` = :math:`A h` is one sparse-dense product instead of a gather, a multiply and
    a scatter per link (PyG's ``propagate``); the same sums (duplicate links add up in
    both), in another order. :math:`A^\top` (a second CSR, for the backward) is built on
    the first backward only, so a forward without gradients costs one.

    Args:
        row, col (Tensor): :math:`(L,)` long, ``A[row, col] = value`` (duplicates add up).
        value (Tensor): :math:`(L,)` float.
        num_nodes (int): :math:`K`.

    Shapes:
        - **h:** :math:`(K, C)`
        - **output:** :math:`(K, C)`
    """

    def __init__(self, row: Tensor, col: Tensor, value: Tensor, num_nodes: int) -> None:
        self.num_nodes = num_nodes
        self.a = _csr(row, col, value, num_nodes)
        self._a_t: Optional[Tensor] = None

    @property
    def a_t(self) -> Tensor:
        r""":math:`A^\top` as CSR (built on first use, then kept)."""
        if self._a_t is None:
            a = self.a
            row = torch.repeat_interleave(torch.arange(self.num_nodes, device=a.device),
                                          a.crow_indices().diff())
            self._a_t = _csr(a.col_indices(), row, a.values(), self.num_nodes)
        return self._a_t

    @classmethod
    def gcn(cls, edge_index: Tensor, edge_weight: Tensor, num_nodes: int, *,
            flow: str = "source_to_target", improved: bool = False,
            add_self_loops: bool = True, dtype=None) -> "PropagationOperator":
        r"""GCN's :math:`\hat D^{-1/2} (A + I) \hat D^{-1/2}` of the links, by
        ``torch_geometric``'s ``gcn_norm`` with ``GCNConv``'s arguments; ``flow`` as
        ``GCNConv``'s (``"source_to_target"``: node ``i`` sums over links ``j -> i``)."""
        from torch_geometric.nn.conv.gcn_conv import gcn_norm

        ei, ew = gcn_norm(edge_index, edge_weight, num_nodes, improved, add_self_loops,
                          flow, dtype)
        j, i = ei if flow == "source_to_target" else ei.flip(0)
        return cls(i, j, ew, num_nodes)

    @staticmethod
    def nbytes_for(num_links: int, num_nodes: int) -> int:
        """Bytes of a GCN operator with both CSR matrices on ``num_links`` links among
        ``num_nodes`` nodes (one self-loop each): per stored entry a long column and a float
        value, per row a long offset."""
        return 2 * (12 * (num_links + num_nodes) + 8 * (num_nodes + 1))

    def __call__(self, h: Tensor) -> Tensor:
        return _SparseProduct.apply(h, self)


def _csr(row: Tensor, col: Tensor, value: Tensor, n: int) -> Tensor:
    """:math:`(n, n)` CSR matrix with ``value`` at ``(row, col)`` (duplicates kept: a
    sparse-dense product adds them up)."""
    order = torch.argsort(row * n + col)
    crow = torch.zeros(n + 1, dtype=torch.long, device=row.device)
    crow[1:] = torch.cumsum(torch.bincount(row, minlength=n), 0)
    with warnings.catch_warnings():        # "Sparse CSR tensor support is in beta state"
        warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support",
                                category=UserWarning)
        return torch.sparse_csr_tensor(crow, col[order], value[order], (n, n),
                                       check_invariants=False)


class SparseGCNEncoder(nn.Module):
    r"""Learned node embeddings (+ optional features and noise) -> stacked sparse GCN on every
    snapshot of every window -> shared LSTM over each node's window (``batch_first=True``).

    Each GCN layer is :math:`\mathrm{dropout}(\mathrm{norm}(\mathrm{ReLU}(\mathrm{GCNConv}(h))))`
    as in :class:`~gcngan.nn.gcn.DenseGCNEncoder` (``norm`` = row-wise L2, optional).

    Args:
        num_nodes (int): :math:`N` (rows of the embedding table).
        in_channels (int): Embedding size; ``0`` = no embedding (then ``feature_channels``
            must be > 0).
        gcn_channels (Sequence[int]): Output size of each GCN layer; the last is :math:`H`.
        lstm_hidden (int): LSTM state size :math:`H_{lstm}` (= ``out_channels``).
        feature_channels (int, optional): Size of user node features ``x`` given to
            :meth:`forward`. (default: ``0``)
        noise_std (float, optional): Std of Gaussian noise added to the node inputs (the
            generator's noise; in eval mode too, as the dense path). (default: ``0.0``)
        dropout (float, optional): Dropout after each GCN layer. (default: ``0.0``)
        l2_normalize (bool, optional): L2-normalise after each layer. (default: ``True``)
        flow (str, optional): ``"source_to_target"`` or ``"target_to_source"``.
        mirror (bool, optional): Propagate along both directions of every link.
            (default: ``False``)
        convolve (bool, optional): ``False`` = no graph convolution (the "no GCN"
            ablation, ``model.encoder='none'``): each node's input goes straight to the
            LSTM at every step of its window, so its state does not depend on the links.
            (default: ``True``)
        activity (bool, optional): The first GCN layer also reads each node's
            :math:`\log(1 + \text{in-degree})` and :math:`\log(1 + \text{out-degree})` in
            each snapshot (two more input channels per copy, from ``edge_index``:
            :math:`O(E)`), so the states see when and how much a node and its neighbours
            link. Ignored without convolution. (default: ``False``)
        skip (bool, optional): The LSTM reads each node's input beside its last GCN
            layer's output (``[h_gcn, x]``, a skip connection), so the convolution can only
            add to what the node's own input carries. Ignored without convolution.
            (default: ``False``)
        random_channels (int, optional): Fixed random input channels per node (a buffer
            drawn once from ``random_seed``, :math:`\mathcal N(0, 1/R)`, not trained) beside
            the embedding: propagated by the GCN they sketch each node's neighbourhood
            (products of two nodes' states then count shared paths, as random-projection
            link predictors do), the same for any data of :math:`N` nodes.
            (default: ``0``)
        random_seed (int, optional): Seed of the random channels. (default: ``0``)

    Shapes:
        - **batch:** :class:`SparseWindowBatch` with :math:`B, W, M, E`
        - **x:** :math:`(N, F_x)` or ``None``
        - **output:** :math:`(B, M, H_{lstm})`, the LSTM output after the last snapshot, for
          ``batch.nodes``
    """

    def __init__(self, num_nodes: int, in_channels: int, gcn_channels: Sequence[int],
                 lstm_hidden: int, feature_channels: int = 0, noise_std: float = 0.0,
                 dropout: float = 0.0, l2_normalize: bool = True,
                 flow: str = "source_to_target", mirror: bool = False,
                 convolve: bool = True, activity: bool = False, skip: bool = False,
                 random_channels: int = 0, random_seed: int = 0) -> None:
        super().__init__()
        from torch_geometric.nn import GCNConv

        if flow not in FLOWS:
            raise ValueError(f"SparseGCNEncoder: flow={flow!r} is not one of {', '.join(FLOWS)}")
        if not gcn_channels:
            raise ValueError("SparseGCNEncoder: gcn_channels must list at least one layer size")
        if in_channels < 0 or feature_channels < 0 or in_channels + feature_channels == 0:
            raise ValueError(f"SparseGCNEncoder: in_channels={in_channels} + feature_channels="
                             f"{feature_channels} must be > 0 (and neither negative)")
        self.num_nodes = num_nodes
        self.in_channels = in_channels
        self.feature_channels = feature_channels
        self.gcn_channels = [int(c) for c in gcn_channels]
        self.lstm_hidden = lstm_hidden
        self.out_channels = lstm_hidden
        self.noise_std = noise_std
        self.dropout = dropout
        self.l2_normalize = l2_normalize
        self.flow = flow
        self.mirror = mirror
        self.convolve_links = convolve
        self.activity = bool(activity and convolve)
        self.skip = bool(skip and convolve)
        if in_channels:
            self.embedding = nn.Embedding(num_nodes, in_channels)
        else:
            self.register_module("embedding", None)
        self.random_channels = int(random_channels)
        if self.random_channels:
            gen = torch.Generator().manual_seed(int(random_seed))
            self.register_buffer("random_inputs", torch.randn(
                num_nodes, self.random_channels, generator=gen) / self.random_channels ** 0.5)
        inputs = in_channels + feature_channels + self.random_channels
        sizes = [inputs + 2 * self.activity] + self.gcn_channels
        if not convolve:
            sizes = sizes[:1]                                              # no layer at all
        self.convs = nn.ModuleList(GCNConv(a, b, flow=flow) for a, b in zip(sizes[:-1], sizes[1:]))
        self.lstm = nn.LSTM(sizes[-1] + self.skip * inputs, lstm_hidden, batch_first=True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.embedding is not None:
            nn.init.normal_(self.embedding.weight, std=1.0 / self.in_channels ** 0.5)
        for conv in self.convs:
            conv.reset_parameters()
        self.lstm.reset_parameters()

    def node_inputs(self, nodes: Tensor, x: Optional[Tensor] = None) -> Tensor:
        """Inputs of ``nodes`` (M,): ``[embedding, x, random]`` (+ noise), :math:`(M, F)`."""
        parts = []
        if self.embedding is not None:
            parts.append(self.embedding(nodes))                            # (M, F_emb)
        if self.feature_channels:
            if x is None or x.shape[-1] != self.feature_channels:
                raise ValueError(f"SparseGCNEncoder: expected node features x of size "
                                 f"{self.feature_channels}, got "
                                 f"{None if x is None else tuple(x.shape)}")
            parts.append(x[nodes].to(parts[0].dtype if parts else torch.float32))
        if self.random_channels:
            parts.append(self.random_inputs[nodes])                        # (M, R), fixed
        h = torch.cat(parts, dim=-1) if len(parts) > 1 else parts[0]      # (M, F)
        if self.noise_std > 0:
            h = h + self.noise_std * torch.randn_like(h)
        return h

    def convolve(self, batch: SparseWindowBatch, x: Optional[Tensor] = None) -> Tensor:
        """The GCN part: embeddings of every node in every snapshot, :math:`(B, W, M, H)`
        (with ``skip``: :math:`(B, W, M, H + F)`, the node inputs appended; without
        convolution: the node inputs, :math:`(B, W, M, F)`)."""
        B, W, M = batch.batch_size, batch.window, batch.num_local
        h0 = self.node_inputs(batch.nodes.to(self._device()), x)           # (M, F)
        if not self.convolve_links:
            return h0.expand(B, W, M, h0.shape[-1])                        # (B, W, M, F)
        # every layer propagates the same graph: normalised once (GCNConv's own gcn_norm,
        # same arguments) into one sparse operator the batch keeps; each layer is
        # GCNConv.forward's lin -> propagate (a CSR product) -> bias
        conv0 = self.convs[0]
        op = batch.gcn_operator(flow=self.flow, mirror=self.mirror, improved=conv0.improved,
                                add_self_loops=conv0.add_self_loops, device=h0.device,
                                dtype=h0.dtype)
        h = self.first_projection(batch, h0)                               # (BWM, H_0)
        for k, conv in enumerate(self.convs):
            out = op(h if k == 0 else conv.lin(h))
            if conv.bias is not None:
                out = out + conv.bias
            h = F.relu(out)                                                # (BWM, H_l)
            if self.l2_normalize:
                h = normalize_rows(h)
            h = F.dropout(h, self.dropout, self.training)
        h = h.view(B, W, M, -1)                                            # (B, W, M, H)
        if self.skip:
            h = torch.cat([h, h0.expand(B, W, M, h0.shape[-1])], dim=-1)   # (B, W, M, H + F)
        return h

    def first_inputs(self, batch: SparseWindowBatch, h0: Tensor) -> Tensor:
        r"""What the first GCN layer reads: every copy's node inputs ``h0`` :math:`(M, F)`,
        with ``activity`` beside each copy's :math:`\log(1 + \text{in-degree})` and
        :math:`\log(1 + \text{out-degree})`: :math:`(B W M, F [+ 2])`. The encoder itself
        computes only its projection (:meth:`first_projection`)."""
        h = h0.repeat(batch.batch_size * batch.window, 1)                  # (BWM, F)
        if self.activity:
            h = torch.cat([h, self._log_degrees(batch, h)], dim=-1)        # (BWM, F + 2)
        return h

    def first_projection(self, batch: SparseWindowBatch, h0: Tensor) -> Tensor:
        r"""The first GCN layer's ``lin`` of :meth:`first_inputs`, :math:`(B W M, H_0)`.

        Every copy holds the same node inputs ``h0`` :math:`(M, F)`, so they are projected
        once and repeated (a product of :math:`M` rows, not :math:`B W M`); with
        ``activity`` each copy's degree channels add their part. Equal to
        ``lin(first_inputs(batch, h0))`` (tested)."""
        lin = self.convs[0].lin
        f_in = h0.shape[-1]
        copies = batch.batch_size * batch.window
        h = F.linear(h0, lin.weight[:, :f_in]).repeat(copies, 1)           # (BWM, H_0)
        if self.activity:
            h = h + F.linear(self._log_degrees(batch, h), lin.weight[:, f_in:])
        if lin.bias is not None:
            h = h + lin.bias
        return h

    @staticmethod
    def _log_degrees(batch: SparseWindowBatch, like: Tensor) -> Tensor:
        """:math:`(B W M, 2)` log1p in- and out-degree of each node in its copy."""
        ei = batch.edge_index.to(like.device)
        k = like.shape[0]
        deg = torch.stack([torch.bincount(ei[1], minlength=k),
                           torch.bincount(ei[0], minlength=k)], dim=1)
        return torch.log1p(deg.to(like.dtype))

    def forward(self, batch: SparseWindowBatch, x: Optional[Tensor] = None,
                rows: Optional[Tensor] = None) -> Tensor:
        r"""Each node's state after its window: :math:`(B, M, H_{lstm})`; with ``rows``
        (:math:`(R,)` long indices into the :math:`B M` flattened ``(window, node)`` rows,
        ``b * M + i``) only those states, :math:`(R, H_{lstm})`: the GCN still propagates
        every node of every snapshot, the LSTM reads only the rows asked for (each node's
        LSTM is its own, so they are the same states)."""
        h = self.convolve(batch, x)                                        # (B, W, M, H)
        B, W, M, H = h.shape
        # step w of every node's sequence is copy w of each window: (B, M, H) as (BM, H),
        # a view for one window (no (BM, W, H) copy of the whole batch)
        steps = [s.reshape(B * M, H) for s in h.unbind(1)]                 # W x (BM, H)
        if rows is not None:
            rows = rows.to(h.device)
            return self._lstm_steps([s.index_select(0, rows) for s in steps], rows.numel())
        return self._lstm_steps(steps, B * M).reshape(B, M, self.lstm_hidden)

    def _lstm_steps(self, steps: Sequence[Tensor], size: int) -> Tensor:
        """:attr:`lstm`'s last output after reading ``steps`` (``W`` tensors
        :math:`(S, H)`) from a zero state, :math:`(S, H_{lstm})`."""
        lstm = self.lstm
        h = lstm.weight_ih_l0.new_zeros(size, self.lstm_hidden)            # (S, H_lstm)
        c = torch.zeros_like(h)
        for x in steps:
            h, c = torch.lstm_cell(x, (h, c), lstm.weight_ih_l0, lstm.weight_hh_l0,
                                   lstm.bias_ih_l0, lstm.bias_hh_l0)
        return h

    def lstm_last(self, seq: Tensor) -> Tensor:
        r"""Last output of :attr:`lstm` (``batch_first``) on ``seq`` :math:`(S, W, H)` ->
        :math:`(S, H_{lstm})`, computed step by step with the module's own weights
        (``torch.lstm_cell``, zero start state). Same result and gradients as
        ``self.lstm(seq)[0][:, -1]``, but memory stays :math:`O(S W H_{lstm})`: on CPU
        ``nn.LSTM`` goes through oneDNN, whose workspace was about 2,600 floats per sequence
        at ``W = 3`` (420 MB for 40,000 nodes) and which ran 3-4x slower here. The cell
        took 20% less time (forward and backward, 3,338 sequences, ``W = 10``) and a third
        less memory (40,000 sequences) than the same steps written out gate by gate."""
        return self._lstm_steps(seq.unbind(1), seq.shape[0])             # W x (S, H)

    def _device(self) -> torch.device:
        return self.lstm.weight_ih_l0.device

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.num_nodes}, {self.in_channels}, "
                f"{self.gcn_channels}, lstm_hidden={self.lstm_hidden})")
