"""``gcngan plot RUN_DIR [--data DATA] [--target T]``: (re)draw a run's PNGs.

Always ``losses.png`` (training health) and ``metrics.png`` (validation metrics per epoch)
from ``log.csv``; with the data (``--data``, else the path recorded in the checkpoint when
it still exists) also ``prediction.png``: real / predicted / difference heatmaps of one
target snapshot and predicted-vs-real weights, from the best checkpoint.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from gcngan.cli.common import add_data_args
from gcngan.config import DEVICES


def register(sub) -> None:
    p = sub.add_parser("plot", help="draw a run's loss, metric and prediction plots (PNG)",
                       description="Write losses.png, metrics.png and (with the data) "
                                   "prediction.png into RUN_DIR.")
    p.add_argument("run", metavar="RUN_DIR", help="run directory (with log.csv, best.pt)")
    p.add_argument("--data", default=None,
                   help="the data the run was trained on (default: the path recorded in the "
                        "checkpoint, if it still exists; without data no prediction.png)")
    p.add_argument("--split", choices=("test", "val"), default="test",
                   help="targets of the prediction plot (default test)")
    p.add_argument("--target", type=int, default=None, metavar="T",
                   help="snapshot index (0-based) of the heatmaps; one of the split's targets "
                        "(default: the first)")
    p.add_argument("--device", choices=DEVICES, default="cpu", help="default cpu")
    add_data_args(p, split=True)
    p.set_defaults(func=cmd_plot)


def cmd_plot(args: argparse.Namespace) -> int:
    from gcngan.errors import InputError
    from gcngan.plots import plot_run, read_log

    run = Path(args.run)
    if not run.is_dir():
        raise InputError(f"{run}: not a run directory")
    history = read_log(run / "log.csv")
    from gcngan.cli.common import recorded_data

    data = args.data or recorded_data(run)
    prediction, index, label, title = None, 0, None, run.name
    if data is not None:
        from gcngan.cli.common import load_run, require_dense, split_targets
        from gcngan.predict import predict_split

        args.data = data
        generator, config, seq, device = load_run(args)
        if args.target is not None:
            require_dense(config, args.run, "--target (a predicted snapshot)")
        if config.model.family != "sparse":        # sparse runs: the history plots only
            tc, dc = config.train, config.data
            targets = split_targets(seq, config, args.split)
            if args.target is not None:
                if args.target not in targets:
                    raise InputError(f"--target {args.target} is not a {args.split} target; "
                                     f"choose one of {targets[0]}..{targets[-1]}")
                index = targets.index(args.target)
            prediction = predict_split(generator, seq, targets, dc.window, epsilon=tc.epsilon,
                                       samples=tc.eval_samples, seed=tc.seed, device=device)
            label = f"{args.split} snapshot {targets[index]}"
            title = f"{Path(str(data)).name}: {tc.loss} ({run.name})"
    elif args.target is not None:
        raise InputError("--target needs the data (--data DATA)")
    written = plot_run(run, history=history, prediction=prediction, target_index=index,
                       target_label=label, title=title)
    print("wrote " + ", ".join(str(p) for p in written)
          + ("" if prediction is not None else " (no data: no prediction.png)"))
    return 0
