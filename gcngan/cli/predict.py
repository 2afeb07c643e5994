"""``gcngan predict RUN_DIR --data DATA --out PRED.csv``: one-step-ahead or recursive forecasts.

Writes ``t,src,dst,weight`` in the original node ids and raw weight scale, non-zero entries
only, after refinement (zero diagonal, ``<= epsilon`` -> 0, symmetrised for undirected data).
``--scores`` adds a ``score`` column (the model's link score, e.g. the default model's
existence probability) and also writes the scored entries without a predicted link (weight 0).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gcngan.cli.common import add_data_args, data_updates
from gcngan.config import DEVICES
from gcngan.errors import InputError


def register(sub) -> None:
    p = sub.add_parser("predict", help="predict snapshots with a trained run",
                       description="Predict snapshots with a trained run: one step ahead for "
                                   "each target of a split, or --steps K past the end.")
    p.add_argument("run", metavar="RUN_DIR", help="run directory (or a .pt checkpoint)")
    p.add_argument("--data", required=True, help="the data the run was trained on")
    p.add_argument("--out", required=True, metavar="PRED.csv", help="output CSV")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--split", choices=("test", "val"), default="test",
                      help="targets to predict, each from the true window before it "
                           "(default test)")
    what.add_argument("--steps", type=int, default=None, metavar="K",
                      help="instead: forecast K snapshots past the end, feeding predictions "
                           "back")
    p.add_argument("--scores", action="store_true",
                   help="add a 'score' column: the model's link score in [0, 1] (the default "
                        "model's probability of a link); entries it scores but predicts no "
                        "link for are written too, with weight 0, so the file ranks "
                        "candidate links")
    p.add_argument("--device", choices=DEVICES, default="cpu", help="default cpu")
    add_data_args(p, split=True)
    p.set_defaults(func=cmd_predict)


def checkpoint_path(run: str | Path) -> Path:
    """``RUN_DIR/best.pt`` (else ``last.pt``), or the file itself."""
    from gcngan.errors import CheckpointError

    run = Path(run)
    if run.is_file():
        return run
    for name in ("best.pt", "last.pt"):
        if (run / name).is_file():
            return run / name
    raise CheckpointError(f"{run}: no best.pt or last.pt found (is it a run directory?)")


def load_run(args: argparse.Namespace):
    """Checkpoint + data (stored data config, command-line ingestion flags override) +
    generator; refuses data that differ from the training data.

    Returns:
        tuple: ``(generator, config, seq, device)``.
    """
    from gcngan.config import merge_dict
    from gcngan.data import load_snapshots
    from gcngan.train import check_data_matches, load_checkpoint, resolve_device
    from gcngan.train.checkpoint import generator_from_checkpoint

    path = checkpoint_path(args.run)
    state = load_checkpoint(path)
    device = resolve_device(args.device)
    generator, config = generator_from_checkpoint(state, device)
    window = getattr(args, "window", None)
    if window is not None and window != config.data.window:
        raise InputError(f"{path}: the model was trained on windows of {config.data.window} "
                         f"snapshots; --window {window} cannot change that (leave --window out)")
    config = merge_dict(config, {"data": data_updates(args)})
    seq = load_snapshots(args.data, config.data)
    check_data_matches(state, seq, path)
    return generator, config, seq, device


def split_targets(seq, config, split: str) -> list[int]:
    """Target snapshot indices of ``split`` under the run's split settings.

    Raises:
        InputError: the split has no target (e.g. a run trained with ``--test 0``).
    """
    from gcngan.data import chronological_split

    dc = config.data
    targets = list(chronological_split(seq.num_snapshots, dc.window, dc.val, dc.test)[split])
    if not targets:
        other = "val" if split == "test" else "test"
        raise InputError(f"the {split} split has no targets (this run uses --{split} "
                         f"{getattr(dc, split)}): use --split {other}")
    return targets


def cmd_predict(args: argparse.Namespace) -> int:
    from gcngan.predict import (forecast, predict_split, score_split, time_labels,
                                write_predictions)

    generator, config, seq, device = load_run(args)
    tc, dc = config.train, config.data
    scores = None
    if args.steps is not None:
        adj = seq.scaled().to(device)
        out = forecast(generator, adj, args.steps, dc.window, scaler=seq.scaler,
                       epsilon=tc.epsilon, directed=seq.directed, samples=tc.eval_samples,
                       seed=tc.seed, scores=args.scores)
        pred, scores = (out[0].cpu(), out[1].cpu()) if args.scores else (out.cpu(), None)
        idx = list(range(seq.num_snapshots, seq.num_snapshots + args.steps))
    else:
        idx = split_targets(seq, config, args.split)
        pred, _ = predict_split(generator, seq, idx, dc.window, epsilon=tc.epsilon,
                                samples=tc.eval_samples, seed=tc.seed, device=device)
        if args.scores:
            scores = score_split(generator, seq, idx, dc.window, samples=tc.eval_samples,
                                 seed=tc.seed, device=device)
    rows = write_predictions(args.out, pred, time_labels(seq, idx), seq.node_ids,
                             offset=seq.weight_offset, scores=scores)
    what = f"{args.steps} forecast" if args.steps is not None else f"{len(idx)} {args.split}"
    links = rows if scores is None else int((pred > 0).sum())
    scored = "" if scores is None else f" ({rows} scored entries)"
    print(f"wrote {links} links of {what} snapshots{scored} to {args.out}")
    if links == 0:
        print(f"gcngan: warning: the prediction holds no link at all{_no_link_hint(config)}",
              file=sys.stderr)
    return 0


def _no_link_hint(config) -> str:
    """Why a run may predict an empty network, for the warning of ``gcngan predict``."""
    if config.model.decoder == "residual":
        return ("; the default model predicts a link only where it expects one more likely "
                "than not (at first: where the window holds it in at least half of its "
                "snapshots), so on sparse data it can predict none. Compare with the "
                "baselines (gcngan evaluate), or try a coarser --granularity or a shorter "
                "--window")
    return "; check the data's weights against --max-threshold and the training curves"
