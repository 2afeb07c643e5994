import math

import numpy as np
import pytest
import torch

from gcngan.errors import InputError
from gcngan.metrics import (METRICS, ap, auc, evaluate_predictions, format_table, kl, kl_floor,
                            mae, mismatch_rate, mlsd, paper_mse, rmse)

A = torch.tensor([[0.0, 2.0], [4.0, 0.0]])
P = torch.tensor([[1.0, 2.0], [0.0, 0.0]])


def test_rmse_mae_paper_mse_hand():
    # errors: 1, 0, -4, 0
    assert float(rmse(P, A)) == pytest.approx(math.sqrt(17 / 4))
    assert float(mae(P, A)) == pytest.approx(5 / 4)
    assert float(paper_mse(P, A)) == pytest.approx(math.sqrt(17) / 4)


def test_kl_paper_skips_zero_entries():
    # P_true = A / 6 = [0, 1/3, 2/3, 0]; Q = P / 3 = [1/3, 2/3, 0, 0]; common support: (0,1)
    expected = (1 / 3) * math.log((1 / 3) / (2 / 3))
    assert float(kl(P, A)) == pytest.approx(expected)
    assert float(kl(A, A)) == pytest.approx(0.0)
    assert float(kl(torch.zeros(2, 2), A)) == 0.0


def test_kl_floor_openTLP():
    eps = 1e-5
    t = A.clamp_min(eps).double()
    q = P.clamp_min(eps).double()
    t, q = t / t.sum(), q / q.sum()
    expected = float((t * (t / q).log()).sum())
    assert float(kl_floor(P, A)) == pytest.approx(expected)


def test_mlsd_and_mismatch_hand():
    # log10 ratios: (1/1e-5) -> 5, 1 -> 0, (1e-5/4) -> -log10(4e5), 0
    expected = (5 + 0 + math.log10(4e5) + 0) / 4
    assert float(mlsd(P, A)) == pytest.approx(expected)
    # exactly one zero: (0,0) and (1,0) -> 2 of 4
    assert float(mismatch_rate(P, A)) == pytest.approx(0.5)


def test_per_snapshot_batches():
    pred = torch.stack([P, A])
    target = torch.stack([A, A])
    v = rmse(pred, target)
    assert v.shape == (2,)
    assert float(v[1]) == 0.0


def test_auc_ap_hand_and_ties():
    # off-diagonal score/label: (0,1) .9/1, (0,2) .8/0, (1,0) .7/1, (1,2) .1/0, (2,0) .1/0,
    # (2,1) .0/1
    pred = torch.tensor([[0.0, 0.9, 0.8], [0.7, 0.0, 0.1], [0.1, 0.0, 5.0]])
    target = torch.tensor([[9.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 9.0]])
    # positives .9 .7 .0, negatives .8 .1 .1 -> pairs won: .9:3, .7:2, .0:0 -> 5/9
    assert auc(pred, target) == pytest.approx(5 / 9)
    # ranking: .9(+) .8(-) .7(+) .1(-) .1(-) .0(+): AP = (1 + 2/3 + 3/6) / 3
    assert ap(pred, target) == pytest.approx((1 + 2 / 3 + 3 / 6) / 3)
    const = torch.ones(3, 3)
    assert auc(const, target) == pytest.approx(0.5)
    assert ap(const, target) == pytest.approx(3 / 6)
    assert math.isnan(auc(pred, torch.zeros(3, 3)))


def test_auc_pools_snapshots_not_mean_of_auc():
    p1 = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    t1 = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    p2 = torch.tensor([[0.0, 2.0], [3.0, 0.0]])
    t2 = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    # each snapshot alone has AUC 1; pooled: positives 1, 3 vs negatives 0, 2 -> 3 of 4 pairs
    assert auc(p1, t1) == auc(p2, t2) == 1.0
    assert auc(torch.stack([p1, p2]), torch.stack([t1, t2])) == pytest.approx(0.75)


def test_evaluate_predictions_mean_std_numpy_and_validation():
    pred = np.stack([P.numpy(), A.numpy(), P.numpy()])
    target = np.stack([A.numpy()] * 3)
    out = evaluate_predictions(pred, target)
    assert set(out) == set(METRICS)
    per = [math.sqrt(17 / 4), 0.0, math.sqrt(17 / 4)]
    assert out["rmse"]["mean"] == pytest.approx(np.mean(per))
    assert out["rmse"]["std"] == pytest.approx(np.std(per, ddof=1))
    assert out["auc"]["std"] is None
    one = evaluate_predictions(P, A, ["mae"])
    assert one == {"mae": {"mean": pytest.approx(1.25), "std": None}}
    with pytest.raises(InputError, match="unknown metric"):
        evaluate_predictions(P, A, ["accuracy"])
    with pytest.raises(InputError, match="shapes differ"):
        evaluate_predictions(P, torch.zeros(3, 3))
    with pytest.raises(InputError, match="NaN"):
        evaluate_predictions(torch.full((2, 2), float("nan")), A)
    table = format_table({"model": out})
    assert table.splitlines()[0].startswith("predictor") and "±" in table


def test_evaluate_predictions_ranks_auc_ap_by_the_scores_when_given():
    target = torch.tensor([[[0., 1., 0.], [0., 0., 1.], [0., 0., 0.]]])
    pred = torch.zeros_like(target)                                     # every entry tied
    scores = target * 0.9 + 0.05                                        # a perfect ranking
    plain = evaluate_predictions(pred, target, ["rmse", "auc", "ap"])
    ranked = evaluate_predictions(pred, target, ["rmse", "auc", "ap"], scores=scores)
    assert plain["auc"]["mean"] == 0.5 and ranked["auc"]["mean"] == 1.0
    assert ranked["ap"]["mean"] == 1.0 and ranked["rmse"] == plain["rmse"]
    with pytest.raises(InputError, match="shapes differ"):
        evaluate_predictions(pred, target, ["auc"], scores=scores[0, :2])
    with pytest.raises(InputError, match="link scores"):
        evaluate_predictions(pred, target, ["auc"], scores=scores * float("nan"))


def _pairwise_auc(score, label):
    pos, neg = score[label], score[~label]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).double() + 0.5 * (diff == 0).double()).mean())


def _threshold_ap(score, label):
    total, prev_recall, out = int(label.sum()), 0.0, 0.0
    for th in sorted(set(score.tolist()), reverse=True):
        sel = score >= th
        tp = int(label[sel].sum())
        recall, precision = tp / total, tp / int(sel.sum())
        out += (recall - prev_recall) * precision
        prev_recall = recall
    return out


@pytest.mark.parametrize("density", [0.05, 0.3, 0.7, 1.0])
@pytest.mark.parametrize("negatives", [False, True])
def test_auc_and_ap_match_their_definitions_on_sparse_and_dense_scores(density, negatives):
    """Mostly-zero scores take a shortcut (only non-zero values are sorted); it must give
    the pairwise AUC and the threshold-by-threshold AP exactly, ties included."""
    from gcngan.metrics import _offdiag_scores, ap, auc

    g = torch.Generator().manual_seed(int(density * 100) + negatives)
    low = -2 if negatives else 0
    for _ in range(5):
        pred = (torch.randint(low, 5, (3, 9, 9), generator=g).float()
                * (torch.rand(3, 9, 9, generator=g) < density))
        target = (torch.rand(3, 9, 9, generator=g) < 0.3).float()
        score, label = _offdiag_scores(pred, target)
        assert auc(pred, target) == pytest.approx(_pairwise_auc(score, label), abs=1e-12)
        assert ap(pred, target) == pytest.approx(_threshold_ap(score, label), abs=1e-12)
    zeros = torch.zeros(2, 5, 5)
    target = torch.zeros(2, 5, 5)
    target[0, 0, 1] = 1.0
    assert auc(zeros, target) == 0.5 and ap(zeros, target) == pytest.approx(1 / 40)
