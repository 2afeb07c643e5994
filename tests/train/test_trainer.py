import csv
import math

import pytest
import torch

from gcngan.config import build_config
from gcngan.data import Scaler, SnapshotSequence
from gcngan.errors import ConfigError
from gcngan.nn.residual import hedge_score
from gcngan.train import Trainer, TrainingInterrupted, resolve_device

TINY = ["noise_dim=4", "gcn_channels=4,3", "lstm_hidden=16", "critic_hidden=12,6",
        "window=3", "val=3", "test=3", "batch_size=4", "device=cpu", "epochs=2"]


def tiny_seq(T=16, N=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    adj = torch.rand(T, N, N, generator=g) * 10 * (torch.rand(T, N, N, generator=g) < 0.6)
    adj = (adj + adj.transpose(1, 2)) / 2
    adj[:, range(N), range(N)] = 0
    return SnapshotSequence(adj=adj, node_ids=list(range(N)), directed=False,
                            scaler=Scaler("linear", float(adj.max())))


def tiny_trainer(*overrides, run_dir=None, preset="paper"):
    cfg = build_config(preset, overrides=TINY + list(overrides))
    return Trainer(cfg, tiny_seq(), run_dir=run_dir, quiet=True)


def params(module):
    return [p.detach().clone() for p in module.parameters()]


def test_one_critic_and_generator_step_changes_parameters():
    tr = tiny_trainer()
    adj_seq, target = tr.train_set.batch(torch.arange(4))
    g0, d0 = params(tr.generator), params(tr.critic)
    fake = tr.generator(adj_seq)
    d = tr.critic_step(adj_seq, target, fake)
    g = tr.generator_step(adj_seq, target, fake)
    for stats in (d, g):
        assert all(torch.isfinite(v).all() for v in stats.values())
    assert any(not torch.equal(a, b) for a, b in zip(g0, params(tr.generator)))
    assert any(not torch.equal(a, b) for a, b in zip(d0, params(tr.critic)))
    clip = tr.config.train.clip
    assert all(p.abs().max() <= clip for p in tr.critic.parameters())
    assert tr.step == 1 and tr.critic_steps == 1
    assert isinstance(tr.opt_g, torch.optim.RMSprop)
    assert all(p.requires_grad for p in tr.critic.parameters())


def _comparable(history):
    drop = {"train_seconds", "windows_per_s", "val_seconds"}
    return [{k: v for k, v in row.items() if k not in drop} for row in history]


def test_fixed_seed_is_reproducible():
    # the global RNG drives training noise and dropout: build and train one after the other
    a = tiny_trainer()
    ha = a.fit()["history"]
    b = tiny_trainer()
    hb = b.fit()["history"]
    assert _comparable(ha) == _comparable(hb)
    for x, y in zip(params(a.generator), params(b.generator)):
        assert torch.equal(x, y)
    c = tiny_trainer("seed=1")
    assert _comparable(c.fit()["history"]) != _comparable(ha)


@pytest.mark.parametrize("extra", [["loss=wgan-gp"], ["loss=bce", "label_smoothing=0.1"],
                                   ["critic_condition=history"], ["pretrain_epochs=1"],
                                   ["n_critic=2"], ["node_input=embedding"]])
def test_variants_train_with_finite_losses(extra):
    tr = tiny_trainer(*extra, "epochs=1")
    out = tr.fit()
    rows = out["history"]
    assert len(rows) == 1 + tr.config.train.pretrain_epochs
    for row in rows:
        assert math.isfinite(row["g_loss"]) and math.isfinite(row["val_rmse"])
    if "loss=wgan-gp" in extra or "loss=bce" in extra:
        assert isinstance(tr.opt_d, torch.optim.Adam) and tr.opt_d.defaults["betas"][0] == 0.5
    if "pretrain_epochs=1" in extra:
        assert rows[0]["phase"] == "pretrain" and rows[1]["phase"] == "adversarial"


def test_run_dir_files_log_and_best(tmp_path):
    tr = tiny_trainer(run_dir=tmp_path)
    out = tr.fit()
    assert {p.name for p in tmp_path.iterdir()} >= {"best.pt", "last.pt", "log.csv", "losses.png"}
    with open(tmp_path / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2
    for col in ("epoch", "d_loss", "g_loss", "wasserstein", "d_real", "d_fake", "grad_norm_g",
                "grad_norm_d", "diversity_noise", "diversity_history", "val_rmse",
                "train_seconds"):
        assert col in rows[0], col
    best = min(float(r["val_rmse"]) for r in rows)
    assert out["best_metric"] == pytest.approx(best, rel=1e-5)


def test_early_stopping_with_patience():
    tr = tiny_trainer("epochs=6", "patience=1", "lr=1e-30")   # no improvement after epoch 1
    out = tr.fit()
    assert out["stopped_early"] and out["epochs"] == 2 and out["best_epoch"] == 1


@pytest.mark.parametrize("stop_at", [3, 4])      # 2 batches per epoch: mid-epoch 2, end of 2
def test_interrupt_and_resume_is_identical(tmp_path, stop_at):
    full = tiny_trainer("epochs=3")
    full.fit()

    part = tiny_trainer("epochs=3", run_dir=tmp_path)
    calls = {"n": 0}
    orig = part.critic_step

    def stop_after_some(*a, **k):
        calls["n"] += 1
        if calls["n"] == stop_at:
            part.stop_requested = True
        return orig(*a, **k)

    part.critic_step = stop_after_some
    with pytest.raises(TrainingInterrupted):
        part.fit()
    from gcngan.train import load_checkpoint
    state = load_checkpoint(tmp_path / "last.pt")
    assert (state["partial_epoch"] is not None) == (stop_at == 3)
    assert state["epoch"] == (1 if stop_at == 3 else 2)

    resumed = tiny_trainer("epochs=3", run_dir=tmp_path)
    resumed.load_state_dict(state)
    resumed.fit()
    for x, y in zip(params(full.generator), params(resumed.generator)):
        assert torch.equal(x, y)
    assert _comparable(full.history)[-1] == _comparable(resumed.history)[-1]


def test_evaluate_reports_every_metric_on_raw_scale():
    tr = tiny_trainer()
    res = tr.evaluate("test")
    assert res["rmse"]["mean"] > 0 and "auc" in res and res["rmse"]["std"] is not None
    pred, target = tr.predict("test")
    assert pred.shape == (3, 5, 5) and float(pred.max()) <= float(tr.data.scaler.denom) + 1e-4


def test_device_resolution():
    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert resolve_device("auto").type == "cpu"
        with pytest.raises(ConfigError, match="no CUDA"):
            resolve_device("cuda")


@pytest.mark.cuda
def test_fit_on_cuda():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA")
    tr = tiny_trainer("device=cuda", "epochs=1")
    row = tr.fit()["history"][0]
    assert math.isfinite(row["val_rmse"]) and row["peak_cuda_mb"] > 0


DENSE_TINY = ["window=3", "val=3", "test=3", "batch_size=4", "device=cpu", "epochs=1",
                "lstm_hidden=8", "decoder_hidden=16", "critic_hidden=12,6", "eval_samples=2"]


def test_dense_preset_trains_and_selects_the_hedge_on_validation():
    cfg = build_config("dense", overrides=DENSE_TINY)
    tr = Trainer(cfg, tiny_seq(), quiet=True)
    assert tr.monitor == "val_score"
    before = params(tr.generator)
    out = tr.fit()
    assert any(not torch.equal(a, b) for a, b in zip(before, params(tr.generator)))
    row = out["history"][-1]
    assert math.isfinite(row["g_loss"]) and math.isfinite(row["d_loss"])
    assert row["delta"] in tr.generator.decoder.delta_grid
    assert math.isfinite(row["val_score"]) and out["best_epoch"] in (0, 1)
    # the score is the criterion: worst ratio to the best baseline (+1 if one wins twice)
    base = tr.selection.baseline_metrics(tr, "val")
    assert hedge_score(base["median"], base) >= 1.0
    eps = float(tr.generator.decoder.log_floor)
    assert eps == pytest.approx(max(0.01 / tr.data.scaler.denom, 1e-6))


def test_hurdle_recon_needs_the_residual_decoder():
    with pytest.raises(ConfigError, match="recon='hurdle'"):
        tiny_trainer("recon=hurdle")


def test_unset_lr_takes_the_loss_default(tiny_adj):
    from gcngan.config import build_config
    from gcngan.data import SnapshotSequence
    from gcngan.train import Trainer

    seq = SnapshotSequence(tiny_adj, list(range(8)), directed=True)
    for loss, lr in (("wgan-clip", 1e-4), ("wgan-gp", 5e-4), ("bce", 5e-4)):
        cfg = build_config("paper", None, [f"loss={loss}", "device=cpu", "lstm_hidden=8",
                                           "critic_hidden=8", "noise_dim=4"])
        cfg.data.window, cfg.data.val, cfg.data.test = 3, 2, 2
        tr = Trainer(cfg, seq)
        assert tr.lr == lr and tr.opt_g.param_groups[0]["lr"] == lr
    cfg.train.lr = 2e-3
    assert Trainer(cfg, seq).opt_g.param_groups[0]["lr"] == 2e-3


def test_hedge_score_skips_ratios_of_non_positive_best_values():
    base = {"a": {"rmse": 1.0, "mae": 1.0, "kl": -0.1, "mlsd": 1.0, "mismatch_rate": 1.0}}
    good = {"rmse": 1.02, "mae": 0.9, "kl": -0.2, "mlsd": 0.9, "mismatch_rate": 0.9}
    assert hedge_score(good, base) == pytest.approx(1.02)
    assert hedge_score({**good, "kl": 0.3, "rmse": 1.01}, base) == pytest.approx(2.01)


def test_dense_preset_ranks_binary_links_by_existence_probability():
    """On binary data the hard gate makes the dense preset's weights those of the window median,
    but AUC/AP rank its existence probability: untrained, that orders entries by how often
    they were non-zero in the window, exactly as the window mean does."""
    from gcngan.baselines import WindowMean, WindowMedian
    from gcngan.predict import evaluate_split

    g = torch.Generator().manual_seed(1)
    rate = torch.rand(6, 6, generator=g) ** 2                           # per-pair link rate
    links = (torch.rand(20, 6, 6, generator=g) < rate).float()
    links = torch.maximum(links, links.transpose(1, 2))
    links[:, range(6), range(6)] = 0
    binary = SnapshotSequence(adj=links, node_ids=list(range(6)), directed=False,
                              scaler=Scaler("linear", 1.0))
    cfg = build_config("dense", overrides=DENSE_TINY)
    tr = Trainer(cfg, binary, quiet=True)
    model = tr.evaluate("test", ["auc", "ap", "mismatch_rate"])

    def naive(b):
        return evaluate_split(b, binary, tr.split["test"], 3, epsilon=0.01,
                              metrics=["auc", "ap", "mismatch_rate"])
    mean, median = naive(WindowMean()), naive(WindowMedian())
    assert model["auc"]["mean"] == pytest.approx(mean["auc"]["mean"], abs=1e-12)
    assert model["ap"]["mean"] == pytest.approx(mean["ap"]["mean"], abs=1e-12)
    assert model["auc"]["mean"] > median["auc"]["mean"]
    assert model["mismatch_rate"] == median["mismatch_rate"]          # weights: the median


def test_windows_per_epoch_draws_a_seeded_subset_each_epoch():
    """train.windows_per_epoch = K: each epoch's batches hold K distinct training windows,
    the same ones for the same seed and epoch (so a resumed epoch is the same epoch), other
    ones in other epochs, every window within a few epochs; 0 keeps them all."""
    full = tiny_trainer("batch_size=2")
    capped = tiny_trainer("batch_size=2", "windows_per_epoch=3")
    n = len(capped.train_set)
    assert n > 3 and sum(len(b) for b in full.batches(0)) == n
    drawn = [torch.cat(capped.batches(e)).tolist() for e in range(12)]
    assert all(len(d) == 3 == len(set(d)) for d in drawn)
    assert drawn[0] == torch.cat(tiny_trainer("batch_size=2", "windows_per_epoch=3")
                                 .batches(0)).tolist()
    assert drawn[0] == torch.cat(full.batches(0)).tolist()[:3]
    assert len({tuple(d) for d in drawn}) > 1 and set().union(*drawn) == set(range(n))
    with pytest.raises(ConfigError, match="windows_per_epoch"):
        tiny_trainer("windows_per_epoch=-1")
