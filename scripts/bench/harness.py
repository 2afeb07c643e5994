r"""Benchmark harness: datasets x methods x seeds under one protocol, the paper's online
(rolling-origin) protocol, and training speed; results as a JSON document
(:mod:`bench.report` renders it as Markdown).

Research code, outside the installed package: it uses only :mod:`gcngan`'s public API.

Reading order:

1. **What is compared** — :data:`DATASETS` (file + protocol) and :data:`METHODS` (a naive
   baseline, or a preset + ``--set`` overrides trained by the one
   :class:`~gcngan.train.Trainer`); :data:`PROFILES` (``full``, ``quick``).
2. **Split protocol** — :func:`run_split`: for every dataset, method and seed, train with
   early stopping on validation RMSE, restore the best-validation generator
   (:func:`restore_best`) and score the test targets. Nothing is chosen on test.
3. **Online protocol** — :func:`run_online`: rolling origin as in the GCN-GAN reference code:
   predict target :math:`\tau` from its window, then update the model on it
   (:func:`online_update`, a few steps on the newest windows) before moving on.
4. **Earlier origins** — :func:`run_backtest`: the split protocol again with the last
   ``k x test`` snapshots cut off, so that a verdict is seen on several test periods.
5. **Existence from the window** — :func:`run_existence`: no model; how well any summary
   of the window predicts which entries are links (:mod:`bench.existence`), on training
   targets only: the ceiling of the mismatch rate against the window median's rule.
6. **Speed** — :func:`run_speed`: training windows/s and seconds per epoch, over training
   steps only, after a warm-up epoch; growth with :math:`N` and with the window length.
7. **Verdicts** — :func:`win_counts` and :func:`criterion`: issue 4's conditions (a) and (b)
   computed from the mean over seeds.
8. **Report** — :func:`bench.report.render_markdown` turns the JSON document into
   ``docs/results.md``.
"""
from __future__ import annotations

import datetime as _dt
import logging
import math
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch

from gcngan.baselines import get_baseline
from gcngan.config import ExperimentConfig, build_config, merge_dict
from gcngan.data import generate_mesh, load_snapshots, split_of
from gcngan.errors import ConfigError, InputError
from gcngan.metrics import evaluate_predictions
from gcngan.predict import (evaluate_split, keeps_self_loops, predict_split, predict_targets,
                            refine)

from bench.existence import best_rule, existence_study

log = logging.getLogger("gcngan.benchmark")

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The real datasets: ``../shared/datasets`` next to the repository (``--root`` overrides).
DEFAULT_ROOT = REPO_ROOT.parent / "shared" / "datasets"

# ----- 1. what is compared ------------------------------------------------------------------

#: Issue 4's five metrics for weighted data (all lower is better).
CRITERION_METRICS = ("rmse", "mae", "kl", "mlsd", "mismatch_rate")
#: Metrics reported for binary data (AUC/AP higher is better).
BINARY_METRICS = ("auc", "ap", "mismatch_rate")
#: The paper's three metrics (online protocol).
PAPER_METRICS = ("paper_mse", "kl", "mismatch_rate")
HIGHER_IS_BETTER = frozenset({"auc", "ap"})
METRIC_LABELS = {"rmse": "RMSE", "mae": "MAE", "kl": "KL (paper)", "mlsd": "MLSD",
                 "mismatch_rate": "mismatch", "paper_mse": "paper MSE", "auc": "AUC",
                 "ap": "AP", "kl_floor": "KL (floored)"}

#: GCN-GAN's published UCSB numbers (Lei et al., INFOCOM 2019, Table: UCSB).
PUBLISHED_GCN_GAN = {"paper_mse": 5.1154, "kl": 0.3247, "mismatch_rate": 0.0133}
#: The published reference implementation on its Mesh-1 demo, idle 2-core CPU (issue 4).
REFERENCE_SPEED = {"windows_per_s": 6.5, "epoch_seconds": 58.0}


@dataclass(frozen=True)
class DatasetCase:
    """A dataset and its evaluation protocol.

    Args:
        name (str): Lower-case, hyphenated.
        path (str): File under the data root (``--root``), or a registry name when
            ``registry`` is true.
        data (dict): :class:`~gcngan.config.DataConfig` fields fixed by the protocol (window,
            val, test, cap, direction); they override the method's preset.
        binary (bool): Existence only: AUC/AP and mismatch rate instead of weight errors.
        criterion (bool): Issue 4's conditions (a) and (b) are checked on it.
        note (str): One line for the report.
    """

    name: str
    path: str
    data: dict
    binary: bool = False
    criterion: bool = False
    registry: bool = False
    note: str = ""

    @property
    def metrics(self) -> tuple:
        return BINARY_METRICS if self.binary else CRITERION_METRICS


DATASETS: dict[str, DatasetCase] = {c.name: c for c in (
    DatasetCase("mesh1", "mesh1/mesh1.csv",
                {"max_threshold": 2000.0, "window": 10, "val": 10, "test": 50}, criterion=True,
                note="UCSB mesh, OpenTLP Mesh-1 (38 nodes, 445 snapshots, undirected), cap 2000"),
    DatasetCase("ucsb-meshnet-1005", "ucsb_meshnet_1005/ucsb_meshnet_1005.csv",
                {"max_threshold": 2000.0, "directed": True, "window": 10, "val": 10,
                 "test": 100}, criterion=True,
                note="GCN-GAN's UCSB data (38 nodes, 1005 snapshots, directed), cap 2000"),
    DatasetCase("enron184", "enron184/enron184.csv",
                {"window": 10, "val": 3, "test": 5}, binary=True,
                note="Enron e-mail, binary (184 nodes, 26 snapshots): only 8 training windows"),
    DatasetCase("synthetic-mesh", "synthetic-mesh", {"window": 10, "val": 10, "test": 50},
                registry=True, note="the embedded synthetic mesh (24 nodes, 240 snapshots)"),
)}


@dataclass(frozen=True)
class Method:
    """A predictor: a naive ``baseline`` name, or a ``preset`` + ``overrides`` to train."""

    name: str
    description: str
    baseline: Optional[str] = None
    preset: Optional[str] = None
    overrides: tuple = ()

    @property
    def trained(self) -> bool:
        return self.baseline is None

    def config(self) -> ExperimentConfig:
        """The preset + overrides; baselines get the plain defaults (linear scale)."""
        if not self.trained:
            return ExperimentConfig()
        return build_config(self.preset, overrides=list(self.overrides))


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("copy-last", "persistence: the last snapshot of the window", baseline="copy-last"),
    Method("mean", "entry-wise mean of the window (mean-W)", baseline="mean"),
    Method("median", "entry-wise median of the window (median-W)", baseline="median"),
    Method("ewma", "exponentially weighted moving average of the window, alpha 0.5",
           baseline="ewma"),
    Method("lstm", "the paper's LSTM baseline: flattened adjacency -> LSTM -> N^2, MSE loss",
           preset="paper", overrides=("model.encoder=none", "train.adv_weight=0")),
    Method("gcn-lstm", "ablation: the paper's GCN -> LSTM without the adversarial term",
           preset="paper", overrides=("train.adv_weight=0",)),
    Method("paper", "GCN-GAN as published (preset `paper`)", preset="paper"),
    Method("dense", "the project's dense N x N model (preset `dense`; the `default` preset "
           "before issue 15)", preset="dense"),
    Method("sparse", "issue 15's sparse GCN-GAN (preset `sparse`: sparse GCN, pair decoder, "
           "set critic), trained on the 200 most recent training targets only, at most 5 "
           "epochs (cost cap); best epoch by validation MRR (the sparse family's selection, "
           "not validation RMSE); all N x N pairs of each test target predicted and scored "
           "as the dense methods are (gcngan.predict.evaluate_sparse_split)",
           preset="sparse", overrides=("train.max_targets=200", "train.epochs=5")),
)}
NAIVE = ("copy-last", "mean", "median", "ewma")


@dataclass(frozen=True)
class OnlineSettings:
    """Rolling origin on ``dataset``: targets ``first..last``; before each is predicted the
    model has been updated on every earlier target.

    Args:
        warmup_steps (int): Steps on the targets known before ``first`` (one batch).
        steps (int): Update steps after each target.
        replay (int): Windows per update: the newest target and the ``replay - 1`` before it.
        data (dict): Data fields over the dataset's protocol. Default: read UCSB as undirected,
            as the reference code does (its reader mirrors every link; on this file that is
            the same as our ``max(w_ij, w_ji)`` symmetrisation, and it reproduces the naive
            baselines' numbers under the paper's code exactly).
    """

    dataset: str = "ucsb-meshnet-1005"
    data: dict = field(default_factory=lambda: {"directed": False})
    methods: tuple = ("paper", "dense")
    seeds: tuple = (0,)
    first: int = 12
    last: int = 999
    warmup_steps: int = 20
    steps: int = 1
    replay: int = 16


@dataclass(frozen=True)
class BacktestSettings:
    """Earlier origins of the split protocol on the profile's ``criterion`` datasets: for
    each ``k`` in ``origins`` the last ``k * test`` snapshots are cut off and the protocol is
    run on what is left (its own validation targets right before its own test targets), for
    the naive baselines and ``methods``. The real test period is never in view."""

    origins: tuple = (1, 2)
    methods: tuple = ("dense",)


@dataclass(frozen=True)
class ExistenceSettings:
    """The existence study on the profile's ``criterion`` datasets: on the training targets
    only, each of the last ``blocks`` blocks of ``test`` targets (the dataset's test count)
    is held out in turn, the rules fitted on every training target before it."""

    blocks: int = 4


@dataclass(frozen=True)
class SpeedSettings:
    """Speed runs of preset ``paper``: ``epochs`` epochs, the first one a warm-up."""

    dataset: str = "mesh1"
    epochs: int = 4
    threads: tuple = (1, 2)             # CPU thread counts of the headline measurement
    nodes: tuple = (38, 100, 300)
    windows: tuple = (5, 10, 20)
    synthetic_train_windows: int = 64


@dataclass(frozen=True)
class Profile:
    """One benchmark run: what to run and where to write."""

    name: str
    datasets: tuple
    methods: tuple
    seeds: tuple
    max_epochs: Optional[int]               # cap on each preset's own epochs (None: no cap)
    online: Optional[OnlineSettings]
    speed: Optional[SpeedSettings]
    out: str                                # Markdown path; JSON beside it (.json)
    backtest: Optional[BacktestSettings] = None
    existence: Optional[ExistenceSettings] = None


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("full", tuple(DATASETS), tuple(METHODS), (0, 1, 2), 20, OnlineSettings(),
            SpeedSettings(), "docs/results.md", BacktestSettings(), ExistenceSettings()),
    Profile("quick", ("synthetic-mesh", "mesh1"), tuple(METHODS), (0,), 3,
            OnlineSettings(last=61, warmup_steps=5),
            SpeedSettings(epochs=2, nodes=(38, 100), windows=(5,), synthetic_train_windows=32),
            "runs/benchmark-quick/results.md", BacktestSettings(origins=(1,)),
            ExistenceSettings(blocks=1)),
)}


def get_choice(table: dict, name: str, what: str):
    try:
        return table[name]
    except KeyError:
        raise ConfigError(f"unknown {what} {name!r}; valid: {', '.join(table)}") from None


# ----- helpers: configs, data, memory -------------------------------------------------------
def run_config(method: Method, case: DatasetCase, seed: int, *, device: str = "cpu",
               max_epochs: Optional[int] = None, data: Optional[dict] = None) -> ExperimentConfig:
    """The method's preset + overrides, then the protocol's data fields, seed and device."""
    cfg = method.config()
    train = {"seed": seed, "device": device}
    if max_epochs is not None:
        train["epochs"] = min(cfg.train.epochs, max_epochs)
    return merge_dict(cfg, {"data": {**case.data, **(data or {})}, "train": train})


def dataset_path(case: DatasetCase, root: str | Path) -> Path:
    if case.registry:
        from gcngan.data import fetch
        return fetch(case.path)
    path = Path(root) / case.path
    if not path.is_file():
        raise InputError(f"dataset {case.name}: {path} not found (set --root to the folder "
                         f"holding {case.path})")
    return path


class _DataCache:
    """Loaded sequences by (dataset, ingestion config): each file is read once per config."""

    def __init__(self, root: str | Path) -> None:
        self.root = root
        self._seqs: dict = {}

    def get(self, case: DatasetCase, cfg: ExperimentConfig):
        key = (case.name, repr(sorted(asdict(cfg.data).items())))
        if key not in self._seqs:
            self._seqs[key] = load_snapshots(dataset_path(case, self.root), cfg.data)
        return self._seqs[key]


def reset_peak_memory(device: torch.device | str = "cpu") -> None:
    """Reset the process's peak resident set (Linux ``clear_refs``) and CUDA's peak."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    if torch.device(device).type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory(device: torch.device | str = "cpu") -> dict:
    """Peak resident set of the process since :func:`reset_peak_memory` (MiB), and the peak
    CUDA allocation on ``device`` (MiB) when it is a GPU."""
    out: dict = {"peak_rss_mb": None}
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    out["peak_rss_mb"] = int(line.split()[1]) / 1024
    except OSError:
        import resource
        out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if torch.device(device).type == "cuda":
        out["peak_cuda_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return out


def timing(history: list[dict], num_windows: int) -> dict:
    """Training throughput from the trainer's per-epoch rows, the first (warm-up) epoch left
    out when there are more: training steps only (``train_seconds``), and epoch time with
    the validation pass (``train_seconds + val_seconds``)."""
    rows = [r for r in history if r.get("train_seconds")]
    if not rows:
        return {}
    measured = rows[1:] if len(rows) > 1 else rows
    train_s = sum(r["train_seconds"] for r in measured)
    return {"s_per_epoch": train_s / len(measured),
            "epoch_s_with_val": sum(r["train_seconds"] + r.get("val_seconds", 0.0)
                                    for r in measured) / len(measured),
            "windows_per_s": num_windows * len(measured) / train_s,
            "measured_epochs": len(measured), "warmup_excluded": len(rows) > 1}


# ----- 2. split protocol --------------------------------------------------------------------
def evaluate_baseline(method: Method, case: DatasetCase, seq, cfg: ExperimentConfig,
                      split: str = "test") -> dict:
    """Test metrics of a naive baseline, through the same prediction/refinement path."""
    targets = split_of(seq, cfg.data)[split]
    res = evaluate_split(get_baseline(method.baseline), seq, targets, cfg.data.window,
                         epsilon=cfg.train.epsilon, metrics=case.metrics)
    return {k: v["mean"] for k, v in res.items()}


def restore_best(trainer) -> bool:
    """Load the best-validation generator weights of ``trainer``'s last :meth:`fit` (kept in
    memory as :attr:`~gcngan.train.Trainer.best_state`); ``False`` when none was validated."""
    if trainer.best_state is None:
        return False
    trainer.generator.load_state_dict(trainer.best_state)
    return True


def online_update(trainer, targets: Sequence[int], steps: int = 1) -> dict:
    """Online update: ``steps`` training steps (:meth:`~gcngan.train.Trainer.train_batch`)
    on the windows of ``targets`` as one batch (e.g. the newest snapshot and a few before
    it), for rolling-origin evaluation.

    Args:
        targets (Sequence[int]): Target snapshot indices, each in ``[W, T)``.
        steps (int, optional): Steps on that batch. (default: ``1``)

    Returns:
        dict: Statistics of the last step (``g_loss``, ``d_loss`` ...) as floats.

    Raises:
        TrainingError: non-finite loss.
    """
    from gcngan.data import WindowDataset
    from gcngan.errors import TrainingError

    if steps < 1:
        raise ConfigError(f"online_update: steps={steps!r} must be >= 1")
    targets = list(targets)
    adj_seq, target = WindowDataset(trainer.adj, trainer.window, targets).batch(
        list(range(len(targets))))                                   # (B, W, N, N), (B, N, N)
    trainer.generator.train()
    trainer.critic.train()
    for _ in range(steps):
        stats = trainer.train_batch(adj_seq, target)
    out = {k: float(v) for k, v in stats.items()}
    if not all(math.isfinite(v) for v in out.values()):
        raise TrainingError(f"non-finite loss in an online update on targets "
                            f"{targets[:3]}...: {out}")
    return out


def _fit_best(cfg: ExperimentConfig, seq):
    """Fit ``cfg`` on ``seq`` in memory (the family's own selection and early stopping) and
    restore the best-validation generator: ``(trainer, training facts)``."""
    from gcngan.train import Trainer

    device = torch.device("cuda" if cfg.train.device == "cuda" else "cpu")
    reset_peak_memory(device)
    t0 = time.perf_counter()
    trainer = Trainer(cfg, seq, run_dir=None, quiet=True)
    summary = trainer.fit()
    fit_s = time.perf_counter() - t0
    restore_best(trainer)
    train = {"epochs": summary["epochs"], "best_epoch": summary["best_epoch"],
             "stopped_early": summary["stopped_early"], "fit_seconds": fit_s,
             "train_windows": len(trainer.train_set), "device": str(trainer.device),
             **timing(summary["history"], len(trainer.train_set)), **peak_memory(device)}
    return trainer, train


def train_and_test(cfg: ExperimentConfig, seq, metrics: Sequence[str],
                   sweep: bool = False) -> dict:
    """Fit with early stopping on validation RMSE, restore the best-validation generator,
    score the test split. Returns test metrics, validation metrics and training facts;
    with ``sweep`` and a hedging decoder also ``hedge_sweep``: the test metrics at every
    hedge threshold of its grid (:func:`gcngan.nn.residual.hedge_sweep`, a diagnostic:
    the reported metrics stay those of the validation-chosen threshold)."""
    from gcngan.nn.residual import hedge_sweep

    if cfg.model.family == "sparse":
        return sparse_train_and_test(cfg, seq, metrics)
    trainer, train = _fit_best(cfg, seq)
    test = trainer.evaluate("test", list(metrics))
    val = trainer.evaluate("val", ["rmse"])
    out = {"metrics": {k: v["mean"] for k, v in test.items()},
           "val_rmse": val["rmse"]["mean"], "train": train}
    decoder = trainer.generator.decoder
    if sweep and decoder.hedged:
        tc = cfg.train
        out["hedge_sweep"] = hedge_sweep(trainer.generator, seq, trainer.adj,
                                         trainer.split.test, cfg.data.window,
                                         epsilon=tc.epsilon, samples=tc.eval_samples,
                                         seed=tc.seed, metrics=list(metrics))
        out["delta"] = float(decoder.delta)
    return out


def sparse_train_and_test(cfg: ExperimentConfig, seq, metrics: Sequence[str]) -> dict:
    """:func:`train_and_test` for a sparse-family config (``model.family='sparse'``): fit with
    the family's own selection (validation MRR against seeded negatives of the validation
    targets), restore the best-validation generator, then predict **all** :math:`N \\times N`
    pairs of every test target and score them with the dense protocol's metrics
    (:func:`gcngan.predict.evaluate_sparse_split`: the same targets, refinement and
    metric code as the dense methods and naive baselines; small graphs only).

    Returns:
        dict: ``metrics`` (test, mean over target snapshots), ``val_mrr`` (the selected
        epoch's validation MRR) and ``train`` facts, as :func:`train_and_test`'s.

    Raises:
        InputError: :math:`N^2` above the all-pairs limit of
            :func:`~gcngan.predict.evaluate_sparse_split`.
    """
    from gcngan.predict import evaluate_sparse_split

    trainer, train = _fit_best(cfg, seq)
    tc = cfg.train
    test = evaluate_sparse_split(trainer.generator, seq, list(trainer.split.test),
                                 cfg.data.window, epsilon=tc.epsilon, metrics=list(metrics),
                                 samples=tc.eval_samples, seed=tc.seed, device=trainer.device)
    val = trainer.evaluate("val")
    return {"metrics": {k: v["mean"] for k, v in test.items()},
            "val_mrr": val["mrr"]["mean"], "train": train}


def run_split(profile: Profile, *, root: str | Path = DEFAULT_ROOT, device: str = "cpu",
              progress: Optional[Callable[[str], None]] = None) -> list[dict]:
    """Every dataset x method x seed of ``profile``; baselines once (they are deterministic).

    Returns:
        list[dict]: One record per run: ``dataset``, ``method``, ``seed`` (``None`` for
        baselines), ``metrics`` (test, mean over target snapshots), ``train`` facts.
    """
    cache = _DataCache(root)
    records = []
    for dname in profile.datasets:
        case = get_choice(DATASETS, dname, "dataset")
        records += _run_methods(case, profile.methods, profile.seeds, cache,
                                max_epochs=profile.max_epochs, device=device,
                                progress=progress)
    return records


def _run_methods(case: DatasetCase, methods: Sequence[str], seeds: Sequence[int],
                 cache: "_DataCache", *, max_epochs: Optional[int], device: str,
                 progress: Optional[Callable[[str], None]], cut: int = 0) -> list[dict]:
    """The split protocol for ``methods`` on ``case`` (baselines once, trained methods per
    seed), on the data without its last ``cut`` snapshots (records then carry ``cut`` and
    ``test_targets``: first and last)."""
    records = []
    for mname in methods:
        method = get_choice(METHODS, mname, "method")
        for seed in (seeds if method.trained else (None,)):
            cfg = run_config(method, case, seed or 0, device=device, max_epochs=max_epochs)
            seq = cache.get(case, cfg)
            if cut:
                seq = seq.head(seq.num_snapshots - cut)
            t0 = time.perf_counter()
            if method.trained:
                rec = train_and_test(cfg, seq, case.metrics, sweep=bool(cut))
            else:
                rec = {"metrics": evaluate_baseline(method, case, seq, cfg)}
            rec = {"dataset": case.name, "method": mname, "seed": seed, **rec,
                   "seconds": time.perf_counter() - t0, "loadavg": _loadavg()}
            if cut:
                n = seq.num_snapshots
                rec.update(cut=cut, test_targets=[n - case.data["test"], n - 1])
            records.append(rec)
            if progress:
                progress(_describe(rec))
    return records


def _criterion_cases(profile: Profile) -> list[tuple[str, DatasetCase]]:
    """(name, case) of the profile's datasets that carry issue 4's criterion."""
    cases = [(d, get_choice(DATASETS, d, "dataset")) for d in profile.datasets]
    return [(d, case) for d, case in cases if case.criterion]


def run_backtest(profile: Profile, settings: BacktestSettings, *,
                 root: str | Path = DEFAULT_ROOT, device: str = "cpu",
                 progress: Optional[Callable[[str], None]] = None) -> list[dict]:
    """:func:`run_split` at earlier origins (:class:`BacktestSettings`) on the profile's
    datasets that carry issue 4's criterion. Records as :func:`run_split`'s plus ``origin``
    (``k``), ``cut`` (snapshots removed) and ``test_targets`` (first, last)."""
    cache = _DataCache(root)
    records = []
    for dname, case in _criterion_cases(profile):
        for k in settings.origins:
            if k < 1:
                raise ConfigError(f"backtest origin {k} must be >= 1")
            recs = _run_methods(case, NAIVE + tuple(settings.methods), profile.seeds, cache,
                                max_epochs=profile.max_epochs, device=device,
                                progress=progress, cut=k * case.data["test"])
            records += [{**r, "origin": k} for r in recs]
    return records


def _describe(rec: dict) -> str:
    m = ", ".join(f"{METRIC_LABELS.get(k, k)} {v:.4g}" for k, v in rec["metrics"].items())
    seed = "" if rec.get("seed") is None else f" seed {rec['seed']}"
    t = rec.get("train") or {}
    extra = (f" [{t.get('epochs')} ep, best {t.get('best_epoch')}, "
             f"{t.get('windows_per_s', float('nan')):.0f} win/s]" if t else "")
    cut = f" (last {rec['cut']} snapshots cut)" if rec.get("cut") else ""
    return (f"{rec['dataset']}{cut} / {rec['method']}{seed}: {m}{extra} "
            f"({rec['seconds']:.0f}s)")


def run_existence(profile: Profile, settings: ExistenceSettings, *,
                  root: str | Path = DEFAULT_ROOT,
                  progress: Optional[Callable[[str], None]] = None) -> list[dict]:
    """:func:`gcngan.existence.existence_study` on the training snapshots of the profile's
    ``criterion`` datasets (validation and test targets cut off), one record per held-out
    block (:class:`ExistenceSettings`), oldest first, with ``dataset`` and ``block``
    (1 = the block right before validation)."""
    if settings.blocks < 1:
        raise ConfigError(f"existence blocks={settings.blocks} must be >= 1")
    cache = _DataCache(root)
    records = []
    for dname, case in _criterion_cases(profile):
        seq = cache.get(case, run_config(METHODS["median"], case, 0))
        block, window = case.data["test"], case.data["window"]
        train_end = seq.num_snapshots - case.data["val"] - case.data["test"]
        blocks = min(settings.blocks, (train_end - window - 1) // block)
        if blocks < settings.blocks:
            log.warning("%s: %d training targets hold only %d existence block(s) of %d",
                        dname, max(train_end - window, 0), max(blocks, 0), block)
        for b in range(blocks, 0, -1):
            end = train_end - (b - 1) * block
            rec = existence_study(seq.adj[:end], window, block, directed=seq.directed)
            records.append({"dataset": dname, "block": b, **rec})
            if progress:
                name, ratio = best_rule(rec)
                progress(f"{dname} existence, targets {rec['holdout_targets'][0]}.."
                         f"{rec['holdout_targets'][1]}: median rule mismatch "
                         f"{rec['mismatch']['median']:.5f}, best rule {name} x{ratio:.3f}")
    return records


# ----- 3. online protocol -------------------------------------------------------------------
def run_online(settings: OnlineSettings, *, root: str | Path = DEFAULT_ROOT,
               device: str = "cpu", progress: Optional[Callable[[str], None]] = None
               ) -> list[dict]:
    """Rolling-origin evaluation (the GCN-GAN reference protocol) of the naive baselines and
    ``settings.methods``.

    For each target :math:`\\tau` = ``first .. last``: predict :math:`A_\\tau` from the
    window :math:`A_{\\tau-W} .. A_{\\tau-1}`; then :func:`online_update` on the windows of
    targets :math:`\\max(W, \\tau-R+1) .. \\tau` (``R = replay``) for ``steps`` steps. Before
    the first target the model takes ``warmup_steps`` steps on the targets ``W .. first-1``.
    The model never sees a snapshot before predicting it. Metrics: the paper's three (plus
    RMSE and MAE), per target snapshot, refined exactly as in the split protocol.
    """
    from gcngan.train import Trainer

    case = get_choice(DATASETS, settings.dataset, "dataset")
    for mname in settings.methods:
        method = get_choice(METHODS, mname, "method")
        if method.trained and method.config().model.family == "sparse":
            raise ConfigError(f"online protocol: method {mname!r} is a sparse-family model; "
                              f"its rolling-origin updates train dense (N x N) models only")
    cache = _DataCache(root)
    targets = list(range(settings.first, settings.last + 1))
    metrics = list(PAPER_METRICS) + ["rmse", "mae"]
    records = []
    for mname in NAIVE:
        method = METHODS[mname]
        cfg = run_config(method, case, 0, data={**settings.data, "val": 0, "test": 0})
        seq = cache.get(case, cfg)
        if settings.first < cfg.data.window or settings.last >= seq.num_snapshots:
            raise InputError(f"online targets {settings.first}..{settings.last} must lie in "
                             f"[{cfg.data.window}, {seq.num_snapshots - 1}]")
        pred, target = predict_split(get_baseline(method.baseline), seq, targets,
                                     cfg.data.window, epsilon=cfg.train.epsilon)
        records.append({"method": mname, "seed": None, "seconds": 0.0,
                        "metrics": _means(evaluate_predictions(pred, target, metrics))})
    for mname in settings.methods:
        method = get_choice(METHODS, mname, "method")
        for seed in settings.seeds:
            cfg = run_config(method, case, seed, device=device,
                             data={**settings.data, "val": 0, "test": 0})
            seq = cache.get(case, cfg)
            t0 = time.perf_counter()
            trainer = Trainer(cfg, seq, run_dir=None, quiet=True)
            w, tc = cfg.data.window, cfg.train
            warm = list(range(w, settings.first))
            if warm and settings.warmup_steps:
                online_update(trainer, warm, steps=settings.warmup_steps)
            preds = []
            for tau in targets:
                preds.append(predict_targets(trainer.generator, trainer.adj, [tau], w,
                                             samples=tc.eval_samples, seed=tc.seed + tau))
                online_update(trainer, range(max(w, tau - settings.replay + 1), tau + 1),
                              steps=settings.steps)
            pred = refine(seq.scaler.inverse(torch.cat(preds).float()).cpu(), tc.epsilon,
                          seq.directed, keeps_self_loops(seq))
            target = seq.adj[torch.as_tensor(targets)]
            rec = {"method": mname, "seed": seed, "seconds": time.perf_counter() - t0,
                   "loadavg": _loadavg(),
                   "metrics": _means(evaluate_predictions(pred, target, metrics))}
            records.append(rec)
            if progress:
                progress(f"online {settings.dataset} / {mname} seed {seed}: " + ", ".join(
                    f"{k} {v:.4g}" for k, v in rec["metrics"].items())
                    + f" ({rec['seconds']:.0f}s)")
    return records


def _means(result: dict) -> dict:
    return {k: v["mean"] for k, v in result.items()}


# ----- 4. speed -----------------------------------------------------------------------------
def measure_speed(cfg: ExperimentConfig, seq, epochs: int) -> dict:
    """Train ``epochs`` epochs of ``cfg`` on ``seq`` (no early stop) and time them
    (:func:`timing`: training steps only, first epoch left out)."""
    from gcngan.train import Trainer

    cfg = merge_dict(cfg, {"train": {"epochs": epochs, "patience": epochs + 1}})
    device = torch.device("cuda" if cfg.train.device == "cuda" else "cpu")
    reset_peak_memory(device)
    trainer = Trainer(cfg, seq, run_dir=None, quiet=True)
    summary = trainer.fit()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return {"num_nodes": seq.num_nodes, "window": cfg.data.window,
            "threads": torch.get_num_threads(),
            "train_windows": len(trainer.train_set), "batch_size": cfg.train.batch_size,
            "device": str(trainer.device), **timing(summary["history"], len(trainer.train_set)),
            **peak_memory(device), "loadavg": _loadavg()}


def run_speed(settings: SpeedSettings, *, root: str | Path = DEFAULT_ROOT,
              devices: Sequence[str] = ("cpu",),
              progress: Optional[Callable[[str], None]] = None) -> dict:
    """``paper`` preset speed: on ``settings.dataset`` (protocol window), with the window
    length varied there, and with the node count varied on synthetic meshes
    (:func:`~gcngan.data.generate_mesh`, ``synthetic_train_windows`` training windows)."""
    case = get_choice(DATASETS, settings.dataset, "dataset")
    cache = _DataCache(root)
    out: dict = {"dataset": settings.dataset, "epochs": settings.epochs, "runs": []}

    def record(kind: str, res: dict) -> None:
        res = {"kind": kind, **res}
        out["runs"].append(res)
        if progress:
            progress(f"speed {kind} {res['device']} ({res['threads']} threads) "
                     f"N={res['num_nodes']} W={res['window']}: "
                     f"{res.get('windows_per_s', float('nan')):.1f} windows/s, "
                     f"{res.get('s_per_epoch', float('nan')):.2f} s/epoch")

    threads = torch.get_num_threads()
    for dev in devices:
        w0 = case.data["window"]
        cfg = run_config(METHODS["paper"], case, 0, device=dev)
        for n_threads in (settings.threads if dev == "cpu" else (threads,)):
            torch.set_num_threads(n_threads)
            try:
                record("dataset", measure_speed(cfg, cache.get(case, cfg), settings.epochs))
            finally:
                torch.set_num_threads(threads)
        for w in sorted(set(settings.windows) - {w0}):
            cfg = run_config(METHODS["paper"], case, 0, device=dev, data={"window": w})
            record("window", measure_speed(cfg, cache.get(case, cfg), settings.epochs))
        for n in settings.nodes:
            w = case.data["window"]
            seq = generate_mesh(num_nodes=n, seed=0,
                                num_snapshots=w + 4 + settings.synthetic_train_windows)
            synth = DatasetCase("synthetic", "", {"window": w, "val": 2, "test": 2})
            cfg = run_config(METHODS["paper"], synth, 0, device=dev)
            record("nodes", measure_speed(cfg, seq, settings.epochs))
    return out


# ----- 5. verdicts --------------------------------------------------------------------------
def better(metric: str, a: float, b: float) -> bool:
    """``a`` strictly better than ``b`` on ``metric``."""
    return a > b if metric in HIGHER_IS_BETTER else a < b


def win_counts(scores: dict[str, dict], model: str = "dense",
               baselines: Sequence[str] = NAIVE,
               metrics: Sequence[str] = CRITERION_METRICS) -> dict[str, int]:
    """On how many ``metrics`` ``model`` is strictly better than each baseline.

    Args:
        scores: ``{method: {metric: value}}`` (means over seeds).

    Examples:
        >>> s = {"m": {"rmse": 1.0, "mae": 2.0}, "b": {"rmse": 2.0, "mae": 1.0}}
        >>> win_counts(s, "m", ["b"], ["rmse", "mae"])
        {'b': 1}
    """
    return {b: sum(better(m, scores[model][m], scores[b][m]) for m in metrics)
            for b in baselines}


def criterion(scores: dict[str, dict], model: str = "dense",
              baselines: Sequence[str] = NAIVE, metrics: Sequence[str] = CRITERION_METRICS,
              min_wins: int = 4, tolerance: float = 0.05) -> dict:
    """Issue 4's conditions on one dataset, from the mean over seeds.

    (a) ``model`` beats **each** baseline on at least ``min_wins`` of ``metrics``;
    (b) on **every** metric it is within ``tolerance`` of the best baseline
    (``model <= (1 + tolerance) * best`` for lower-is-better metrics).

    Returns:
        dict: ``wins`` (per baseline), ``a``, ``b`` (bools), ``ratio`` (model / best baseline
        per metric), ``best`` (the best baseline per metric).
    """
    wins = win_counts(scores, model, baselines, metrics)
    ratio, best = {}, {}
    for m in metrics:
        pick = max if m in HIGHER_IS_BETTER else min
        best[m] = pick(baselines, key=lambda b: scores[b][m])
        ref = scores[best[m]][m]
        ratio[m] = scores[model][m] / ref if ref else (1.0 if scores[model][m] == ref
                                                       else math.inf)
    b_ok = all((r >= 1 - tolerance) if m in HIGHER_IS_BETTER else (r <= 1 + tolerance)
               for m, r in ratio.items())
    return {"wins": wins, "a": all(n >= min_wins for n in wins.values()), "b": b_ok,
            "ratio": ratio, "best": best, "min_wins": min_wins, "tolerance": tolerance}


def summarize(records: list[dict]) -> dict:
    """``{dataset: {method: {metric: {"mean", "std", "n"}}}}`` over seeds (``std`` ddof=1,
    ``None`` for one run); training facts averaged the same way under ``"train"``."""
    groups: dict = {}
    for r in records:
        groups.setdefault(r.get("dataset", ""), {}).setdefault(r["method"], []).append(r)
    out: dict = {}
    for d, methods in groups.items():
        for m, rs in methods.items():
            entry = {k: _stat([r["metrics"][k] for r in rs]) for k in rs[0]["metrics"]}
            trains = [r["train"] for r in rs if r.get("train")]
            if trains:
                entry["train"] = {k: _stat([t[k] for t in trains])
                                  for k in ("s_per_epoch", "epoch_s_with_val", "windows_per_s",
                                            "epochs", "best_epoch", "peak_rss_mb",
                                            "peak_cuda_mb")
                                  if all(isinstance(t.get(k), (int, float)) for t in trains)}
            out.setdefault(d, {})[m] = entry
    return out


def _stat(values: list) -> dict:
    vals = [float(v) for v in values if v is not None]
    if not vals:
        return {"mean": None, "std": None, "n": 0}
    std = statistics.stdev(vals) if len(vals) > 1 else None
    return {"mean": statistics.fmean(vals), "std": std, "n": len(vals)}


def verdicts(summary: dict, model: str = "dense") -> dict:
    """:func:`criterion` on every weighted dataset of ``summary`` that has ``model`` and all
    naive baselines (``{dataset: result}``)."""
    out = {}
    for d, methods in summary.items():
        case = DATASETS.get(d)
        if case is None or case.binary or model not in methods \
                or not all(b in methods for b in NAIVE):
            continue
        scores = {m: {k: v["mean"] for k, v in e.items() if k != "train"}
                  for m, e in methods.items()}
        out[d] = criterion(scores, model)
    return out


# ----- environment ------------------------------------------------------------------------
def _loadavg() -> Optional[list]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(device: str) -> dict:
    """Device, versions, CPU and load, for the report."""
    import gcngan

    env = {"torch": torch.__version__, "gcngan": gcngan.__version__,
           "python": platform.python_version(), "platform": platform.platform(),
           "cpu": cpu_name(), "cpu_count": os.cpu_count(),
           "torch_threads": torch.get_num_threads(), "device": device,
           "cuda_available": torch.cuda.is_available(), "loadavg_start": _loadavg()}
    if torch.cuda.is_available():
        env["gpu"] = torch.cuda.get_device_name(0)
    return env


# ----- the whole run --------------------------------------------------------------------------
def run_benchmark(profile: Profile, *,
                  protocols: Sequence[str] = ("split", "online", "backtest", "existence",
                                              "speed", "ranking", "ingest", "sparse"),
                  root: str | Path = DEFAULT_ROOT, device: str = "cpu",
                  progress: Optional[Callable[[str], None]] = None,
                  argv: Optional[list] = None, threads: Optional[int] = None,
                  sparse: Optional[dict] = None) -> dict:
    """Run the chosen protocols of ``profile``; returns the JSON document.

    ``sparse``: the sparse protocol's ``datasets``/``variants``/``seeds`` from the command
    line (:func:`bench.sections.run_sparse`).

    ``threads`` sets ``torch.set_num_threads`` for the whole run: on a shared machine one
    thread per process avoids the collapse of OpenMP's spinning threads when the cores are
    oversubscribed (measured 4x slower with 2 threads and a load of 4 on 2 cores).
    """
    if threads is not None:
        if threads < 1:
            raise ConfigError(f"threads={threads} must be >= 1")
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    doc: dict = {"generated": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                 "command": "python scripts/benchmark.py " + " ".join(argv or []),
                 "profile": profile.name, "environment": environment(device),
                 "protocol": {"datasets": {d: asdict(DATASETS[d]) for d in profile.datasets},
                              "methods": {m: asdict(METHODS[m]) for m in profile.methods},
                              "seeds": list(profile.seeds), "max_epochs": profile.max_epochs,
                              "presets": {m: _preset_summary(METHODS[m])
                                          for m in profile.methods if METHODS[m].trained}}}
    if "split" in protocols:
        doc["split"] = run_split(profile, root=root, device=device, progress=progress)
    if "online" in protocols and profile.online is not None:
        doc["online"] = {"settings": asdict(profile.online),
                         "runs": run_online(profile.online, root=root, device=device,
                                            progress=progress)}
    if "backtest" in protocols and profile.backtest is not None:
        doc["backtest"] = {"settings": asdict(profile.backtest),
                           "runs": run_backtest(profile, profile.backtest, root=root,
                                                device=device, progress=progress)}
    if "existence" in protocols and profile.existence is not None:
        doc["existence"] = {"settings": asdict(profile.existence),
                            "runs": run_existence(profile, profile.existence, root=root,
                                                  progress=progress)}
    if "speed" in protocols and profile.speed is not None:
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        doc["speed"] = run_speed(profile.speed, root=root, devices=devices, progress=progress)
        # the section keeps its own machine facts: later --merge runs replace "environment"
        doc["speed"].update(torch_threads=doc["environment"].get("torch_threads"),
                            cpu=doc["environment"].get("cpu"))
    if "ranking" in protocols:
        from bench.sections import run_ranking

        doc["ranking"] = run_ranking(profile.name, root=root, progress=progress)
    if "ingest" in protocols:
        from bench.sections import run_ingest

        doc["ingest"] = run_ingest(profile.name, progress=progress)
    if "sparse" in protocols:
        from bench.sections import run_sparse

        doc["sparse"] = run_sparse(profile.name, root=root, progress=progress, options=sparse)
    if "sparse-cost" in protocols:
        from bench.sections import run_sparse_cost

        doc.setdefault("sparse", {})["cost"] = run_sparse_cost(profile.name, root=root,
                                                               progress=progress)
    if "ddp" in protocols:
        from bench.sections import run_ddp

        doc["ddp"] = run_ddp(profile.name, root=root, progress=progress)
    if "heldout" in protocols:
        from bench.sections import run_heldout

        doc["heldout"] = run_heldout(profile.name, root=root, progress=progress)
    doc["environment"]["loadavg_end"] = _loadavg()
    doc["environment"]["total_seconds"] = time.perf_counter() - t0
    return doc


def _preset_summary(method: Method) -> dict:
    cfg = method.config()
    return {"model": asdict(cfg.model), "train": {k: v for k, v in asdict(cfg.train).items()
                                                  if k not in ("seed", "device")}}


def auto_threads() -> Optional[int]:
    """1 when the machine is already busy (1-minute load average at least the number of
    cores minus 0.5), else ``None`` (torch's default)."""
    load = _loadavg()
    cores = os.cpu_count() or 1
    return 1 if load is not None and cores > 1 and load[0] >= cores - 0.5 else None


def merge_documents(old: dict, new: dict) -> dict:
    """``new`` over ``old``: split records replace those of the same (dataset, method, seed),
    other sections are replaced when ``new`` has them; protocol tables are united."""
    out = dict(old)
    for key in ("generated", "profile"):
        out[key] = new[key]
    out["command"] = f"{old.get('command', '')}\n{new['command']}".strip()
    env_old = old.get("environment", {})
    out["environment"] = {**new["environment"],
                          "runs": env_old.get("runs", [_run_facts(old)]) + [_run_facts(new)],
                          "merged_runs": env_old.get("merged_runs", 1) + 1,
                          "total_seconds": env_old.get("total_seconds", 0.0)
                          + new["environment"].get("total_seconds", 0.0)}
    proto = dict(old.get("protocol", {}))
    for k, v in new.get("protocol", {}).items():
        proto[k] = {**proto.get(k, {}), **v} if isinstance(v, dict) else v
    out["protocol"] = proto
    if "split" in new:
        keys = {(r["dataset"], r["method"], r["seed"]) for r in new["split"]}
        out["split"] = [r for r in old.get("split", [])
                        if (r["dataset"], r["method"], r["seed"]) not in keys] + new["split"]
    if "online" in new:
        if "online" in old and old["online"].get("settings") == new["online"]["settings"]:
            keys = {(r["method"], r["seed"]) for r in new["online"]["runs"]}
            runs = [r for r in old["online"]["runs"] if (r["method"], r["seed"]) not in keys]
            out["online"] = {**new["online"], "runs": runs + new["online"]["runs"]}
        else:
            out["online"] = new["online"]
    if "speed" in old and "speed" not in new:       # keep the facts of the run that measured
        out["speed"] = {"torch_threads": env_old.get("torch_threads"), "cpu": env_old.get("cpu"),
                        **old["speed"]}
    for key in ("backtest", "existence", "speed", "ingest", "ddp"):
        if key in new:
            out[key] = new[key]
    if "heldout" in new:
        import bench_heldout

        out["heldout"] = bench_heldout.merge(old.get("heldout"), new["heldout"])
    if "sparse" in new:
        from bench.sections import merge_sparse

        out["sparse"] = merge_sparse(old.get("sparse"), new["sparse"])
    if "ranking" in new:
        from bench.sections import merge_ranking

        out["ranking"] = merge_ranking(old.get("ranking"), new["ranking"])
    return out


def _run_facts(doc: dict) -> dict:
    env = doc.get("environment", {})
    return {"command": doc.get("command", ""), "generated": doc.get("generated"),
            "torch_threads": env.get("torch_threads"), "loadavg_start": env.get("loadavg_start"),
            "loadavg_end": env.get("loadavg_end"), "total_seconds": env.get("total_seconds")}
