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

    link_scores = True

    def __init__(self, adj_scaled):
        self.adj = adj_scaled

    def predict_scores(self, adj_seq, samples=1, generator=None):
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


# ----- the sparse family's edge-list prediction (issue 15) ---------------------------------------
@pytest.mark.parametrize("directed", [True, False])
@pytest.mark.parametrize("self_loops", [True, False])
def test_refine_pairs_is_refine_on_pairs(directed, self_loops):
    import numpy as np

    from gcngan.predict import refine_pairs

    g = torch.Generator().manual_seed(1)
    n = 7
    w = torch.rand(n, n, generator=g) * 3
    w[w < 0.8] = 0.0
    w[0, 1], w[2, 3], w[4, 4] = float("nan"), -2.0, 0.015       # nan, negative, near epsilon
    s = torch.rand(n, n, generator=g)
    dense_w = refine(w, epsilon=0.02, directed=directed, self_loops=self_loops)
    dense_s = refine(s, epsilon=None, directed=directed)          # score_split's rule
    rng = np.random.default_rng(0)
    for subset in (np.ones(n * n, bool), rng.random(n * n) < 0.5):   # all pairs, some pairs
        src, dst = np.divmod(np.flatnonzero(subset), n)
        ww = np.where(subset.reshape(n, n), w.numpy(), 0.0)          # unscored = 0 (dense)
        ss = np.where(subset.reshape(n, n), s.numpy(), 0.0)
        rw, rs = refine_pairs(n, src, dst, ww[src, dst], ss[src, dst], epsilon=0.02,
                              directed=directed, self_loops=self_loops)
        ref_w = refine(torch.from_numpy(ww).float(), epsilon=0.02, directed=directed,
                       self_loops=self_loops)
        ref_s = refine(torch.from_numpy(ss).float(), epsilon=None, directed=directed)
        assert np.array_equal(rw.astype(np.float32), ref_w.numpy()[src, dst])
        assert np.array_equal(rs.astype(np.float32), ref_s.numpy()[src, dst])
        if subset.all():
            assert np.array_equal(rw.astype(np.float32), dense_w.numpy()[src, dst])
            assert np.array_equal(rs.astype(np.float32), dense_s.numpy()[src, dst])


def test_sparse_forecast_is_the_dense_forecast_on_pairs():
    """--steps K on the sparse path is the dense path's autoregressive forecast: with the
    window mean as the pair predictor and all pairs as candidates it reproduces
    forecast(WindowMean) snapshot for snapshot (each prediction fed back)."""
    from gcngan.baselines import WindowMean
    from gcngan.predict import sparse_prediction
    from gcngan.structural import WindowMeanPairs

    s = seq(T=8, N=3)
    s.adj[s.adj < 4] = 0                                              # some non-links
    dense = forecast(WindowMean(), s.scaled(), 4, 3, scaler=s.scaler, epsilon=0.01,
                     directed=True)
    pp = sparse_prediction(WindowMeanPairs(), s, 3, steps=4, epsilon=0.01)
    assert sorted(set(pp.t.tolist())) == [8, 9, 10, 11]
    pred, _ = pp.dense([8, 9, 10, 11], 3)
    torch.testing.assert_close(pred, dense, atol=1e-5, rtol=1e-5)
    assert not torch.equal(dense[0], dense[-1])                       # the window moved
    # candidates only (no all-pairs): the pairs active in each window are still scored
    pp2 = sparse_prediction(WindowMeanPairs(), s, 3, steps=4, epsilon=0.01, all_pairs_limit=0)
    torch.testing.assert_close(pp2.dense([8, 9, 10, 11], 3)[0], dense, atol=1e-5, rtol=1e-5)


def test_predict_sparse_frame_in_the_datas_terms():
    import numpy as np

    from gcngan.predict import predict_sparse, sparse_prediction
    from gcngan.structural import CopyLastPairs

    s = seq(T=6, N=3)
    s.adj[s.adj < 5] = 0
    s.weight_offset = 1.0                                              # shifted at ingestion
    s.times = [100, 110, 120, 130, 140, 150]
    frame = predict_sparse(CopyLastPairs(), s, 2, targets=[4, 5], epsilon=0.01)
    assert list(frame.columns) == ["t", "src", "dst", "weight"]
    last = {(t, a, b): float(s.adj[t - 1, i, j]) - 1.0
            for t in (4, 5) for i, a in enumerate("abc") for j, b in enumerate("abc")
            if s.adj[t - 1, i, j] > 0}
    got = {(s.times.index(int(r.t)), r.src, r.dst): float(r.weight) for r in frame.itertuples()}
    assert got.keys() == last.keys()
    assert all(abs(got[k] - last[k]) < 1e-5 for k in got)
    ranked = predict_sparse(CopyLastPairs(), s, 2, targets=[4], epsilon=0.01, scores=True)
    assert list(ranked.columns) == ["t", "src", "dst", "weight", "score"]
    assert len(ranked) == 6 and (ranked["weight"].astype(float) == 0).any()
    assert np.all(np.diff(ranked["score"].astype(float).to_numpy()) <= 0)    # ranked
    with pytest.raises(Exception, match="--steps 0 must be >= 1"):
        sparse_prediction(CopyLastPairs(), s, 2, steps=0)
    with pytest.raises(Exception, match="full window"):
        sparse_prediction(CopyLastPairs(), s, 2, targets=[1])
    with pytest.raises(Exception, match="sparse-family generator"):
        sparse_prediction(CopyLast(), s, 2, targets=[4])


def test_sparse_api_is_exported_from_the_package():
    import gcngan
    import gcngan.candidates
    import gcngan.predict

    assert gcngan.predict_sparse is gcngan.predict.predict_sparse
    assert gcngan.load_sparse_run is gcngan.predict.load_sparse_run
    assert gcngan.candidate_pairs is gcngan.candidates.candidate_pairs
    assert {"predict_sparse", "load_sparse_run", "candidate_pairs"} <= set(gcngan.__all__)
    with pytest.raises(AttributeError):
        gcngan.no_such_name
