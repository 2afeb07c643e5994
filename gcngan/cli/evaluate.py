"""``gcngan evaluate RUN_DIR --data DATA``: metrics of the model and naive baselines.

Every predictor goes through the same prediction, rescaling and refinement path; metrics
are per target snapshot on the raw scale, then mean and sample std (AUC/AP pooled).
A sparse-family run on a small graph (``N*N <= 250,000``) is scored on this protocol by
predicting all ``N x N`` pairs of each target (:func:`gcngan.predict.evaluate_sparse_split`);
on larger graphs it is refused with a pointer to ``--protocol ranking``.
"""
from __future__ import annotations

import argparse

from gcngan.cli.common import add_data_args
from gcngan.cli.ranking import add_ranking_args
from gcngan.config import DEVICES


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="score a trained run and naive baselines",
                       description="Score a trained run and naive baselines on a split.")
    p.add_argument("run", metavar="RUN_DIR", nargs="?", default=None,
                   help="run directory (or a .pt checkpoint); may be left out with "
                        "--protocol ranking to rank the baselines only")
    p.add_argument("--data", default=None,
                   help="the data the run was trained on (default: the file training read, if it is still there)")
    p.add_argument("--split", choices=("test", "val"), default="test", help="default test")
    p.add_argument("--protocol", choices=("dense", "ranking"), default="dense",
                   help="dense: per-snapshot weight and existence metrics (default); "
                        "ranking: one-vs-many MRR/Hits@k on fixed negatives")
    p.add_argument("--baselines", default=None,
                   help="comma-separated baselines, or 'none' (default: copy-last,mean,"
                        "median,ewma; ranking: every pair predictor of gcngan.structural)")
    p.add_argument("--metrics", default=None,
                   help="comma-separated metric names (default: all)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (and nothing else) on stdout")
    p.add_argument("--device", choices=DEVICES, default="cpu", help="default cpu")
    add_data_args(p, split=True)
    add_ranking_args(p)
    p.set_defaults(func=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from gcngan.baselines import get_baseline
    from gcngan.cli.common import dumps, load_run, split_targets
    from gcngan.metrics import format_table
    from gcngan.predict import evaluate_sparse_split, evaluate_split

    if args.protocol == "ranking":
        from gcngan.cli.ranking import cmd_ranking
        return cmd_ranking(args)
    if args.run is None:
        from gcngan.errors import InputError
        raise InputError("evaluate needs RUN_DIR (only --protocol ranking ranks the "
                         "baselines without a run)")
    spec = "copy-last,mean,median,ewma" if args.baselines is None else args.baselines
    names = [] if spec.strip().lower() in ("", "none") else \
        [b.strip() for b in spec.split(",") if b.strip()]
    baselines = {name: get_baseline(name) for name in names}       # validates names early
    metrics = None if args.metrics is None else \
        [m.strip() for m in args.metrics.split(",") if m.strip()]
    generator, config, seq, device = load_run(args)
    tc, dc = config.train, config.data
    sparse = config.model.family == "sparse"
    if sparse:
        require_small(seq.num_nodes, args.run)
    idx = split_targets(seq, config, args.split)

    def score(predictor) -> dict:
        return evaluate_split(predictor, seq, idx, dc.window, epsilon=tc.epsilon,
                              metrics=metrics, samples=tc.eval_samples, seed=tc.seed,
                              device=device)

    model = evaluate_sparse_split(generator, seq, idx, dc.window, epsilon=tc.epsilon,
                                  metrics=metrics, samples=tc.eval_samples, seed=tc.seed,
                                  device=device) if sparse else score(generator)
    result = {"model": model,
              "baselines": {name: score(b) for name, b in baselines.items()}}
    if args.json:
        print(dumps(result))
    else:
        if sparse:
            print("model: the sparse-family run's prediction of all N x N pairs of each "
                  "target (gcngan predict writes the same links)")
        print(f"{args.split} split: {len(idx)} target snapshots, {seq.num_nodes} nodes "
              f"(mean ± sample std over snapshots; auc/ap pooled over snapshots, ranking "
              f"each predictor's link score: see predict --scores)")
        print(format_table({"model": result["model"], **result["baselines"]}))
        if "kl" in result["model"]:
            print("kl is the paper's KL: it skips entries that are zero in either matrix, so "
                  "it can be <= 0 and is 0 for a prediction without links; kl_floor is "
                  "taken over all entries")
        from gcngan.report import summarize_table
        for line in summarize_table({"model": result["model"], **result["baselines"]}, width=100):
            print(line)
    return 0


def require_small(num_nodes: int, run) -> None:
    """Refuse the dense protocol for a sparse-family run whose graph is too large to score
    all ``N x N`` pairs (:data:`gcngan.candidates.ALL_PAIRS_LIMIT`).

    Raises:
        InputError: one line naming ``--protocol ranking``.
    """
    from gcngan.candidates import ALL_PAIRS_LIMIT, all_pairs_fit
    from gcngan.errors import InputError

    if not all_pairs_fit(num_nodes, ALL_PAIRS_LIMIT):
        raise InputError(f"{run} is a sparse-family run on N={num_nodes} nodes: the dense "
                         f"protocol scores all N x N pairs of every target, done only up to "
                         f"N x N = {ALL_PAIRS_LIMIT:,} (N <= {int(ALL_PAIRS_LIMIT ** 0.5)}); "
                         f"use --protocol ranking (or gcngan predict / gcngan score)")
