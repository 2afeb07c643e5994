"""The sparse family through the one Trainer and the CLI (issue 15 item 4): train -> best.pt
/ last.pt / metrics.json, evaluate --protocol ranking, score, resume, the dense view never
built, the memory refusal naming the sparse preset."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from gcngan.cli import main
from gcngan.config import DataConfig
from gcngan.data.synthetic import generate_social

SPLIT = ["--window", "3", "--val", "2", "--test", "2"]
SMALL = ["--set", "max_links=40", "--set", "negatives=6", "--set", "val_queries=40",
         "--set", "val_q=20", "--set", "gcn_channels=8,8", "--set", "lstm_hidden=8",
         "--set", "noise_dim=8", "--set", "decoder_hidden=16", "--set", "critic_hidden=16"]


@pytest.fixture(scope="module")
def social_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("sparse") / "social.csv"
    generate_social(num_nodes=60, num_snapshots=10, links_per_node=3, seed=0).to_csv(
        path, index=False)
    return path


def _train(csv, run, *extra):
    return main(["train", str(csv), "--out", str(run), "--preset", "sparse", "--device", "cpu",
                 *SPLIT, *SMALL, *extra])


def _no_dense_view(monkeypatch):
    from gcngan.data.snapshots import SnapshotSequence

    def refuse(self):
        raise AssertionError("the sparse path built the dense (T, N, N) view")

    monkeypatch.setattr(SnapshotSequence, "adj", property(refuse))
    monkeypatch.setattr(SnapshotSequence, "scaled", lambda self: refuse(self))


def test_train_evaluate_score_through_the_cli(social_csv, tmp_path, capsys, monkeypatch):
    _no_dense_view(monkeypatch)
    run = tmp_path / "run"
    assert _train(social_csv, run, "--epochs", "2") == 0
    out, err = capsys.readouterr()
    assert "training the sparse GCN-GAN" in err            # says which path it runs
    assert {"best.pt", "last.pt", "metrics.json", "log.csv", "config.json"} <= \
        {p.name for p in run.iterdir()}
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["monitor"] == "val_mrr_loss"
    assert 0.0 < metrics["test"]["mrr"]["mean"] <= 1.0
    assert metrics["best_monitor_value"] == pytest.approx(
        1.0 - metrics["val"]["mrr"]["mean"])                # best.pt is what was selected
    log_csv = pd.read_csv(run / "log.csv")
    assert len(log_csv) == 2 and log_csv["val_mrr"].between(0, 1).all()

    negs = tmp_path / "negs.csv"
    rc = main(["evaluate", str(run), "--data", str(social_csv), "--protocol", "ranking",
               "--json", "--q", "20", "--max-queries", "30", "--negatives-out", str(negs)])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    model = res["predictors"]["model"]
    assert 0.0 < model["all"]["mrr"] <= 1.0 and res["queries"] > 0

    scores = tmp_path / "scores.csv"
    assert main(["score", str(run), "--data", str(social_csv), "--pairs", str(negs),
                 "--out", str(scores)]) == 0
    table = pd.read_csv(scores)
    cands = pd.read_csv(negs)
    assert list(table.columns) == ["t", "src", "dst", "score", "weight"]
    assert len(table) == len(cands) and table["score"].between(0, 1).all()
    assert (table["weight"] >= 0).all()
    # the ranking of those scores is the model's MRR of evaluate on the same file
    from gcngan.ranking import query_ranks
    ranks = query_ranks(table["score"].to_numpy(), cands["query"].to_numpy(),
                        cands["label"].to_numpy().astype(bool))
    assert float(np.mean(1.0 / ranks)) == pytest.approx(model["all"]["mrr"], rel=1e-9)

    # predict writes an edge list without the dense view (the N x N evaluate of small
    # graphs: tests/cli/test_sparse_predict_cli.py)
    assert main(["predict", str(run), "--data", str(social_csv), "--out",
                 str(tmp_path / "p.csv")]) == 0
    assert list(pd.read_csv(tmp_path / "p.csv").columns) == ["t", "src", "dst", "weight"]
    assert main(["plot", str(run), "--data", str(social_csv)]) == 0   # history plots only
    assert (run / "metrics.png").exists() and not (run / "prediction.png").exists()


def test_resume_continues_as_one_run(social_csv, tmp_path, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    assert _train(social_csv, one, "--epochs", "2", "--quiet") == 0
    assert _train(social_csv, two, "--epochs", "1", "--quiet") == 0
    assert main(["train", str(social_csv), "--out", str(two), "--resume", "--epochs", "2",
                 "--quiet"]) == 0
    a = torch.load(one / "last.pt", weights_only=True)
    b = torch.load(two / "last.pt", weights_only=True)
    assert a["epoch"] == b["epoch"] == 2
    for k, v in a["generator"].items():
        assert torch.equal(v, b["generator"][k]), k


def test_trainer_learns_to_rank(tmp_path, monkeypatch):
    """A few epochs on the training targets: the model's validation MRR leaves the untrained
    level, and candidates are drawn as the evaluation draws them (only true links and
    non-links of the target)."""
    from gcngan.config import build_config
    from gcngan.data import load_snapshots
    from gcngan.train import Trainer

    social_csv = tmp_path / "s80.csv"
    generate_social(num_nodes=80, num_snapshots=16, links_per_node=3, seed=0).to_csv(
        social_csv, index=False)                               # 11 training targets
    _no_dense_view(monkeypatch)
    cfg = build_config("sparse", overrides=[o for o in SMALL if o != "--set"],
                       data={"window": 3, "val": 2, "test": 2},
                       train={"epochs": 6, "device": "cpu"})
    cfg = build_config(None, base=cfg, overrides=["patience=10", "regression_init=false"])
    seq = load_snapshots(str(social_csv), cfg.data)
    tr = Trainer(cfg, seq, quiet=True)
    before = tr.evaluate("val")["mrr"]["mean"]
    inputs, target = tr.train_set.batch(torch.tensor([0]))
    t = inputs.targets[0]
    s, d, w = seq.edges(t)
    linked = dict(zip(zip(s.tolist(), d.tolist()), w.tolist()))
    got = [(a, b) in linked for a, b in zip(inputs.src.tolist(), inputs.dst.tolist())]
    assert got == (target > 0).tolist()                      # targets are the true links
    tr.fit()
    after = max(r["val_mrr"] for r in tr.history)
    # measured 0.15 -> 0.55 without the path features, 0.42 -> 0.54 with them (the
    # untrained decoder's linear term already reads them)
    assert after > before + 0.08 and after > 0.5, (before, after)


def test_memory_refusal_names_the_sparse_preset(tmp_path, monkeypatch, capsys):
    from gcngan.config import build_config
    from gcngan.resources import estimate_training_memory

    df = generate_social(num_nodes=40, num_snapshots=10, links_per_node=2, seed=1)
    csv = tmp_path / "g.csv"
    df.to_csv(csv, index=False)
    need = estimate_training_memory(build_config("paper"), 40, 10).total
    monkeypatch.setenv("GCNGAN_MEMORY_LIMIT", str(need // 4))
    rc = main(["train", str(csv), "--out", str(tmp_path / "r"), "--preset", "paper",
               "--epochs", "1", *SPLIT])
    err = capsys.readouterr().err
    assert rc == 2 and "--preset sparse" in err
    assert not (tmp_path / "r").exists()


def _small_trainer(tmp_path, *overrides, epochs=2):
    from gcngan.config import build_config
    from gcngan.data import load_snapshots
    from gcngan.train import Trainer

    csv = tmp_path / "s80.csv"
    generate_social(num_nodes=80, num_snapshots=16, links_per_node=3, seed=0).to_csv(
        csv, index=False)
    cfg = build_config("sparse", overrides=[o for o in SMALL if o != "--set"] +
                       ["regression_init=true", *overrides],
                       data={"window": 3, "val": 2, "test": 2},
                       train={"epochs": epochs, "device": "cpu"})
    return Trainer(cfg, load_snapshots(str(csv), cfg.data), quiet=True)


def test_a_target_drawn_ahead_reads_the_earlier_window_and_its_horizon(tmp_path):
    """model.max_horizon = H: half the training targets (seeded, once) are predicted from
    the window before t - h, 1 <= h <= min(H, t - W); their inputs are exactly the pairs'
    inputs at t - h with the horizon column (sparse_inputs(horizon=h)), labels still A_t;
    the others (h = 0) as without a horizon, with a 0 in that column."""
    from gcngan.nn.sparse_model import horizon_feature, sparse_inputs

    tr = _small_trainer(tmp_path, "max_horizon=4", epochs=1)
    ts = tr.train_set
    W = ts.window
    hs = {t: ts.horizons[t] for t in ts.targets}
    assert any(h == 0 for h in hs.values()) and any(h > 0 for h in hs.values())
    assert all(0 <= h <= min(4, t - W) for t, h in hs.items())
    assert hs == {t: ts.draw_horizon(t, W, tr.config.train.seed) for t in ts.targets}
    for i, t in enumerate(ts.targets):
        h = hs[t]
        got, target = ts.batch(torch.tensor([i]))
        src, dst = ts.candidates(t)[:2]
        want = sparse_inputs(ts.index, ts.featurizer, [t - h], W, [src], [dst], horizon=h,
                             max_horizon=4)
        assert torch.equal(got.feats, want.feats) and torch.equal(got.condition,
                                                                    want.condition)
        assert torch.equal(got.batch.edge_index, want.batch.edge_index)
        assert torch.equal(got.feats[:, -1], torch.full((len(src),), horizon_feature(h, 4)))
        keys, _ = ts.index.snapshot(t)
        true = np.isin(ts.index.keys(src, dst), keys)
        assert torch.equal(target > 0, torch.from_numpy(true))           # labels of A_t
    from gcngan.nn.pair_decoder import HISTORY_FEATURES, PAIR_FEATURES, PATH_FEATURES

    assert tr.generator.decoder.pair_channels == tr.critic.set_critic.pair_channels == \
        len(PAIR_FEATURES) + len(PATH_FEATURES) + len(HISTORY_FEATURES) + 1   # the preset's
    tr.train_epoch(0)
    from gcngan.nn.sparse_model import model_predictor

    pred = model_predictor(tr.generator, tr.config)
    T = ts.index.num_snapshots
    src, dst = ts.candidates(ts.targets[-1])[:2]
    near = pred.score_pairs(ts.index, T, src, dst, W)[0]
    far = pred.score_pairs(ts.index, T, src, dst, W, horizon=4)[0]
    assert pred.max_horizon == 4 and not np.allclose(near, far)          # the gap is read
    assert np.array_equal(far, pred.score_pairs(ts.index, T, src, dst, W, horizon=9)[0])


def test_regression_init_is_the_untrained_model_and_a_selection_candidate(tmp_path):
    """train.regression_init: the untrained generator scores every pair as the logistic
    regression fitted on the training candidates' features (whatever the node states), and
    it is selection candidate 'epoch 0', so validation MRR selection never ends below it."""
    from gcngan.nn.pair_decoder import fit_regression

    tr = _small_trainer(tmp_path, epochs=1)
    assert tr.selection.initial_candidate
    feats, label = tr.train_set.regression_rows()
    assert feats.shape[0] == label.shape[0] > 0 and label.any() and not label.all()
    fit = fit_regression(feats, label)
    inputs, _ = tr.train_set.batch(torch.tensor([len(tr.train_set) - 1]))
    logit = tr.generator.forward_parts(inputs)["logit"].detach()
    z = (inputs.feats - fit["mean"]) / fit["scale"]
    assert torch.allclose(logit, fit["intercept"] + z @ fit["coef"], atol=1e-4)
    start = 1.0 - tr.evaluate("val")["mrr"]["mean"]
    res = tr.fit()
    assert res["best_metric"] <= start + 1e-12
    assert res["best_epoch"] in (0, 1)


def test_ablation_switches_change_what_they_say(tmp_path):
    from gcngan.config import build_config
    from gcngan.errors import ConfigError

    no_struct = _small_trainer(tmp_path, "pair_features=false", epochs=1)
    assert no_struct.generator.decoder.pair_channels == 0
    assert no_struct.generator.decoder.linear is None
    assert not no_struct.selection.initial_candidate          # nothing to regress on
    inputs, target = no_struct.train_set.batch(torch.tensor([0]))
    a = no_struct.generator.forward_parts(inputs)["logit"]
    inputs.feats = torch.rand_like(inputs.feats)              # the decoder never reads them
    assert torch.equal(a, no_struct.generator.forward_parts(inputs)["logit"])
    no_gcn = _small_trainer(tmp_path, "encoder=none", epochs=1)
    assert len(no_gcn.generator.encoder.convs) == 0
    full = _small_trainer(tmp_path, epochs=1)
    assert len(full.generator.encoder.convs) == 2 and full.generator.decoder.pair_channels
    for t in (no_struct, no_gcn):
        t.fit()
        assert 0.0 < t.evaluate("val")["mrr"]["mean"] <= 1.0
    with pytest.raises(ConfigError, match="pair_features.*sparse"):
        build_config("dense", overrides=["pair_features=false"])


@pytest.mark.parametrize("switch", ["path_features", "history_features"])
def test_extra_features_reach_the_decoder_the_critic_and_a_saved_run(tmp_path, switch):
    """model.path_features / model.history_features (both on in the preset):
    PATH_FEATURES, then HISTORY_FEATURES follow PAIR_FEATURES in training and scoring (the
    decoder and the critic take 2 columns for each; none when switched off); a checkpoint
    rebuilds the same model and scores the same; the dense family refuses the switch."""
    from gcngan.config import build_config
    from gcngan.errors import ConfigError
    from gcngan.nn.pair_decoder import HISTORY_FEATURES, PAIR_FEATURES, PATH_FEATURES
    from gcngan.nn.sparse_model import model_predictor
    from gcngan.train import load_checkpoint
    from gcngan.train.checkpoint import generator_from_checkpoint

    tr = _small_trainer(tmp_path, f"{switch}=false", epochs=1)
    paths = switch == "history_features"                 # the other switch stays on
    width = len(PAIR_FEATURES) + (len(PATH_FEATURES) if paths else len(HISTORY_FEATURES))
    assert tr.generator.decoder.pair_channels == tr.critic.set_critic.pair_channels == width
    ts = tr.train_set
    t = ts.targets[-1]
    src, dst = ts.candidates(t)[:2]
    feats = ts.batch(torch.tensor([len(ts) - 1]))[0].feats
    assert feats.shape[1] == width
    if paths:
        want = np.log1p(ts.featurizer.paths_of_three(t, ts.window, src, dst))
    else:
        want = ts.featurizer.history_columns(t, ts.window, ts.index.keys(src, dst))
        assert (want[:, 0] > 0).any() and (want[:, 0] == 0).any()
    np.testing.assert_allclose(feats[:, len(PAIR_FEATURES):].numpy(), want.astype(np.float32),
                               rtol=1e-6)
    tr.run_dir = tmp_path / "run"
    tr.run_dir.mkdir()
    tr.save("best.pt")
    gen, cfg = generator_from_checkpoint(load_checkpoint(tr.run_dir / "best.pt"))
    T = ts.index.num_snapshots
    want = model_predictor(tr.generator, tr.config).score_pairs(ts.index, T, src, dst,
                                                                ts.window)[0]
    got = model_predictor(gen, cfg).score_pairs(ts.index, T, src, dst, ts.window)[0]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(ConfigError, match=f"{switch}.*sparse"):
        build_config("dense", overrides=[f"{switch}=true"])


def test_training_targets_without_links_are_skipped_not_nan(social_csv, tmp_path, capsys):
    """A training snapshot with no link u -> v (u != v) has no ranking query, so no candidate
    pairs: it is skipped with a warning naming it (it made the losses NaN: a mean over an
    empty set); with no linked training target at all, one line and exit 2."""
    df = pd.read_csv(social_csv)
    t_empty = int(df["t"].min()) + 4                    # a training target (window 3, 10 snaps)
    empty = df[df["t"] != t_empty]
    csv = tmp_path / "gap.csv"
    empty.to_csv(csv, index=False)
    assert _train(csv, tmp_path / "run", "--epochs", "1", "--snapshots", "10") == 0
    err = capsys.readouterr().err
    assert "1 training target(s) without a link" in err and f"snapshot(s) {t_empty}" in err
    assert "non-finite" not in err
    # every training target empty: refused before training
    train_ts = range(int(df["t"].min()) + 3, int(df["t"].min()) + 6)
    none = df[~df["t"].isin(train_ts)]
    csv2 = tmp_path / "none.csv"
    none.to_csv(csv2, index=False)
    assert _train(csv2, tmp_path / "run2", "--epochs", "1", "--snapshots", "10") == 2
    err = capsys.readouterr().err
    assert "no training target" in err and "Traceback" not in err
    assert not (tmp_path / "run2" / "best.pt").exists()


def test_cached_snapshot_edges_give_the_batch_of_a_fresh_build(tmp_path):
    """SparseTrainingSet reuses each snapshot's edge tensors across steps and epochs: a
    batch from the cache is the batch :func:`sparse_inputs` builds from ``seq.edges``
    afresh (same nodes, local edges, weights, features), before and after training steps
    (the cached tensors are not modified in place), and the cache holds one entry per
    snapshot read (O(T E), nothing per window)."""
    from gcngan.nn.sparse_model import sparse_inputs

    tr = _small_trainer(tmp_path, "max_horizon=0", epochs=1)
    ts = tr.train_set
    idx = torch.tensor([0, len(ts) - 1])
    first, target = ts.batch(idx)
    tr.train_epoch(0)                       # every window read again from the cache
    again, target2 = ts.batch(idx)
    ts_ = [ts.targets[int(i)] for i in idx]
    fresh = sparse_inputs(ts.index, ts.featurizer, ts_, ts.window,
                          [ts.candidates(t)[0] for t in ts_], [ts.candidates(t)[1] for t in ts_])
    for got in (first, again):
        assert torch.equal(got.batch.nodes, fresh.batch.nodes)
        assert torch.equal(got.batch.edge_index, fresh.batch.edge_index)
        assert torch.equal(got.batch.edge_weight, fresh.batch.edge_weight)
        assert torch.equal(got.feats, fresh.feats)
        assert torch.equal(got.condition, fresh.condition)
        assert torch.equal(got.src, fresh.src) and torch.equal(got.dst, fresh.dst)
    assert torch.equal(target, target2)
    assert set(ts._edges) == {k for t in ts.targets for k in range(t - ts.window, t)}


def test_train_says_when_uniform_negatives_come_from_a_shared_pool(social_csv, tmp_path,
                                                                   capsys):
    """``--set negative_pool=K`` (0 < K < N) is named in train's path line; 0 is not."""
    assert _train(social_csv, tmp_path / "pool", "--epochs", "1",
                  "--set", "negative_pool=12", "--set", "uniform_from=all") == 0
    assert "negatives (uniform ones from a shared pool of 12 nodes per target)" in \
        capsys.readouterr().err
    assert _train(social_csv, tmp_path / "nopool", "--epochs", "1",
                  "--set", "uniform_from=all") == 0
    assert "uniform ones" not in capsys.readouterr().err
    assert _train(social_csv, tmp_path / "preset", "--epochs", "1") == 0      # the preset's
    assert "negatives (uniform ones half from the destinations) per target" in \
        capsys.readouterr().err
    assert _train(social_csv, tmp_path / "dest", "--epochs", "1",
                  "--set", "uniform_from=destinations") == 0
    assert "negatives (uniform ones from the destinations)" in capsys.readouterr().err


def test_whole_source_queries_compute_fewer_nodes_per_step(tmp_path, capsys):
    """``train.queries_by=sources`` with a shared pool: each target's step computes fewer
    nodes than the uniform draw of the same number of queries (the sources' historical
    negatives are shared; what bounds a step's cost at large N), train's path line says so,
    and the run trains."""
    from gcngan.data import load_snapshots
    from gcngan.nn.pair_decoder import PairFeaturizer
    from gcngan.structural import PairIndex
    from gcngan.train.family import SparseTrainingSet

    csv = tmp_path / "social.csv"
    generate_social(num_nodes=2000, num_snapshots=8, links_per_node=5, seed=0).to_csv(
        csv, index=False)
    index = PairIndex(load_snapshots(str(csv), DataConfig(window=3)))
    featurizer = PairFeaturizer(index)

    def nodes(**how):
        ts = SparseTrainingSet(index, featurizer, [5, 6, 7], 3, max_links=100, negatives=20,
                               seed=0, subgraph_nodes=200, negative_pool=100, **how)
        return [ts.window_batch(t).num_local for t in ts.targets]

    grouped, plain = nodes(queries_by="sources"), nodes()
    assert all(g < 0.75 * p for g, p in zip(grouped, plain)), (grouped, plain)
    assert _train(csv, tmp_path / "run", "--epochs", "1", "--set", "queries_by=sources") == 0
    assert "true links of whole sources x 6 negatives" in capsys.readouterr().err


def test_training_negatives_from_the_destinations(tmp_path):
    """``train.uniform_from=destinations``: a user -> item stream's training candidates have
    no user among their negatives (``all`` has many)."""
    from gcngan.data import load_snapshots
    from gcngan.nn.pair_decoder import PairFeaturizer
    from gcngan.structural import PairIndex
    from gcngan.train.family import SparseTrainingSet

    rng = np.random.default_rng(1)
    rows = [(t, u, 100 + int(rng.integers(0, 40))) for t in range(8) for u in range(100)]
    csv = tmp_path / "user_item.csv"
    pd.DataFrame(rows, columns=["t", "src", "dst"]).to_csv(csv, index=False)
    index = PairIndex(load_snapshots(str(csv), DataConfig(window=3, directed=True)))
    users = np.flatnonzero(np.asarray(index.seq.node_ids) < 100)
    for kind, any_user in (("all", True), ("destinations", False)):
        ts = SparseTrainingSet(index, PairFeaturizer(index), [5, 6], 3, max_links=50,
                               negatives=6, seed=0, uniform_from=kind)
        src, dst, target = ts.candidates(6)[:3]
        negatives = dst[(target == 0).numpy()]
        assert negatives.size and np.isin(negatives, users).any() == any_user


def test_sampled_subgraphs_through_the_cli_resume_as_one_run(social_csv, tmp_path, capsys):
    """``--set subgraph_nodes=S`` (S < N): train says so, and a resumed run draws the same
    subgraphs (seeded per target), so it ends where an uninterrupted one does."""
    # (60 nodes: the candidates' endpoints alone exceed 30, the set is those endpoints)
    one, two = tmp_path / "one", tmp_path / "two"
    sub = ["--set", "subgraph_nodes=30"]
    assert _train(social_csv, one, "--epochs", "2", *sub) == 0
    assert "the GCN on a sampled subgraph of >= 30 nodes" in capsys.readouterr().err
    assert _train(social_csv, two, "--epochs", "1", "--quiet", *sub) == 0
    assert main(["train", str(social_csv), "--out", str(two), "--resume", "--epochs", "2",
                 "--quiet"]) == 0
    a = torch.load(one / "last.pt", weights_only=True)
    b = torch.load(two / "last.pt", weights_only=True)
    for k, v in a["generator"].items():
        assert torch.equal(v, b["generator"][k]), k
    assert json.loads((one / "config.json").read_text())["train"]["subgraph_nodes"] == 30


def test_validation_reuses_the_inputs_of_its_pairs_and_scores_as_a_fresh_predictor(
        tmp_path, monkeypatch):
    """The family keeps one predictor per run: a second validation rebuilds no window
    batch nor pair features (they are data, kept within WINDOW_CACHE_BYTES) and scores as a
    predictor that keeps nothing; after a training step the kept inputs meet the new
    weights; with a budget of one byte nothing is kept."""
    import gcngan.nn.sparse_model as sm
    from gcngan.ranking import score_candidates

    tr = _small_trainer(tmp_path, epochs=1)
    fam = tr.family
    built = []
    real = sm.sparse_inputs
    monkeypatch.setattr(sm, "sparse_inputs", lambda *a, **k: built.append(1) or real(*a, **k))
    first = tr.evaluate("val")
    n = len(built)
    assert n > 0 and fam.predictor(tr) is fam.predictor(tr) and fam.predictor(tr)._inputs
    tr.train_epoch(0)
    again = tr.evaluate("val")
    assert len(built) == n                                        # nothing built again
    cands = fam.negatives(tr, "val")
    fresh = sm.SparsePredictor(tr.generator, samples=tr.config.train.eval_samples,
                               seed=tr.config.train.seed)
    kept = score_candidates(fam.predictor(tr), fam.index, cands, tr.window)
    plain = score_candidates(fresh, fam.index, cands, tr.window)
    assert np.array_equal(kept[0], plain[0]) and np.array_equal(kept[1], plain[1])
    assert again["mrr"]["mean"] == pytest.approx(
        fam.evaluate(tr, "val")["mrr"]["mean"]) and "mrr" in first
    tiny = sm.SparsePredictor(tr.generator, cache_bytes=1)
    score_candidates(tiny, fam.index, cands, tr.window)
    assert not tiny._inputs


def test_a_budget_below_the_window_batch_keeps_the_pair_features(tmp_path, monkeypatch):
    """Between the two sizes (large N: each window batch alone is hundreds of MB) the
    predictor keeps each target's pair features and summary but not its batch: scoring the
    same pairs again computes no feature, rebuilds the batch, and gives the same scores."""
    import gcngan.nn.sparse_model as sm
    from gcngan.ranking import score_candidates

    tr = _small_trainer(tmp_path, epochs=1)
    fam = tr.family
    cands = fam.negatives(tr, "val")
    plain = score_candidates(sm.SparsePredictor(tr.generator), fam.index, cands, tr.window)
    probe = sm.SparsePredictor(tr.generator, cache_bytes=1 << 40)
    score_candidates(probe, fam.index, cands, tr.window)
    small = sum(x.numel() * x.element_size() for i in probe._inputs.values()
                for x in (i.src, i.dst, i.graph, i.feats, i.condition))
    mid = sm.SparsePredictor(tr.generator, cache_bytes=small + (1 << 20))
    monkeypatch.setattr(sm.SparseWindowBatch, "nbytes", lambda self: 1 << 30)   # "large N"
    featurized, batches = [], []
    real_fz, real_wb = sm.PairFeaturizer.__call__, sm.window_batch
    monkeypatch.setattr(sm.PairFeaturizer, "__call__",
                        lambda *a, **k: featurized.append(1) or real_fz(*a, **k))
    monkeypatch.setattr(sm, "window_batch", lambda *a, **k: batches.append(1) or real_wb(*a, **k))
    first = score_candidates(mid, fam.index, cands, tr.window)
    n_fz, n_wb = len(featurized), len(batches)
    assert n_fz > 0 and len(mid._inputs) == n_fz
    assert all(i.batch is None for i in mid._inputs.values()) and mid._held == small
    again = score_candidates(mid, fam.index, cands, tr.window)
    assert len(featurized) == n_fz and len(batches) == 2 * n_wb
    for got in (first, again):
        assert np.array_equal(got[0], plain[0]) and np.array_equal(got[1], plain[1])


@pytest.mark.cuda
def test_trains_and_scores_on_cuda(social_csv, tmp_path):
    """The sparse path on the GPU (CSR propagation, set critic, ranking validation): same
    command, ``--device cuda``; its test MRR is a valid number (skipped without CUDA)."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA")
    run = tmp_path / "run"
    assert main(["train", str(social_csv), "--out", str(run), "--preset", "sparse",
                 "--device", "cuda", *SPLIT, *SMALL, "--epochs", "2"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert 0.0 < metrics["test"]["mrr"]["mean"] <= 1.0


def test_lazy_embeddings_train_on_sparse_row_gradients(tmp_path):
    """The preset's lazy_embeddings: the embedding table produces sparse row gradients (the
    rows a step looked up, never an (N, F) tensor) and the lazy rows are stepped."""
    tr = _small_trainer(tmp_path, epochs=1)
    table = tr.generator.encoder.embedding
    assert tr.config.train.lazy_embeddings and table.sparse
    before = table.weight.detach().clone()
    inputs, target = tr.train_set.batch(torch.tensor([0]))
    tr.train_batch(inputs, target)
    grad = table.weight.grad
    assert grad.is_sparse
    looked_up = set(inputs.batch.nodes.tolist())
    assert set(grad.coalesce().indices()[0].tolist()) <= looked_up
    moved = (table.weight.detach() != before).any(dim=1).nonzero().squeeze(1).tolist()
    assert moved and set(moved) <= looked_up


def test_the_lstm_runs_for_the_rows_the_candidates_read(tmp_path, monkeypatch):
    """forward_parts runs the LSTM only for the candidates' (window, node) rows when they
    are few (sparse_model.SELECT_ROWS_BELOW), for every row otherwise: the same parts
    either way, and scoring a few pairs in a large window asks for those rows only."""
    import gcngan.nn.sparse_model as sparse_model

    tr = _small_trainer(tmp_path, epochs=1)
    gen = tr.generator.eval()
    inputs, _ = tr.train_set.batch(torch.tensor([0]))
    asked = []
    forward = type(gen.encoder).forward
    monkeypatch.setattr(type(gen.encoder), "forward", lambda self, batch, x=None, rows=None: (
        asked.append(None if rows is None else rows.numel()) or forward(self, batch, x, rows)))
    parts = {}
    for share in (0.0, 1.0):                   # every row / only the rows read
        monkeypatch.setattr(sparse_model, "SELECT_ROWS_BELOW", share)
        with torch.no_grad():
            parts[share] = gen.forward_parts(inputs)
    assert asked[0] is None and 0 < asked[1] <= inputs.batch.num_local
    for k in ("logit", "prob", "weight", "pred"):
        assert torch.allclose(parts[0.0][k], parts[1.0][k], atol=1e-6), k
    monkeypatch.setattr(sparse_model, "SELECT_ROWS_BELOW", 0.75)
    asked.clear()
    t = tr.split["val"][0]
    sparse_model.SparsePredictor(gen).score_pairs(tr.train_set.index, t, [0], [1],
                                                  tr.config.data.window)
    assert asked == [2]


def test_describe_names_the_targets_drawn_per_epoch(tmp_path):
    """With fewer windows per epoch than training targets the run's description says how
    many an epoch draws; with more (the preset's 1,000 on a short series) it says nothing."""
    capped = _small_trainer(tmp_path, "windows_per_epoch=2", epochs=1)
    n = len(capped.train_set)
    assert n > 2 and f"2 of the {n} training targets per epoch" in \
        capped.family.describe(capped)
    assert sum(len(b) for b in capped.batches(0)) == 2
    plain = _small_trainer(tmp_path, epochs=1)
    assert "per epoch" not in plain.family.describe(plain)
