"""Windows and the chronological split: shapes, batching, and no target leakage."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gcngan.data import WindowDataset, chronological_split
from gcngan.errors import InputError


def test_paper_protocol_split():
    s = chronological_split(445, 10, val=10, test=50)
    assert (s.train, s.val, s.test) == (range(10, 385), range(385, 395), range(395, 445))
    assert s["test"] is s.test
    with pytest.raises(InputError, match="unknown split"):
        s["dev"]


@settings(max_examples=50, deadline=None)
@given(t=st.integers(2, 120), w=st.integers(1, 20), val=st.integers(0, 15),
       test=st.integers(0, 40))
def test_split_has_no_target_leakage(t, w, val, test):
    try:
        s = chronological_split(t, w, val=val, test=test)
    except InputError:
        assert w >= t or val + test >= t - w
        return
    train, v, te = set(s.train), set(s.val), set(s.test)
    assert not (train & v or train & te or v & te)
    assert train | v | te == set(range(w, t))                       # every target used once
    assert max(train) < min(v | te | {t})                           # chronological
    assert (not v) or max(v) < min(te | {t})
    # no training window (history or target) touches a validation/test target
    assert all(tr < min(v | te | {t}) for tr in train)
    assert len(s.test) == test and len(s.val) == val


@pytest.mark.parametrize("t, w", [(10, 10), (5, 12)])
def test_window_longer_than_data(t, w):
    with pytest.raises(InputError, match=f"window {w} is longer than the data: {t} snapshots"):
        chronological_split(t, w, val=0, test=0)


@pytest.mark.parametrize("snapshots, window, val, test", [
    (445, 10, 10, 50),          # enough targets: 10 and 50
    (97, 10, 10, 21),           # 87 targets: test capped at 25%
    (26, 10, 4, 4),             # 16 targets: both capped at 25%
    (13, 10, 1, 1),             # 3 targets: at least one each
])
def test_default_split_keeps_most_targets_for_training(snapshots, window, val, test):
    """No val/test given: 10 and 50, each at most 25% of the targets (at least 1)."""
    s = chronological_split(snapshots, window)
    assert (len(s.val), len(s.test)) == (val, test)
    assert len(s.train) == snapshots - window - val - test > 0
    assert chronological_split(snapshots, window, val=1).val == range(s.test.start - 1,
                                                                      s.test.start)


def test_val_test_leave_no_training_target():
    with pytest.raises(InputError, match="leave no training target"):
        chronological_split(20, 10, val=5, test=5)
    with pytest.raises(InputError, match="--val 1 \\+ --test 1 targets leave no training"):
        chronological_split(12, 10)                                # 2 targets: 1 + 1 + 0


def test_window_dataset_items_and_batch(tiny_adj):
    ds = WindowDataset(tiny_adj, window=3, targets=range(3, 12))
    assert len(ds) == 9 and "window=3" in repr(ds)
    hist, target = ds[0]
    assert hist.shape == (3, 8, 8) and torch.equal(hist, tiny_adj[0:3])
    assert torch.equal(target, tiny_adj[3])
    hist_b, target_b = ds.batch([0, 4, 8])
    assert hist_b.shape == (3, 3, 8, 8) and target_b.shape == (3, 8, 8)
    for k, i in enumerate([0, 4, 8]):
        h, y = ds[i]
        assert torch.equal(hist_b[k], h) and torch.equal(target_b[k], y)
    assert not any(k.startswith("_t") or k == "t" for k in vars(ds))   # no iterator state
    with pytest.raises(InputError, match="targets must lie in"):
        WindowDataset(tiny_adj, window=3, targets=[2])


def test_validation_on_empty_snapshots_is_refused_naming_the_empty_stretch():
    from gcngan.data.windows import check_validation_targets

    adj = torch.ones(30, 3, 3)
    split = chronological_split(30, 5, val=5, test=10)             # val targets 15..19
    check_validation_targets(adj, split)                            # links: fine
    adj[13:22] = 0
    with pytest.raises(InputError, match=r"x.csv: the validation targets \(snapshots 15\.\.19\) "
                                         r"are all empty \(snapshots 13\.\.21 hold no link\)"):
        check_validation_targets(adj, split, "x.csv")
    adj[17, 0, 1] = 2.0                                             # one link is enough
    check_validation_targets(adj, split)
    check_validation_targets(torch.zeros(30, 3, 3), chronological_split(30, 5, val=0, test=10))


def test_validation_check_from_link_counts_matches_dense():
    from gcngan.data import SnapshotSequence
    from gcngan.data.windows import check_validation_targets

    adj = torch.ones(30, 3, 3)
    adj[13:22] = 0
    split = chronological_split(30, 5, val=5, test=10)
    seq = SnapshotSequence(adj, [0, 1, 2], directed=True)
    messages = []
    for arg in (adj, seq, seq.link_counts()):
        with pytest.raises(InputError) as err:
            check_validation_targets(arg, split, "x.csv")
        messages.append(str(err.value))
    assert messages[0] == messages[1] == messages[2]
    adj[17, 0, 1] = 2.0
    check_validation_targets(SnapshotSequence(adj, [0, 1, 2], directed=True), split)


def test_window_dataset_over_a_sequence_is_lazy(tiny_adj):
    from gcngan.data import Scaler, SnapshotSequence

    t, s, d = torch.nonzero(tiny_adj, as_tuple=True)
    seq = SnapshotSequence.from_edges(t.numpy(), s.numpy(), d.numpy(),
                                      tiny_adj[t, s, d].numpy(), 12, list(range(8)), True,
                                      Scaler("linear", 100.0))
    ds = WindowDataset(seq, window=3, targets=range(3, 12))
    assert ds.span(2) == (range(2, 5), 5) and seq._dense is None      # indices, no tensors
    hist, target = ds[2]
    assert torch.equal(hist, tiny_adj[2:5] / 100.0) and torch.equal(target, tiny_adj[5] / 100.0)
    raw = WindowDataset(seq, window=3, targets=[11], scaled=False)
    assert torch.equal(raw.batch([0])[1][0], tiny_adj[11])
    with pytest.raises(InputError, match="targets must lie in"):
        WindowDataset(seq, window=3, targets=[12])
