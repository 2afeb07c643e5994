r"""Pre-flight checks before a long GAN run (``gcngan check``).

The routine practitioners follow before training a GAN, as four functions, each returning
a :class:`CheckResult` (name, passed, value, detail):

1. :func:`check_data` — preview the data: nodes, snapshots, weight range, density, share of
   zero entries; fails when the data cannot be trained on (too few snapshots for the split,
   no links, non-finite or negative weights after scaling).
2. :func:`check_critic` — a fresh critic, trained for a few steps with the configured loss
   and optimiser, separates real snapshots from random-noise matrices of the same shape,
   value range and density (held-out pairwise accuracy = AUC, and the score gap).
3. :func:`check_generator` — the untrained generator emits ``(B, N, N)`` tensors inside
   ``[0, 1]``, finite, on the configured device (training and evaluation mode).
4. :func:`check_training` — a short training run moves both losses, the validation RMSE
   improves over the untrained generator, and the output responds to the history (the same
   noise with the windows shuffled gives a different prediction).

:func:`run_checks` runs all four. Models come from the config unless a factory is injected
(``generator_factory(config, num_nodes) -> nn.Module``), which is how the tests show that a
generator whose output ignores its input fails check 4.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional

import torch
from torch import Tensor, nn

from gcngan.config import ExperimentConfig
from gcngan.data.windows import split_of
from gcngan.errors import GcnganError
from gcngan.predict import noise_generator

Factory = Callable[[ExperimentConfig, int], nn.Module]

CRITIC_STEPS = 200          # check 2: at most this many critic updates on real vs noise
CRITIC_MIN_AUC = 0.9        # check 2: held-out P(score(real) > score(noise))
TRAIN_STEPS = 20            # check 4: at least this many training batches (whole epochs) ...
MAX_TRAIN_STEPS = 120       # ... and more, up to this many, until validation RMSE improves
MIN_SENSITIVITY = 1e-5      # check 4: output change when the history changes, relative
WEAK_SENSITIVITY = 0.05     # below: noted (mostly an average snapshot), not a failure


@dataclass
class CheckResult:
    """Outcome of one check; ``value`` is its headline number(s), ``detail`` one sentence."""

    name: str
    passed: bool
    value: Any
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


def _trainer(config: ExperimentConfig, seq, generator_factory: Optional[Factory] = None,
             critic_factory: Optional[Factory] = None):
    from gcngan.train.trainer import Trainer

    n = seq.num_nodes
    return Trainer(config, seq, run_dir=None, quiet=True,
                   generator=generator_factory(config, n) if generator_factory else None,
                   critic=critic_factory(config, n) if critic_factory else None)


# ----- 1. data ----------------------------------------------------------------------------
def check_data(seq, config: ExperimentConfig) -> CheckResult:
    """Preview the data (the ``data inspect`` summary) and test that it can be trained on."""
    s = seq.summary()
    dc = config.data
    value = {k: s[k] for k in ("num_nodes", "num_snapshots", "weight_min", "weight_max",
                               "density_mean", "zero_share", "empty_snapshots", "directed")}
    problems = []
    try:
        split = split_of(seq, dc)
        value["split"] = {"train": len(split.train), "val": len(split.val),
                          "test": len(split.test)}
        if len(split.val) < 2:
            problems.append(f"only {len(split.val)} validation target(s); "
                            "checks 2-4 need at least 2 (--val)")
    except GcnganError as exc:
        problems.append(str(exc))
    if seq.num_nodes < 2:
        problems.append(f"{seq.num_nodes} node(s)")
    if s["num_nonzero"] == 0:
        problems.append("no links at all")
    scaled = seq.scaled()
    if not bool(torch.isfinite(scaled).all()):
        problems.append("non-finite weights after scaling")
    elif scaled.numel() and (float(scaled.min()) < 0 or float(scaled.max()) > 1):
        problems.append(f"scaled weights outside [0, 1] ({float(scaled.min()):.3g}.."
                        f"{float(scaled.max()):.3g})")
    detail = (f"{s['num_nodes']} nodes x {s['num_snapshots']} snapshots, weights "
              f"{s['weight_min']:.4g}..{s['weight_max']:.4g}, mean density "
              f"{s['density_mean']:.3f}, {100 * s['zero_share']:.1f}% zero entries")
    if problems:
        detail += "; " + "; ".join(problems)
    return CheckResult("data", not problems, value, detail)


# ----- 2. critic --------------------------------------------------------------------------
def noise_like(real: Tensor, density: float, generator: torch.Generator) -> Tensor:
    """Random matrices shaped like ``real`` (``(B, N, N)``), uniform in ``[0, real.max()]``
    on a random share ``density`` of the entries, zero elsewhere."""
    hi = float(real.max()) if real.numel() else 1.0
    vals = torch.rand(real.shape, generator=generator, device=real.device) * hi
    keep = torch.rand(real.shape, generator=generator, device=real.device) < density
    return vals * keep                                                   # (B, N, N)


def pairwise_auc(pos: Tensor, neg: Tensor) -> float:
    """P(pos > neg) over all pairs (ties count 1/2).

    Examples:
        >>> pairwise_auc(torch.tensor([2., 3.]), torch.tensor([1., 2.]))
        0.875
    """
    diff = pos.reshape(-1, 1) - neg.reshape(1, -1)
    return float((diff > 0).double().mean() + 0.5 * (diff == 0).double().mean())


def check_critic(seq, config: ExperimentConfig, *, steps: int = CRITIC_STEPS,
                 critic_factory: Optional[Factory] = None,
                 min_auc: float = CRITIC_MIN_AUC) -> CheckResult:
    """Train a fresh critic (configured loss, optimiser, clipping/GP) on training snapshots
    vs noise, up to ``steps`` batches (stopping early, checked every 10, once it separates
    them); score held-out validation/test snapshots vs fresh noise."""
    from gcngan.data.windows import WindowDataset

    tr = _trainer(config, seq, critic_factory=critic_factory)
    g = torch.Generator(device=tr.device).manual_seed(config.train.seed + 7)
    density = float((tr.adj > 0).double().mean())
    train_idx = torch.as_tensor(list(range(len(tr.train_set))))
    bs = config.train.batch_size
    held = list(tr.split.val) + list(tr.split.test) or list(tr.split.train)
    held_seq, held_real = WindowDataset(tr.adj, tr.window, held).batch(list(range(len(held))))
    held_noise = noise_like(held_real, density, g)
    cond = held_seq if tr.conditional else None

    def score() -> tuple[float, float]:
        tr.critic.eval()
        with torch.no_grad():
            s_real = tr.critic(held_real, cond).detach().float().cpu()   # (K,)
            s_noise = tr.critic(held_noise, cond).detach().float().cpu()
        tr.critic.train()
        return pairwise_auc(s_real, s_noise), float(s_real.mean() - s_noise.mean())

    done = 0
    auc, gap = score()
    while done == 0 or (done < steps and auc < min_auc):
        for _ in range(min(10, steps - done) or 1):
            pick = train_idx[torch.randint(len(train_idx), (min(bs, len(train_idx)),))]
            adj_seq, real = tr.train_set.batch(pick)                     # (B, W, N, N), (B, N, N)
            tr.critic_step(adj_seq, real, noise_like(real, density, g))
            done += 1
        auc, gap = score()
    ok = math.isfinite(auc) and auc >= min_auc
    detail = (f"after {done} {config.train.loss} critic steps, held-out real snapshots "
              f"outscore noise in {100 * auc:.1f}% of pairs (need {100 * min_auc:.0f}%); "
              f"score gap {gap:.4g}")
    if not ok:
        detail += " — the critic cannot learn; check its learning rate, clip or architecture"
    return CheckResult("critic", ok, {"auc": auc, "score_gap": gap, "steps": done}, detail)


# ----- 3. generator -----------------------------------------------------------------------
def check_generator(seq, config: ExperimentConfig, *,
                    generator_factory: Optional[Factory] = None) -> CheckResult:
    """The untrained generator's output: shape ``(B, N, N)``, in ``[0, 1]``, finite, on the
    configured device, in training mode (``forward``) and evaluation mode (``predict``)."""
    tr = _trainer(config, seq, generator_factory=generator_factory)
    n = seq.num_nodes
    b = min(config.train.batch_size, len(tr.train_set), 4) or 1
    adj_seq, _ = tr.train_set.batch(list(range(b)))
    problems = []
    outs = {}
    try:
        tr.generator.train()
        with torch.no_grad():
            outs["forward"] = tr.generator(adj_seq)
        outs["predict"] = tr.generator.predict(adj_seq, samples=1,
                                               generator=noise_generator(0, tr.device))
    except Exception as exc:          # report any failure of a user model as a failed check
        return CheckResult("generator", False, None,
                           f"the generator raised {type(exc).__name__}: {exc}")
    value = {}
    for mode, out in outs.items():
        shape = list(out.shape)
        finite = bool(torch.isfinite(out).all())
        lo, hi = (float(out.min()), float(out.max())) if out.numel() else (math.nan, math.nan)
        value[mode] = {"shape": shape, "min": lo, "max": hi, "finite": finite,
                       "device": str(out.device)}
        if shape != [b, n, n]:
            problems.append(f"{mode}: shape {shape}, expected {[b, n, n]}")
        if not finite:
            problems.append(f"{mode}: non-finite values")
        elif not (lo >= 0.0 and hi <= 1.0):
            problems.append(f"{mode}: values {lo:.3g}..{hi:.3g} outside [0, 1]")
        if out.device.type != tr.device.type:
            problems.append(f"{mode}: on {out.device}, expected {tr.device}")
    f, p = value["forward"], value["predict"]
    detail = (f"output {tuple(f['shape'])} in [{f['min']:.3g}, {f['max']:.3g}] on "
              f"{f['device']}, finite" if not problems else "; ".join(problems))
    if not problems and p["max"] == 0.0:
        detail += ("; note: predict() gives all zeros on these windows, i.e. no link "
                   "(sparse windows? see gcngan data inspect)")
    return CheckResult("generator", not problems, value, detail)


# ----- 4. short training run --------------------------------------------------------------
def _windows(adj: Tensor, targets: list, window: int) -> Tensor:
    t = torch.as_tensor(targets, device=adj.device)
    return adj[t[:, None] + torch.arange(-window, 0, device=adj.device)]  # (K, W, N, N)


@torch.no_grad()
def history_sensitivity(generator: nn.Module, adj: Tensor, targets: list, window: int,
                        seed: int = 0) -> float:
    r"""How much the prediction changes when the history changes, the noise kept fixed.

    Predicts every target twice with the same noise: from its own window and from the window
    of the next target (cyclically). Returns mean :math:`|\hat A - \hat A'|` divided by the
    mean :math:`|A_t - A_{t'}|` of the corresponding true snapshots. 0 means the output
    ignores its input.

    Shapes:
        - **adj:** :math:`(T, N, N)` on the model scale
    """
    if len(targets) < 2:
        return math.nan
    own = _windows(adj, targets, window)                                 # (K, W, N, N)
    other = own.roll(1, dims=0)
    a = generator.predict(own, generator=noise_generator(seed, adj.device))
    b = generator.predict(other, generator=noise_generator(seed, adj.device))
    true = adj[torch.as_tensor(targets, device=adj.device)]              # (K, N, N)
    ref = float((true - true.roll(1, dims=0)).abs().mean())
    return float((a - b).abs().mean()) / max(ref, 1e-12)


def _moved(values: list) -> bool:
    v = [x for x in values if math.isfinite(x)]
    return len(v) == len(values) and len(v) >= 2 and \
        (max(v) - min(v)) > 1e-7 * (1.0 + max(abs(x) for x in v))


def check_training(seq, config: ExperimentConfig, *, min_steps: int = TRAIN_STEPS,
                   max_steps: int = MAX_TRAIN_STEPS,
                   generator_factory: Optional[Factory] = None,
                   critic_factory: Optional[Factory] = None,
                   min_sensitivity: float = MIN_SENSITIVITY) -> CheckResult:
    """Train whole epochs until at least ``min_steps`` batches ran and the validation RMSE
    is below the untrained generator's (or ``max_steps`` batches ran: a generator that
    starts from a strong baseline, e.g. the residual decoder, needs a few epochs to beat
    itself). Pass when the critic and generator losses both moved, the validation RMSE
    improved, and :func:`history_sensitivity` is at least ``min_sensitivity`` (exactly 0
    for a generator whose output ignores its input; small values are only noted)."""
    tr = _trainer(config, seq, generator_factory, critic_factory)
    before = tr.evaluate("val")["rmse"]["mean"]
    losses: dict = {"d_loss": [], "g_loss": []}

    def record(stats: dict) -> None:
        for k in losses:
            if k in stats:
                losses[k].append(float(stats[k]))

    batches, epoch, after = 0, 0, math.nan
    try:
        while batches < max_steps:
            tr.train_epoch(epoch, progress=record)
            batches += len(tr.batches(epoch))
            epoch += 1
            if batches >= min_steps:
                after = tr.evaluate("val")["rmse"]["mean"]
                if after < before:
                    break
    except GcnganError as exc:                   # non-finite loss
        return CheckResult("training", False, {"val_rmse_untrained": before},
                           f"training failed: {exc}")
    sens = history_sensitivity(tr.generator, tr.adj, list(tr.split.val), tr.window,
                               seed=config.train.seed)
    critic_used = bool(losses["d_loss"])
    value = {"batches": batches, "val_rmse_untrained": before, "val_rmse_trained": after,
             "history_sensitivity": sens,
             "d_loss": [losses["d_loss"][0], losses["d_loss"][-1]] if critic_used else None,
             "g_loss": [losses["g_loss"][0], losses["g_loss"][-1]] if losses["g_loss"] else None}
    problems = []
    if critic_used and not _moved(losses["d_loss"]):
        problems.append("the critic loss did not move")
    if not _moved(losses["g_loss"]):
        problems.append("the generator loss did not move")
    if not (math.isfinite(after) and after < before):
        problems.append(f"validation RMSE did not improve ({before:.4g} -> {after:.4g})")
    if not (math.isfinite(sens) and sens >= min_sensitivity):
        problems.append(f"the output ignores the history (sensitivity {sens:.3g} < "
                        f"{min_sensitivity:g}: shuffling the windows leaves the prediction "
                        "unchanged)")
    ok = not problems
    detail = (f"{batches} batches ({epoch} epoch{'s' if epoch != 1 else ''}): validation RMSE "
              f"{before:.4g} -> {after:.4g}, history sensitivity {sens:.3g}"
              + (" (weak: the output is mostly an average snapshot)"
                 if min_sensitivity <= sens < WEAK_SENSITIVITY else "")
              + ("" if critic_used else " (no critic: adv_weight=0)"))
    if problems:
        detail += "; " + "; ".join(problems)
    return CheckResult("training", ok, value, detail)


# ----- all --------------------------------------------------------------------------------
CHECKS = ("data", "critic", "generator", "training")


def run_checks(seq, config: ExperimentConfig, *,
               generator_factory: Optional[Factory] = None,
               critic_factory: Optional[Factory] = None,
               progress: Optional[Callable[[CheckResult], None]] = None) -> list[CheckResult]:
    """Run the four checks in order; after a failed data check the others are reported as
    failed without running (nothing meaningful can be trained). ``progress`` is called with
    each result as it is ready."""
    results = []

    def add(r: CheckResult) -> None:
        results.append(r)
        if progress is not None:
            progress(r)

    add(check_data(seq, config))
    if not results[0].passed:
        for name in CHECKS[1:]:
            add(CheckResult(name, False, None, "not run: the data check failed"))
        return results
    add(check_critic(seq, config, critic_factory=critic_factory))
    add(check_generator(seq, config, generator_factory=generator_factory))
    add(check_training(seq, config, generator_factory=generator_factory,
                       critic_factory=critic_factory))
    return results
