import pandas as pd
import pytest
import torch

from gcngan.baselines import CopyLast
from gcngan.data import Scaler, SnapshotSequence
from gcngan.predict import (evaluate_split, forecast, predict_split, predict_targets, refine,
                            score_split, time_labels, write_predictions)


def test_refine_steps():
    p = torch.tensor([[5.0, 0.004, -1.0], [2.0, 1.0, float("nan")], [0.5, 3.0, 7.0]])
    d = refine(p, epsilon=0.01, directed=True)
    assert torch.equal(d.diagonal(), torch.zeros(3))
    assert d[0, 1] == 0 and d[0, 2] == 0 and d[1, 2] == 0 and d[1, 0] == 2.0
    u = refine(p, epsilon=0.01, directed=False)
    torch.testing.assert_close(u, u.T)
    assert float(u[0, 1]) == pytest.approx(1.002)
    # batched and the input is untouched
    b = refine(torch.stack([p, p]), 0.01, True)
    assert b.shape == (2, 3, 3) and p[0, 0] == 5.0


def seq(T=8, N=3):
    g = torch.Generator().manual_seed(0)
    adj = torch.rand(T, N, N, generator=g) * 10
    adj[:, range(N), range(N)] = 0
    return SnapshotSequence(adj=adj, node_ids=["a", "b", "c"], directed=True,
                            scaler=Scaler("linear", 10.0))


def test_predict_split_uses_true_windows_and_refines():
    s = seq()
    pred, target = predict_split(CopyLast(), s, [5, 6, 7], 3, epsilon=0.01)
    torch.testing.assert_close(pred, refine(s.adj[4:7], 0.01, True), atol=1e-5, rtol=1e-6)
    torch.testing.assert_close(target, s.adj[5:8])
    with pytest.raises(Exception, match="targets must lie"):
        predict_targets(CopyLast(), s.scaled(), [2], 3)


def test_forecast_feeds_predictions_back():
    s = seq()
    out = forecast(CopyLast(), s.scaled(), 3, 3, scaler=s.scaler, epsilon=0.01, directed=True)
    assert out.shape == (3, 3, 3)
    last = refine(s.adj[-1], 0.01, True)
    for k in range(3):
        torch.testing.assert_close(out[k], last, atol=1e-5, rtol=1e-6)


def test_write_predictions_csv(tmp_path):
    s = seq()
    pred, _ = predict_split(CopyLast(), s, [6, 7], 3, epsilon=0.01)
    path = tmp_path / "p.csv"
    n = write_predictions(path, pred, time_labels(s, [6, 7]), s.node_ids)
    df = pd.read_csv(path)
    assert list(df.columns) == ["t", "src", "dst", "weight"] and len(df) == n
    assert set(df.t) == {6, 7} and set(df.src) <= {"a", "b", "c"}
    assert (df.weight > 0).all() and (df.src != df.dst).all()
    rebuilt = torch.zeros(2, 3, 3)
    ids = {"a": 0, "b": 1, "c": 2}
    for r in df.itertuples():
        rebuilt[r.t - 6, ids[r.src], ids[r.dst]] = r.weight
    torch.testing.assert_close(rebuilt, pred, atol=1e-4, rtol=1e-6)


def test_time_labels_extrapolate_event_buckets():
    s = seq()
    assert time_labels(s, [3, 9]) == [3, 9]
    s.times = [100 + 60 * k for k in range(8)]
    assert time_labels(s, [0, 7, 8, 9]) == [100, 520, 580, 640]


def test_write_predictions_subtracts_the_ingestion_offset(tmp_path):
    import pandas as pd

    from gcngan.predict import write_predictions

    pred = torch.tensor([[[0.0, 3.0], [5.0, 0.0]]])
    assert write_predictions(tmp_path / "p.csv", pred, [7], ["a", "b"], offset=5.0) == 2
    df = pd.read_csv(tmp_path / "p.csv")
    assert df.values.tolist() == [[7, "a", "b", -2], [7, "b", "a", 0]]   # rows: non-zero links


class _Ranker(CopyLast):
    """Predicts copy-last; scores links with the true next snapshot (a perfect oracle)."""

    def __init__(self, adj_scaled):
        self.adj = adj_scaled

    def predict_scores(self, adj_seq):
        # the target of a window is the snapshot after it: find it by matching the window
        out = []
        for w in adj_seq:
            t = next(t for t in range(w.shape[0], self.adj.shape[0])
                     if torch.equal(self.adj[t - w.shape[0]:t], w))
            out.append(self.adj[t])
        return torch.stack(out)


def test_score_split_refines_structure_without_a_zero_threshold():
    s = seq()
    s.adj[6, 0, 1] = 0.05                                 # score 0.005: kept, not thresholded
    scores = score_split(CopyLast(), s, [7], 3)
    torch.testing.assert_close(scores[0], refine(s.scaled()[6], epsilon=None, directed=True))
    assert float(scores[0, 0, 1]) == pytest.approx(0.005) and float(scores[0].diagonal().sum()) == 0
    und = SnapshotSequence(adj=s.adj, node_ids=s.node_ids, directed=False, scaler=s.scaler)
    u = score_split(CopyLast(), und, [7], 3)[0]
    torch.testing.assert_close(u, u.T)


def test_evaluate_split_ranks_auc_by_the_predictors_link_scores():
    s = seq(T=10)
    s.adj[s.adj < 5] = 0                                                # sparse: links to rank
    oracle = _Ranker(s.scaled())
    targets = [6, 7, 8, 9]
    plain = evaluate_split(CopyLast(), s, targets, 3, epsilon=0.01, metrics=["rmse", "auc"])
    ranked = evaluate_split(oracle, s, targets, 3, epsilon=0.01, metrics=["rmse", "auc"])
    assert ranked["auc"]["mean"] == 1.0 > plain["auc"]["mean"]
    assert ranked["rmse"] == plain["rmse"]                              # weights: copy-last
