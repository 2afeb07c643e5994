"""``gcngan score [RUN_DIR] --data DATA --pairs PAIRS.csv --out SCORES.csv``: the link score
and predicted weight of any pairs, each from the true window before its ``t``.

``PAIRS.csv`` has columns ``t,src,dst`` (original node ids; ``t`` a target snapshot index
with a full window before it, ``T`` being the snapshot after the data); other columns are
ignored, so a negatives file of ``evaluate --protocol ranking`` can be scored as it is.
For an event stream, ``timestamp`` (event times in the data's units) may stand instead of
``t``: each row is scored at the snapshot its time falls in
(:func:`gcngan.ranking.read_pairs`). ``SCORES.csv`` gets ``t,src,dst,score,weight``
(``timestamp,t,src,dst,score,weight`` for rows given by time). With ``--predictor NAME``
a baseline of :mod:`gcngan.structural` (e.g. ``adamic-adar``) scores instead of a trained run;
``stacked-heuristics`` is first fitted on the training targets of ``--val``/``--test``
(rows whose ``t`` lies in that range are scored in-sample). Rows past the snapshot after
the data and nodes that are not in it are scored with a warning (``--strict`` refuses
them; :func:`gcngan.ranking.score_pairs_file`). This is how the model plugs into an
external (TGB-style) evaluator.
"""
from __future__ import annotations

import argparse
import sys

from gcngan.cli.common import add_data_args
from gcngan.config import DEVICES


def register(sub) -> None:
    p = sub.add_parser("score", help="score given pairs (t,src,dst) with a run or a baseline",
                       description="Link score and predicted weight of each row t,src,dst of "
                                   "a CSV, from the true window before t.")
    p.add_argument("run", metavar="RUN_DIR", nargs="?", default=None,
                   help="run directory (or a .pt checkpoint); leave out with --predictor")
    p.add_argument("--data", default=None,
                   help="the data the run was trained on (default: the file training read, if it is still there)")
    p.add_argument("--pairs", required=True, metavar="PAIRS.csv",
                   help="CSV with columns t,src,dst (original node ids; t a snapshot "
                        "index) or, for event streams, timestamp,src,dst (event times)")
    p.add_argument("--out", required=True, metavar="SCORES.csv",
                   help="output CSV t,src,dst,score,weight")
    p.add_argument("--predictor", default=None, metavar="NAME",
                   help="score with this baseline instead of a run (e.g. adamic-adar, "
                        "edgebank-inf, window-mean; see gcngan.structural)")
    p.add_argument("--strict", action="store_true",
                   help="refuse rows past the snapshot after the data (t > T) and node ids "
                        "that are not in the data (default: score them, with a warning: t > T "
                        "from the last window, an unknown node below every other row)")
    p.add_argument("--device", choices=DEVICES, default="cpu", help="default cpu")
    add_data_args(p, split=True)
    p.set_defaults(func=cmd_score)


def cmd_score(args: argparse.Namespace) -> int:
    from gcngan.errors import InputError
    from gcngan.ranking import score_pairs_file
    from gcngan.structural import PairIndex, get_pair_predictor

    if (args.run is None) == (args.predictor is None):
        raise InputError("give either RUN_DIR or --predictor NAME (exactly one)")
    if args.run is not None:
        from gcngan.cli.common import load_future_model, load_run
        from gcngan.nn.sparse_model import model_predictor

        generator, config, seq, device = load_run(args)
        window = config.data.window
        predictor = model_predictor(generator, config, device)   # dense or sparse family
        time_col = config.data.time_col
        future = load_future_model(args, seq, device)
        if future is not None:            # train.refit: the future with the refit model
            from gcngan.train.refit import FutureRouted

            predictor = FutureRouted(predictor, model_predictor(future, config, device),
                                     seq.num_snapshots)
    else:
        from gcngan.cli.common import data_config, run_data
        from gcngan.data import load_snapshots

        predictor = get_pair_predictor(args.predictor)               # validates the name
        cfg = data_config(args)
        seq = load_snapshots(run_data(args), cfg)
        window = cfg.window
        time_col, future = cfg.time_col, None
    index = PairIndex(seq)
    if args.predictor is not None and predictor.needs_fit:
        # learned baselines (stacked-heuristics) fit on the training targets only
        from gcngan.data import split_of

        train = split_of(seq, cfg).train
        predictor.fit(index, list(train), window)
    rows = score_pairs_file(predictor, index, args.pairs, args.out, window,
                            strict=args.strict, data_time_col=time_col)
    if future is not None:
        print(f"gcngan: rows past the data (t >= {seq.num_snapshots}) were scored with "
              f"{args.run}/refit.pt (trained on every target), the others with the "
              f"selected model", file=sys.stderr)
    print(f"wrote {rows} scored pairs to {args.out}", file=sys.stderr)
    return 0
