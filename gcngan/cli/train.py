"""``gcngan train DATA --out RUN_DIR``: train a GCN-GAN and write the run directory.

RUN_DIR receives ``config.json`` (resolved config), ``best.pt`` (best validation RMSE),
``last.pt`` (latest state), ``log.csv`` (one row per epoch), ``metrics.json`` (validation
and test metrics of the best checkpoint) and ``losses.png``.
"""
from __future__ import annotations

import argparse
import json
import contextlib
import logging
import signal
import sys
from pathlib import Path

from gcngan.cli.common import add_data_args, data_updates
from gcngan.config import DEVICES, PRESETS

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
    p.add_argument("--preset", default="default", choices=sorted(PRESETS),
                   help="starting configuration (default: default; paper = the published "
                        "reference settings)")
    p.add_argument("--epochs", type=int, default=None, help="adversarial epochs")
    p.add_argument("--device", choices=DEVICES, default=None, help="auto | cpu | cuda")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=None,
                   help="windows per batch")
    p.add_argument("--quiet", action="store_true", help="no progress bar or epoch lines")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty RUN_DIR (files of the same name are replaced)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field, e.g. --set lr=1e-3 --set model.decoder=dense "
                        "(repeatable)")
    add_data_args(p, split=True)
    p.set_defaults(func=cmd_train)


def setup_logging(quiet: bool) -> None:
    """Warnings always (stderr); epoch lines when not quiet and no progress bar is shown."""
    logger = logging.getLogger("gcngan")
    if not any(getattr(h, "_gcngan", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("gcngan: %(message)s"))
        handler._gcngan = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    verbose = not quiet and not sys.stderr.isatty()
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


def check_run_dir(out: Path, force: bool) -> None:
    from gcngan.errors import InputError

    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(f"--out {out}: directory is not empty; choose a new RUN_DIR or pass "
                         f"--force to overwrite its files")


@contextlib.contextmanager
def _stop_on_signals(trainer):
    """First SIGINT/SIGTERM asks the trainer to stop after the current batch (it saves
    ``last.pt``); a second SIGINT interrupts at once."""
    trainer.stop_signal = None

    def handler(signum, frame):
        if trainer.stop_requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        trainer.stop_requested = True
        trainer.stop_signal = signum
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
    from gcngan.config import build_config
    from gcngan.data import load_snapshots
    from gcngan.io import atomic_write_json
    from gcngan.train import Trainer, TrainingInterrupted, load_checkpoint

    setup_logging(args.quiet)
    out = Path(args.out)
    check_run_dir(out, args.force)
    train_flags = {"epochs": args.epochs, "device": args.device, "seed": args.seed,
                   "batch_size": args.batch_size}
    config = build_config(args.preset, args.config, args.overrides,
                          data=data_updates(args), train=train_flags)
    seq = load_snapshots(args.data, config.data)
    trainer = Trainer(config, seq, run_dir=out, quiet=args.quiet)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "config.json", config.to_dict())
    try:
        with _stop_on_signals(trainer):
            summary = trainer.fit()
    except TrainingInterrupted:
        code = 143 if trainer.stop_signal == signal.SIGTERM else 130
        print(f"gcngan: training stopped at a safe point ({trainer.epoch} epochs completed, "
              f"generator step {trainer.step}); state saved to {out / 'last.pt'}",
              file=sys.stderr)
        return code

    # final metrics of the best checkpoint on validation and test
    if (out / "best.pt").exists():
        trainer.generator.load_state_dict(load_checkpoint(out / "best.pt")["generator"])
    metrics = {
        "best_epoch": summary["best_epoch"],
        "best_val_rmse": summary["best_metric"],
        "epochs": summary["epochs"],
        "stopped_early": summary["stopped_early"],
        "windows_per_s": _mean([r.get("windows_per_s") for r in summary["history"]]),
        "device": str(trainer.device),
        "val": trainer.evaluate("val"),
        "test": trainer.evaluate("test") if len(trainer.split.test) else {},
    }
    atomic_write_json(out / "metrics.json", _json_safe(metrics))
    test_rmse = metrics["test"].get("rmse", {}).get("mean") if metrics["test"] else None
    print(f"trained {summary['epochs']} epochs on {seq.num_nodes} nodes x "
          f"{seq.num_snapshots} snapshots ({metrics['windows_per_s']:.1f} windows/s); best "
          f"epoch {summary['best_epoch']} val RMSE {summary['best_metric']:.4g}"
          + (f", test RMSE {test_rmse:.4g}" if test_rmse is not None else "")
          + f" -> {out}")
    return 0


def _mean(values) -> float:
    vals = [v for v in values if isinstance(v, float)]
    return sum(vals) / len(vals) if vals else float("nan")


def _json_safe(obj):
    """NaN/inf -> None so the file is strict JSON."""
    import math

    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dumps(obj) -> str:
    return json.dumps(_json_safe(obj), allow_nan=False)
