"""End to end through ``gcngan.cli.main``: train -> predict -> evaluate."""
import json

import numpy as np
import pandas as pd
import pytest

from gcngan.cli import main

SMALL = ["--set", "noise_dim=4", "--set", "gcn_channels=4,3", "--set", "lstm_hidden=16",
         "--set", "critic_hidden=12,6"]


@pytest.fixture
def tiny_data(string_id_graph_csv):
    """6 nodes, 20 snapshots, undirected, as a long CSV with string node ids."""
    return string_id_graph_csv


def split_flags(window=3, val=3, test=4):
    return ["--window", str(window), "--val", str(val), "--test", str(test)]


def test_train_predict_evaluate_tiny(tmp_path, tiny_data, capsys):
    run = tmp_path / "run"
    rc = main(["train", str(tiny_data), "--out", str(run), "--epochs", "2", "--device", "cpu",
               "--preset", "paper", "--quiet", "--batch-size", "4", *SMALL, *split_flags()])
    assert rc == 0
    files = {p.name for p in run.iterdir()}
    assert files >= {"config.json", "best.pt", "last.pt", "log.csv", "metrics.json",
                     "losses.png"}
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["model"]["lstm_hidden"] == 16 and cfg["data"]["window"] == 3
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["rmse"]["mean"] > 0
    # the naive baselines beside every model number, on both splits
    naive = metrics["baselines"]
    assert set(naive) == {"val", "test"} and set(naive["test"]) == {"copy-last", "mean",
                                                                     "median", "ewma"}
    assert set(naive["val"]["mean"]) == set(metrics["val"])
    best = min(naive["test"], key=lambda b: naive["test"][b]["rmse"]["mean"])
    summary = capsys.readouterr().out
    assert (f"test RMSE {metrics['test']['rmse']['mean']:.4g} (best naive: {best} "
            f"{naive['test'][best]['rmse']['mean']:.4g})") in summary

    # a non-empty run directory is refused without --force
    rc = main(["train", str(tiny_data), "--out", str(run), "--epochs", "1", "--quiet"])
    assert rc == 2 and "not empty" in capsys.readouterr().err

    pred = tmp_path / "pred.csv"
    assert main(["predict", str(run), "--data", str(tiny_data), "--out", str(pred)]) == 0
    df = pd.read_csv(pred)
    assert set(df.t) <= set(range(16, 20)) and set(df.src) <= {f"n{k}" for k in range(6)}
    assert (df.weight > 0).all()

    fc = tmp_path / "fc.csv"
    assert main(["predict", str(run), "--data", str(tiny_data), "--out", str(fc),
                 "--steps", "3"]) == 0
    assert set(pd.read_csv(fc).t) <= {20, 21, 22}
    capsys.readouterr()

    assert main(["evaluate", str(run), "--data", str(tiny_data), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["baselines"]) == {"copy-last", "mean", "median", "ewma"}
    assert out["model"]["rmse"]["mean"] == pytest.approx(metrics["test"]["rmse"]["mean"])

    assert main(["evaluate", str(run), "--data", str(tiny_data), "--baselines", "mean"]) == 0
    table = capsys.readouterr().out
    assert "model" in table and "mean" in table and "ewma" not in table


def test_predict_refuses_other_data(tmp_path, tiny_data, capsys):
    run = tmp_path / "run"
    assert main(["train", str(tiny_data), "--out", str(run), "--epochs", "1", "--quiet",
                 "--device", "cpu", "--preset", "dense", *SMALL, *split_flags()]) == 0
    df = pd.read_csv(tiny_data)
    df.loc[0, "weight"] += 1
    other = tmp_path / "other.csv"
    df.to_csv(other, index=False)
    capsys.readouterr()
    rc = main(["predict", str(run), "--data", str(other), "--out", str(tmp_path / "p.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and "differ from the training data" in err and len(err.strip().splitlines()) == 1
    rc = main(["evaluate", str(tmp_path / "nowhere"), "--data", str(tiny_data)])
    assert rc == 2
    (run / "best.pt").write_bytes(b"garbage")
    rc = main(["evaluate", str(run), "--data", str(tiny_data)])
    assert rc == 2 and "corrupt" in capsys.readouterr().err


def test_mesh1_end_to_end(tmp_path, shared_file, capsys):
    data = shared_file("mesh1/mesh1.csv")
    run = tmp_path / "run"
    assert main(["train", str(data), "--out", str(run), "--epochs", "2", "--device", "cpu",
                 "--quiet", "--preset", "paper"]) == 0
    pred_path = tmp_path / "pred.csv"
    assert main(["predict", str(run), "--data", str(data), "--split", "test",
                 "--out", str(pred_path)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(run), "--data", str(data), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    names = {"rmse", "mae", "paper_mse", "kl", "kl_floor", "mlsd", "mismatch_rate", "auc", "ap"}
    assert set(res["model"]) == names
    for b in ("copy-last", "mean", "median", "ewma"):
        assert set(res["baselines"][b]) == names

    # independent scoring of the predictions file with pandas + numpy
    truth = pd.read_csv(data)
    pred = pd.read_csv(pred_path)
    T, N = 445, 38
    A = np.zeros((T, N, N))
    A[truth.t, truth.src, truth.dst] = truth.weight
    test_t = np.arange(T - 50, T)
    assert sorted(pred.t.unique()) == list(test_t) or set(pred.t) <= set(test_t)
    P = np.zeros((50, N, N))
    P[pred.t - test_t[0], pred.src, pred.dst] = pred.weight
    Y = A[test_t]
    rmse = np.sqrt(((P - Y) ** 2).mean(axis=(1, 2)))
    mae = np.abs(P - Y).mean(axis=(1, 2))
    mr = ((P == 0) != (Y == 0)).mean(axis=(1, 2))
    m = res["model"]
    assert m["rmse"]["mean"] == pytest.approx(rmse.mean(), rel=1e-5)
    assert m["rmse"]["std"] == pytest.approx(rmse.std(ddof=1), rel=1e-4)
    assert m["mae"]["mean"] == pytest.approx(mae.mean(), rel=1e-5)
    assert m["mismatch_rate"]["mean"] == pytest.approx(mr.mean(), rel=1e-9)


def test_shifted_negative_weights_are_predicted_in_their_own_units(tmp_path, tiny_data):
    """--negative shift adds one offset to every link at ingestion; predictions subtract it:
    on all-negative data every predicted link is negative again."""
    df = pd.read_csv(tiny_data)
    df["weight"] = -df["weight"]
    data = tmp_path / "negative.csv"
    df.to_csv(data, index=False)
    run = tmp_path / "run"
    assert main(["train", str(data), "--out", str(run), "--epochs", "1", "--device", "cpu",
                 "--preset", "paper", "--quiet", "--batch-size", "4", "--negative", "shift",
                 *SMALL, *split_flags()]) == 0
    pred = tmp_path / "pred.csv"
    assert main(["predict", str(run), "--data", str(data), "--out", str(pred)]) == 0
    out = pd.read_csv(pred)
    assert len(out) and (out.weight < 0).all() and (out.weight >= df.weight.min() - 1).all()


def test_train_refuses_empty_validation_before_writing_anything(tmp_path, tiny_data, capsys):
    df = pd.read_csv(tiny_data)
    gap = tmp_path / "gap.csv"
    df[(df.t < 12) | (df.t > 15)].to_csv(gap, index=False)        # val targets 13..15 empty
    run = tmp_path / "run"
    rc = main(["train", str(gap), "--out", str(run), "--epochs", "1", "--quiet",
               "--device", "cpu", "--preset", "dense", *SMALL, *split_flags()])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "validation targets (snapshots 13..15) are all empty (snapshots 12..15" in err
    assert "--val/--test" in err and not run.exists()


def test_train_without_a_finite_validation_score_keeps_the_last_epoch(tmp_path, tiny_data,
                                                                      capsys, monkeypatch):
    from gcngan.train import Trainer

    monkeypatch.setattr(Trainer, "_improved", lambda self, value: False)
    run = tmp_path / "run"
    rc = main(["train", str(tiny_data), "--out", str(run), "--epochs", "1", "--quiet",
               "--device", "cpu", "--preset", "paper", *SMALL, *split_flags()])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "no epoch had a finite val_rmse: the last epoch's weights were kept" in captured.out
    assert not (run / "best.pt").exists() and (run / "metrics.json").exists()


def test_train_refuses_val_0_before_writing_anything(tmp_path, tiny_data, capsys):
    run = tmp_path / "run"
    rc = main(["train", str(tiny_data), "--out", str(run), "--epochs", "1", "--quiet",
               "--preset", "dense", *SMALL, *split_flags(val=0)])
    err = capsys.readouterr().err
    assert rc == 2 and "--val 0: training selects the model" in err and not run.exists()


def test_predict_evaluate_plot_refuse_another_window_and_an_empty_split(tmp_path, tiny_data,
                                                                         capsys):
    run = tmp_path / "run"
    assert main(["train", str(tiny_data), "--out", str(run), "--epochs", "1", "--quiet",
                 "--device", "cpu", "--preset", "dense", *SMALL, *split_flags(test=0)]) == 0
    capsys.readouterr()
    out = tmp_path / "p.csv"
    for argv in (["predict", str(run), "--data", str(tiny_data), "--out", str(out)],
                 ["evaluate", str(run), "--data", str(tiny_data)],
                 ["plot", str(run), "--data", str(tiny_data)]):
        rc = main(argv)
        err = capsys.readouterr().err
        assert rc == 2 and err.count("\n") == 1, (argv, err)
        assert "the test split has no targets (this run uses --test 0): use --split val" in err
    with pytest.raises(SystemExit) as exc:          # argparse: --split and --steps exclude
        main(["predict", str(run), "--data", str(tiny_data), "--out", str(out),
              "--split", "val", "--steps", "2"])
    assert exc.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
    rc = main(["evaluate", str(run), "--data", str(tiny_data), "--window", "4"])
    err = capsys.readouterr().err
    assert rc == 2 and "trained on windows of 3 snapshots; --window 4 cannot change" in err
    assert main(["evaluate", str(run), "--data", str(tiny_data), "--split", "val"]) == 0
    assert "kl is the paper's KL" in capsys.readouterr().out
    assert not out.exists()


def test_predict_warns_when_the_prediction_holds_no_link(tmp_path, tiny_data, capsys,
                                                         monkeypatch):
    import torch

    import gcngan.predict

    run = tmp_path / "run"
    assert main(["train", str(tiny_data), "--out", str(run), "--epochs", "1", "--quiet",
                 "--device", "cpu", "--preset", "dense", *SMALL, *split_flags()]) == 0
    capsys.readouterr()
    monkeypatch.setattr(gcngan.predict, "predict_split",
                        lambda predictor, seq, idx, *a, **k: (torch.zeros(len(idx), 6, 6), None))
    assert main(["predict", str(run), "--data", str(tiny_data),
                 "--out", str(tmp_path / "p.csv")]) == 0
    captured = capsys.readouterr()
    assert "wrote 0 links" in captured.out
    assert "warning: the prediction holds no link at all; the dense model" in captured.err


def test_resume_without_improvement_keeps_the_best_epoch_quietly(tmp_path, tiny_data, capsys,
                                                                  monkeypatch):
    from gcngan.train import Trainer

    run = tmp_path / "run"
    assert main(["train", str(tiny_data), "--out", str(run), "--epochs", "1", "--device", "cpu",
                 "--preset", "paper", *SMALL, *split_flags()]) == 0
    capsys.readouterr()
    monkeypatch.setattr(Trainer, "_improved", lambda self, value: False)
    assert main(["train", str(tiny_data), "--out", str(run), "--epochs", "2", "--resume"]) == 0
    captured = capsys.readouterr()
    assert "no epoch had a finite" not in captured.err + captured.out
    assert "best epoch 1 by val_rmse" in captured.out and (run / "best.pt").exists()


def test_predict_scores_rank_candidate_links_as_evaluate_does(tmp_path, tiny_data, capsys):
    """``--scores``: the same links as without it, plus a score per scored entry (weight 0
    where no link is predicted); the AUC of the file's scores, rebuilt here from the CSV
    alone, is the AUC ``evaluate`` reports for the model."""
    import torch

    from gcngan.metrics import auc

    run = tmp_path / "run"
    assert main(["train", str(tiny_data), "--out", str(run), "--epochs", "1", "--quiet",
                 "--device", "cpu", "--preset", "dense", *SMALL, *split_flags()]) == 0
    plain, scored = tmp_path / "p.csv", tmp_path / "s.csv"
    assert main(["predict", str(run), "--data", str(tiny_data), "--out", str(plain)]) == 0
    assert main(["predict", str(run), "--data", str(tiny_data), "--out", str(scored),
                 "--scores"]) == 0
    assert "scored entries" in capsys.readouterr().out
    p, s = pd.read_csv(plain), pd.read_csv(scored)
    assert list(s.columns) == ["t", "src", "dst", "weight", "score"]
    assert s.score.between(0, 1).all() and (s.src != s.dst).all()
    assert len(s) > len(p) and (s.weight == 0).any()                    # gated-off candidates
    links = s[s.weight > 0].drop(columns="score").reset_index(drop=True)
    pd.testing.assert_frame_equal(links, p)

    truth = pd.read_csv(tiny_data)
    ids = {f"n{k}": k for k in range(6)}
    times = sorted(s.t.unique())
    score, target = torch.zeros(len(times), 6, 6), torch.zeros(len(times), 6, 6)
    for k, t in enumerate(times):
        for frame, out, col in ((s[s.t == t], score, "score"),
                                (truth[truth.t == t], target, "weight")):
            out[k, frame.src.map(ids).to_numpy().copy(), frame.dst.map(ids).to_numpy().copy()] = \
                torch.tensor(frame[col].to_numpy().copy(), dtype=torch.float32)
    assert main(["evaluate", str(run), "--data", str(tiny_data), "--metrics", "auc",
                 "--baselines", "none", "--json"]) == 0
    reported = json.loads(capsys.readouterr().out)["model"]["auc"]["mean"]
    assert auc(score, target) == pytest.approx(reported, abs=1e-6)

    fc = tmp_path / "fc.csv"
    assert main(["predict", str(run), "--data", str(tiny_data), "--out", str(fc),
                 "--steps", "2", "--scores"]) == 0
    f = pd.read_csv(fc)
    assert set(f.t) <= {20, 21} and f.score.between(0, 1).all()


def test_no_preset_trains_the_sparse_model_and_says_so(tmp_path, tiny_data, capsys):
    """Issue 15: ``default`` (no --preset) is the sparse model; the line that says which
    path a run takes names the preset and what it stands for."""
    run = tmp_path / "run"
    assert main(["train", str(tiny_data), "--out", str(run), "--epochs", "1", "--device",
                 "cpu", *split_flags()]) == 0
    err = capsys.readouterr().err
    said = err.index("gcngan: preset default (= sparse)\n")
    assert said < err.index("gcngan: training the sparse GCN-GAN"), err
    assert json.loads((run / "config.json").read_text())["model"]["family"] == "sparse"


def test_a_run_of_the_former_default_resumes_and_predicts_as_the_dense_model(tmp_path,
                                                                           tiny_data, capsys):
    """A run made with ``--preset default`` before issue 15 stored the dense model's full
    config (``--preset dense`` today): resuming it without --preset, and predicting with it,
    read that stored config and never the new alias."""
    run = tmp_path / "run"
    assert main(["train", str(tiny_data), "--out", str(run), "--epochs", "1", "--device",
                 "cpu", "--preset", "dense", *SMALL, *split_flags()]) == 0
    stored = (run / "config.json").read_text()
    capsys.readouterr()
    assert main(["train", str(tiny_data), "--out", str(run), "--epochs", "2", "--resume"]) == 0
    captured = capsys.readouterr()
    assert "gcngan: preset" not in captured.err, captured.err
    assert "training the dense GCN-GAN" in captured.err
    assert json.loads((run / "config.json").read_text())["model"] == json.loads(stored)["model"]
    assert main(["predict", str(run), "--data", str(tiny_data), "--out",
                 str(tmp_path / "p.csv")]) == 0
