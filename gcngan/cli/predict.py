"""``gcngan predict RUN_DIR --data DATA --out PRED.csv``: one-step-ahead or recursive forecasts.

Writes ``t,src,dst,weight`` in the original node ids and raw weight scale, non-zero entries
only, after refinement (zero diagonal unless the data keeps self-loops, ``<= epsilon`` -> 0,
symmetrised for undirected data).
``--scores`` adds a ``score`` column (the model's link score, e.g. the default model's
existence probability) and also writes the scored entries without a predicted link (weight 0).

A sparse-family run (``--preset sparse``) writes the same format without an ``N x N``
matrix: the candidate pairs of each target (all pairs when ``N*N <= 250,000``, else the
window's active pairs and each node's ``--two-hop`` best 2-hop pairs by resource
allocation; :mod:`gcngan.candidates`) are scored by the pair decoder and a link is written
where its existence probability passes the decoder's threshold
(:func:`gcngan.predict.predict_sparse`). ``--steps K`` is autoregressive on both paths: each
predicted snapshot's links are appended to the window of the next step.
"""
from __future__ import annotations

import argparse
import sys

from gcngan.candidates import ALL_PAIRS_LIMIT, TWO_HOP
from gcngan.cli.common import add_data_args, load_future_model, load_run, split_targets
from gcngan.config import DEVICES


def register(sub) -> None:
    p = sub.add_parser("predict", help="predict snapshots with a trained run",
                       description="Predict snapshots with a trained run: one step ahead for "
                                   "each target of a split, or --steps K past the end.")
    p.add_argument("run", metavar="RUN_DIR", help="run directory (or a .pt checkpoint)")
    p.add_argument("--data", default=None,
                   help="the data the run was trained on (default: the file training read, if it is still there)")
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
    p.add_argument("--two-hop", dest="two_hop", type=int, default=None, metavar="K",
                   help=f"sparse runs: 2-hop candidate pairs per node, by resource "
                        f"allocation, added to the window's active pairs when N*N > "
                        f"{ALL_PAIRS_LIMIT:,} (smaller graphs: all pairs are scored; "
                        f"default {TWO_HOP})")
    p.add_argument("--device", choices=DEVICES, default="cpu", help="default cpu")
    add_data_args(p, split=True)
    p.set_defaults(func=cmd_predict)


def cmd_predict(args: argparse.Namespace) -> int:
    from gcngan.predict import (forecast, keeps_self_loops, predict_split, score_split,
                                time_labels, write_predictions)

    from gcngan.errors import InputError

    if args.steps is not None and args.steps < 1:
        raise InputError(f"--steps {args.steps} must be >= 1")
    if args.two_hop is not None and args.two_hop < 0:
        raise InputError(f"--two-hop {args.two_hop} must be >= 0")
    generator, config, seq, device = load_run(args)
    if args.steps is not None:          # past the data: the run's refit model, if it has one
        future = load_future_model(args, seq, device)
        if future is not None:
            generator = future
            print(f"gcngan: forecasting with {args.run}/refit.pt (trained on every target)",
                  file=sys.stderr)
    if config.model.family == "sparse":
        return _predict_sparse(args, generator, config, seq, device)
    if args.two_hop is not None:
        raise InputError(f"--two-hop applies to sparse-family runs (--preset sparse); "
                         f"{args.run} is a dense run, which predicts all N x N entries")
    tc, dc = config.train, config.data
    scores = None
    if args.steps is not None:
        adj = seq.scaled().to(device)
        out = forecast(generator, adj, args.steps, dc.window, scaler=seq.scaler,
                       epsilon=tc.epsilon, directed=seq.directed, samples=tc.eval_samples,
                       seed=tc.seed, scores=args.scores, self_loops=keeps_self_loops(seq))
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


def _predict_sparse(args: argparse.Namespace, generator, config, seq, device) -> int:
    """``predict`` for a sparse-family run: :func:`gcngan.predict.sparse_prediction`, the
    edge list written atomically (nothing is written on an error)."""
    from gcngan.io import atomic_path
    from gcngan.predict import sparse_prediction

    tc, dc = config.train, config.data
    what = dict(steps=args.steps) if args.steps is not None else \
        dict(targets=split_targets(seq, config, args.split))
    pp = sparse_prediction(generator, seq, dc.window, **what,
                           two_hop=TWO_HOP if args.two_hop is None else args.two_hop,
                           epsilon=tc.epsilon, samples=tc.eval_samples, seed=tc.seed,
                           device=device)
    frame = pp.to_frame(seq, scores=args.scores)
    with atomic_path(args.out) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")
    count = len(what.get("targets", ())) or args.steps
    kind = "forecast" if args.steps is not None else args.split
    print(f"wrote {pp.num_links} links of {count} {kind} snapshots ({len(pp)} candidate "
          f"pairs scored{', all written' if args.scores else ''}) to {args.out}")
    if pp.num_links == 0:
        print(f"gcngan: warning: the prediction holds no link at all{_no_link_hint(config)}",
              file=sys.stderr)
    return 0


def _no_link_hint(config) -> str:
    """Why a run may predict an empty network, for the warning of ``gcngan predict``."""
    if config.model.family == "sparse":
        return ("; the sparse model predicts a link only where its existence probability "
                "passes the pair decoder's threshold (0.5): --scores writes every scored "
                "candidate pair with its probability, a ranked list")
    if config.model.decoder == "residual":
        return ("; the dense model predicts a link only where it expects one more likely "
                "than not (at first: where the window holds it in at least half of its "
                "snapshots), so on sparse data it can predict none. Compare with the "
                "baselines (gcngan evaluate), or try a coarser --granularity or a shorter "
                "--window")
    return "; check the data's weights against --max-threshold and the training curves"
