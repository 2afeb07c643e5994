"""``gcngan train DATA --out RUN_DIR``: train a GCN-GAN and write the run directory.

RUN_DIR receives ``config.json`` (resolved config), ``best.pt`` (best validation RMSE),
``last.pt`` (latest state), ``log.csv`` (one row per epoch), ``metrics.json`` (validation
and test metrics of the best checkpoint, and under ``baselines`` those of the four naive
baselines on the same targets) and ``losses.png``.

A non-empty RUN_DIR is refused unless ``--force`` (start over: the run files are replaced) or
``--resume`` (continue from ``last.pt``; only training-length settings may change, see
:data:`gcngan.config.RESUMABLE`; model, data and the dataset fingerprint must match, else a
key-by-key diff). The first SIGINT/SIGTERM stops after the current batch, saves ``last.pt``,
prints the ``--resume`` command and exits 130/143. See ``docs/reliability.md``.

Several processes (data-parallel, :mod:`gcngan.train.distributed`): under ``torchrun``
(or ``--nproc K``, which starts ``K`` processes on this machine with torchrun's
environment) every process trains its slice of each global batch; rank 0 alone writes
RUN_DIR and prints; a refusal is printed once (by rank 0) and every process exits 2; a
signal to any process stops all of them at the same safe point.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from pathlib import Path

from gcngan.cli.common import add_data_args, data_updates
from gcngan.config import DEFAULT_PRESET, DEVICES, PRESET_ALIASES, PRESET_NAMES

log = logging.getLogger("gcngan")


def register(sub) -> None:
    p = sub.add_parser("train", help="train a GCN-GAN on a dynamic network",
                       description="Train a GCN-GAN on a dynamic network and write a run "
                                   "directory (config.json, best.pt, last.pt, log.csv, "
                                   "metrics.json, losses.png).")
    p.add_argument("data", metavar="DATA", help="edge-list file, directory or .zip")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run directory (must be "
                   "empty or new unless --force)")
    p.add_argument("--config", default=None, metavar="FILE", help="YAML or JSON config file")
    p.add_argument("--preset", default=None, choices=PRESET_NAMES,
                   help="starting configuration (default: default = sparse, the O(E) model "
                        "for edge lists; dense = the N x N model, best on small dense "
                        "weighted graphs; paper = the published reference settings; with "
                        "--resume: the run's stored config)")
    p.add_argument("--epochs", type=int, default=None, help="adversarial epochs")
    p.add_argument("--device", choices=DEVICES, default=None, help="auto | cpu | cuda")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=None,
                   help="windows per batch")
    p.add_argument("--quiet", action="store_true", help="no progress bar or epoch lines")
    p.add_argument("--nproc", type=int, default=None, metavar="K",
                   help="data-parallel training in K processes on this machine (as "
                        "torchrun --nproc_per_node K; --batch-size is per process; several "
                        "machines: torchrun --nnodes, see the README)")
    run = p.add_mutually_exclusive_group()
    run.add_argument("--force", action="store_true",
                     help="start a new run in a non-empty RUN_DIR (its run files are replaced)")
    run.add_argument("--resume", action="store_true",
                     help="continue the run in RUN_DIR from its last.pt; training-length "
                          "settings (--epochs, patience, lr, --batch-size at an epoch "
                          "boundary, --device) may change, model and data may not")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field, e.g. --set lr=1e-3 --set model.decoder=dense "
                        "(repeatable)")
    add_data_args(p, split=True)
    p.set_defaults(func=cmd_train)


def setup_logging(quiet: bool, main: bool = True) -> None:
    """Epoch lines (INFO) when not quiet and no progress bar is shown; warnings always
    (``gcngan.cli.main`` installs the ``gcngan:`` stderr handler for every command);
    data-parallel processes other than rank 0 (``main=False``) stay silent."""
    verbose = not quiet and not sys.stderr.isatty()
    log.setLevel((logging.INFO if verbose else logging.WARNING) if main else logging.CRITICAL)


#: Files a run writes into RUN_DIR (``--force`` replaces exactly these).
RUN_FILES = ("config.json", "best.pt", "last.pt", "log.csv", "metrics.json", "losses.png",
             "metrics.png", "prediction.png", "refit.pt")



def check_run_dir(out: Path, force: bool) -> None:
    """Refuse a non-empty RUN_DIR unless ``force`` (nothing is removed here)."""
    from gcngan.errors import InputError

    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        hint = " or --resume to continue it" if (out / "last.pt").is_file() else ""
        raise InputError(f"--out {out}: directory is not empty; choose a new RUN_DIR, pass "
                         f"--force to start over in it{hint}")


def replace_run_files(out: Path) -> None:
    """``--force``: remove the previous run's files (and only those), once the new run is
    ready to start, so a failed start leaves the old run as it was."""
    replaced = [name for name in RUN_FILES if (out / name).exists()]
    for name in replaced:
        (out / name).unlink()
    if replaced:
        log.warning("--force: replaced the previous run's %s in %s", ", ".join(replaced), out)
    _remove_stale_temp_files(out)


def _remove_stale_temp_files(out: Path) -> None:
    """Temporary files of an atomic write that a kill -9 interrupted (``.last.pt.*.tmp``)."""
    if not out.is_dir():
        return
    for tmp in out.glob(".*.tmp"):
        if any(tmp.name.startswith(f".{name}.") for name in RUN_FILES):
            tmp.unlink(missing_ok=True)


def resume_hint(args: argparse.Namespace, extra: str = "") -> str:
    """The command that continues this run (with the same number of processes)."""
    import os
    import shlex

    from gcngan.train.distributed import LAUNCHER_ENV, env_context

    cmd = (f"train {shlex.quote(str(args.data))} --out {shlex.quote(str(args.out))} "
           f"--resume{extra}")
    world = env_context().world_size
    if world > 1 and os.environ.get(LAUNCHER_ENV):
        return f"gcngan {cmd} --nproc {world}"
    if world > 1:
        return f"torchrun <the same options> -m gcngan {cmd}"
    return f"gcngan {cmd}"


def resume_config(args: argparse.Namespace, state: dict, train_flags: dict):
    """The run's stored config with what this command line sets explicitly on top
    (:func:`gcngan.train.checkpoint.resume_config`)."""
    from gcngan.train.checkpoint import resume_config as merge_resumed

    return merge_resumed(state, args.out, preset=args.preset, config_file=args.config,
                         overrides=args.overrides, data=data_updates(args), train=train_flags)


def check_resume_data(args: argparse.Namespace, state: dict, seq) -> None:
    """Refuse data other than the run's (N, node ids, content fingerprint), with a diff."""
    from gcngan.errors import InputError

    data = state["data"]
    lines = []
    if int(data["num_nodes"]) != seq.num_nodes:
        lines.append(f"data.num_nodes: {data['num_nodes']} -> {seq.num_nodes}")
    else:
        old, new = [str(i) for i in data["node_ids"]], [str(i) for i in seq.node_ids]
        if old != new:
            k = next(i for i, (a, b) in enumerate(zip(old, new)) if a != b)
            lines.append(f"data.node_ids: node {k} is {old[k]!r} -> {new[k]!r}")
    if data.get("num_sources") != seq.num_sources:
        spaces = (lambda u: "one id space" if u is None else f"two id spaces ({u} sources)")
        lines.append(f"data: {spaces(data.get('num_sources'))} -> {spaces(seq.num_sources)}")
    if "directed" in data and bool(data["directed"]) != seq.directed:
        lines.append(f"data.directed: {bool(data['directed'])} -> {seq.directed}")
    if str(data["fingerprint"]) != seq.fingerprint:
        lines.append(f"data.fingerprint: {str(data['fingerprint'])[:12]} -> "
                     f"{seq.fingerprint[:12]} (the snapshots differ)")
    if lines:
        raise InputError(f"--resume: {args.data} is not the data {args.out} was trained on:"
                         f"\n  " + "\n  ".join(lines))


@contextlib.contextmanager
def _stop_on_signals(trainer):
    """First SIGINT/SIGTERM asks the trainer to stop after the current batch (it saves
    ``last.pt``); a second SIGINT interrupts at once."""
    import time

    from gcngan.train.distributed import env_context

    trainer.stop_signal = None
    # under a launcher, Ctrl-C reaches a process twice (from the terminal and passed on
    # by torchrun / --nproc): a second SIGINT within a moment is the same one
    echo = 2.0 if env_context().active else 0.0
    first = [0.0]

    def handler(signum, frame):
        if trainer.stop_requested and signum == signal.SIGINT:
            if time.monotonic() - first[0] < echo:
                return
            raise KeyboardInterrupt
        trainer.stop_requested = True
        trainer.stop_signal = signum
        first[0] = time.monotonic()
        log.warning("stopping after the current batch (Ctrl-C again to abort now)")

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, handler)
        except ValueError:                    # not in the main thread
            pass
    try:
        yield
    finally:
        for sig, prev in previous.items():
            signal.signal(sig, prev)


def cmd_train(args: argparse.Namespace) -> int:
    """``gcngan train``: one process, or (``--nproc K``) ``K`` processes started here, or
    one process of a ``torchrun`` job (its environment names the rank)."""
    from gcngan.errors import ConfigError, GcnganError
    from gcngan.train import distributed

    env = distributed.env_context()
    if args.nproc is not None:
        if args.nproc < 1:
            raise ConfigError(f"--nproc {args.nproc} must be >= 1")
        if env.active:
            raise ConfigError("--nproc: this process is already one of a torchrun job "
                              f"({env.world_size} processes); drop --nproc")
        if args.nproc > 1:
            return distributed.launch(["-m", "gcngan", *_without_nproc(args.argv)],
                                      args.nproc)
    try:
        return _train(args, env)
    except GcnganError as exc:
        if not env.main:               # rank 0 prints the one line; the others exit with it
            raise SystemExit(exc.exit_code) from None
        raise
    finally:
        distributed.shutdown()


def resolved_data_config(config, seq):
    """``config`` with what the data decided written in: the snapshot width chosen for an
    event stream (``granularity`` auto) and the unit its timestamps were read in
    (``time_unit``), two id spaces (``bipartite``) and the validation
    and test targets (``val`` / ``test`` not given), so the run's ``config.json`` says what
    it trained on and later commands read the data the same way."""
    from gcngan.config import merge_dict
    from gcngan.data.events import granularity_label, is_auto
    from gcngan.data.windows import split_of

    split = split_of(seq, config.data)
    updates = {"val": len(split.val), "test": len(split.test)}
    if is_auto(config.data.granularity) and seq.granularity is not None:
        updates["granularity"] = granularity_label(seq.granularity)
    if seq.time_unit is not None:
        updates["time_unit"] = seq.time_unit
    if seq.num_sources is not None:
        updates["bipartite"] = True
    return merge_dict(config, {"data": updates})


def _without_nproc(argv: list) -> list:
    """``argv`` without ``--nproc K`` / ``--nproc=K`` (what each launched process runs)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            out.append(a)
    return out


def _preset_label(args: argparse.Namespace) -> str:
    """``"preset default (= sparse): "``, said before the line of the path a run takes
    (:meth:`ModelFamily.describe`); empty for a resumed run without ``--preset`` (its stored
    config names no preset)."""
    name = args.preset or (None if args.resume else DEFAULT_PRESET)
    if name is None:
        return ""
    alias = f" (= {PRESET_ALIASES[name]})" if name in PRESET_ALIASES else ""
    return f"preset {name}{alias}: "


def _train(args: argparse.Namespace, env) -> int:
    from gcngan.config import build_config
    from gcngan.data import load_snapshots
    from gcngan.io import atomic_write_json, json_safe
    from gcngan.train import Trainer, TrainingInterrupted, load_checkpoint

    import torch

    from gcngan.errors import InputError, ResourceError, TrainingError
    from gcngan.train import distributed, resolve_device

    setup_logging(args.quiet, main=env.main)
    out = Path(args.out)
    train_flags = {"epochs": args.epochs, "device": args.device, "seed": args.seed,
                   "batch_size": args.batch_size}
    state = None
    if args.resume:
        if not (out / "last.pt").is_file():
            raise InputError(f"--resume: {out / 'last.pt'} not found; nothing to resume (start "
                             f"a new run without --resume)")
        state = load_checkpoint(out / "last.pt")
        config = resume_config(args, state, train_flags)
    else:
        check_run_dir(out, args.force)
        config = build_config(args.preset or DEFAULT_PRESET, args.config, args.overrides,
                              data=data_updates(args), train=train_flags)
    # every process has read what it needs from RUN_DIR: joining the group (a rendezvous)
    # comes before rank 0 writes anything there
    ctx = distributed.init_from_env(resolve_device(config.train.device))
    seq = load_snapshots(args.data, config.data)
    if state is not None:
        check_resume_data(args, state, seq)
    config = resolved_data_config(config, seq)
    if config.model.family == "sparse":     # few targets = few windows to learn from
        from gcngan.data.windows import few_training_targets, split_of
        note = few_training_targets(split_of(seq, config.data), config.data.window)
        if note:
            log.warning("%s", note)
    trainer = None
    try:
        if ctx.main and _preset_label(args):    # the Trainer's INFO line says the rest
            log.info("%s", _preset_label(args).rstrip(": "))
        trainer = Trainer(config, seq, run_dir=out, quiet=args.quiet)
        trainer.require_validation()          # before anything is written
        if ctx.main and not args.quiet and not log.isEnabledFor(logging.INFO):
            print(f"gcngan: {_preset_label(args)}{trainer.family.describe(trainer)}",
                  file=sys.stderr)                                                 # no INFO
        if state is not None:
            _restore(trainer, state, out / "last.pt")
            if ctx.main:
                _remove_stale_temp_files(out)
        elif args.force and ctx.main:
            replace_run_files(out)
        if ctx.main:
            out.mkdir(parents=True, exist_ok=True)
            atomic_write_json(out / "config.json", config.to_dict())
        with _stop_on_signals(trainer):
            summary = trainer.fit()
    except TrainingInterrupted:
        code = 143 if trainer.stop_signal == signal.SIGTERM else 130
        if not ctx.main:
            return code
        print(f"gcngan: training stopped at a safe point ({trainer.epoch} epochs completed, "
              f"generator step {trainer.step}); state saved to {out / 'last.pt'}\n"
              f"gcngan: resume with: {resume_hint(args)}", file=sys.stderr)
        return code
    except TrainingError as exc:
        lr = getattr(trainer, "lr", None) or config.train.lr
        lower = f" --set lr={lr / 10:.3g}" if lr else ""
        raise TrainingError(f"{exc}; {_last_good(args, lower)}") from None
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        b = config.train.batch_size
        at = (f" at epoch {trainer.epoch + 1}, step {trainer.step}" if trainer is not None
              else " while building the model")
        if b > 1:
            advice = (f"try --batch-size {b // 2}; "
                      f"{_last_good(args, f' --batch-size {b // 2}')}")
        else:
            advice = ("the batch size is already 1: shrink the model (--set lstm_hidden=..., "
                      "critic_hidden=...) or N (--top-k)")
        raise ResourceError(f"CUDA out of memory{at} with batch size {b}; {advice}") from None
    if not ctx.main:                   # rank 0 evaluates the best checkpoint and writes
        return 0

    # final metrics of the best checkpoint on validation and test
    if (out / "best.pt").exists():
        trainer.generator.load_state_dict(load_checkpoint(out / "best.pt")["generator"])
    try:
        splits = ["val"] + (["test"] if len(trainer.split.test) else [])
        scores = {"val": {}, "test": {}, "baselines": {}}
        for split in splits:
            scores[split] = trainer.evaluate(split)
            scores["baselines"][split] = trainer.evaluate_baselines(split)
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        raise ResourceError(
            f"CUDA out of memory in the final evaluation, after training finished; the "
            f"checkpoints in {out} are complete: score them on the CPU with: gcngan evaluate "
            f"{out} --data {args.data} --device cpu") from None
    metrics = {
        "best_epoch": summary["best_epoch"],
        "monitor": trainer.monitor,
        "best_monitor_value": summary["best_metric"],
        "epochs": summary["epochs"],
        "stopped_early": summary["stopped_early"],
        "windows_per_s": _mean([r.get("windows_per_s") for r in summary["history"]]),
        "device": str(trainer.device),
        **({"processes": ctx.world_size} if ctx.active else {}),
        **scores,
    }
    atomic_write_json(out / "metrics.json", json_safe(metrics))
    best = (f"best epoch {summary['best_epoch']} by {trainer.monitor} "
            f"({summary['best_metric']:.4g})" if summary["best_metric"] is not None else
            f"no epoch had a finite {trainer.monitor}: the last epoch's weights were kept")
    print(f"trained {summary['epochs']} epochs on {seq.num_nodes} nodes x "
          f"{seq.num_snapshots} snapshots ({metrics['windows_per_s']:.1f} windows/s); {best}"
          + "".join(_rmse_beside_naive(split, scores) for split in splits) + f" -> {out}",
          flush=True)
    if not config.train.refit:
        return 0
    trainer = None                            # its caches go before the refit builds its own
    refit = _refit(config, seq, summary, out, ctx)   # the run is complete before it starts
    atomic_write_json(out / "metrics.json", json_safe({**metrics, "refit": refit}))
    if refit.get("saved"):
        print(f"refit on all {refit['targets']} targets for {refit['epochs']} epoch(s) "
              f"({refit['seconds']:.0f} s): {out / refit['saved']}, the model of the "
              f"data's future (score and predict --steps past the data use it)")
    if refit.get("skipped") == "stopped":     # the run itself is complete: only the refit
        return 143 if refit.get("signal") == int(signal.SIGTERM) else 130
    return 0


def _refit(config, seq, summary: dict, out: Path, ctx) -> dict:
    """``train.refit``: the model trained again on every target for the chosen number of
    epochs, saved as ``refit.pt`` (:mod:`gcngan.train.refit`); what was done, for
    metrics.json (``saved`` is missing when it was not saved: no finite epoch to count, a
    distributed run, or a stop)."""
    import gc
    import time

    from gcngan.train import TrainingInterrupted
    from gcngan.train.refit import REFIT_NAME, refit_trainer, run_refit

    epochs = summary["best_epoch"]
    if epochs is None:
        log.warning("refit skipped: no epoch was chosen on validation")
        return {"skipped": "no epoch chosen"}
    if ctx.active:
        log.warning("refit skipped with several processes: the run's model of the future is "
                    "best.pt (train.refit runs in one process)")
        return {"skipped": "distributed"}
    gc.collect()                              # the first trainer's caches (reference cycles)
    log.info("refit: the model again on every target of the data for the %d chosen "
             "epoch(s) -> %s", epochs, out / REFIT_NAME)
    t0 = time.perf_counter()
    trainer = refit_trainer(config, seq, run_dir=out)
    try:
        with _stop_on_signals(trainer):
            run_refit(trainer, epochs)
    except TrainingInterrupted:
        (out / REFIT_NAME).unlink(missing_ok=True)
        log.warning("refit stopped: no refit.pt; best.pt is the run's model (train again "
                    "with --resume to refit)")
        return {"skipped": "stopped", "epochs": int(epochs),
                "signal": int(trainer.stop_signal or signal.SIGINT)}
    return {"saved": REFIT_NAME, "epochs": int(epochs), "targets": len(trainer.train_set),
            "seconds": round(time.perf_counter() - t0, 1)}


def _rmse_beside_naive(split: str, scores: dict) -> str:
    """``", test RMSE 22.43 (best naive: ewma 20.94)"``: the model's RMSE on ``split`` with
    the best naive baseline's beside it (empty when it was not computed)."""
    naive = {name: res["rmse"]["mean"] for name, res in scores["baselines"][split].items()}
    if not naive:                  # sparse family: ranking metrics, no dense baselines
        mrr = scores[split].get("mrr", {}).get("mean")
        return "" if mrr is None else f", {split} MRR {mrr:.4g}"
    rmse = scores[split].get("rmse", {}).get("mean")
    if rmse is None:
        return ""
    name = min(naive, key=naive.get)
    return f", {split} RMSE {rmse:.4g} (best naive: {name} {naive[name]:.4g})"


def _restore(trainer, state: dict, path: Path) -> None:
    """Load a resumed run's state into ``trainer``; the learning rates of the (possibly
    changed) config replace the stored ones."""
    from gcngan.errors import CheckpointError

    try:
        trainer.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: cannot restore the training state ({first})") from None
    tc = trainer.config.train
    lr_g = getattr(trainer, "lr", None) or tc.lr           # None in the config: loss default
    for opt, lr in ((trainer.opt_g, lr_g), (trainer.opt_d, tc.critic_lr or lr_g)):
        for group in opt.param_groups:
            group["lr"] = lr
    log.info("resuming %s at epoch %d, generator step %d", path, trainer.epoch, trainer.step)


def _last_good(args: argparse.Namespace, extra: str = "") -> str:
    """Where the last good state is, and the command that continues from it."""
    from gcngan.errors import GcnganError
    from gcngan.train import load_checkpoint

    last = Path(args.out) / "last.pt"
    if not last.is_file():
        return "no checkpoint was written yet (start again with the suggested setting)"
    try:
        epoch = load_checkpoint(last)["epoch"]
    except GcnganError:
        return f"{last} is unreadable"
    return f"{last} holds epoch {epoch}; continue with: {resume_hint(args, extra)}"


def _mean(values) -> float:
    vals = [v for v in values if isinstance(v, float)]
    return sum(vals) / len(vals) if vals else float("nan")

