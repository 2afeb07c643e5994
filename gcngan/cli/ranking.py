"""``gcngan evaluate [RUN_DIR] --data DATA --protocol ranking``: one-vs-many ranking with
fixed negatives (see :mod:`gcngan.ranking`); the flags and the handler live here,
``gcngan/cli/evaluate.py`` only dispatches.

With ``RUN_DIR`` the trained model is ranked beside the baselines (its dense output read
at the candidates; the data and split come from the run: ``--split val`` ranks the run's
validation targets), and the links it predicts on the candidate pairs are compared with the
true ones (:func:`gcngan.ranking.link_diagnostics`: counts, existence precision / recall /
F1, W1 and KS of the weights on the true links; JSON key ``diagnostics``). Without it only the baselines
are ranked, on the data and split given by the flags (``--window``, ``--val``, ``--test``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
from pathlib import Path

from gcngan.config import UNIFORM_NEGATIVES


def add_ranking_args(p: argparse.ArgumentParser) -> None:
    """The ranking protocol's flags (``--protocol`` itself is evaluate's)."""
    g = p.add_argument_group("ranking protocol (--protocol ranking)")
    g.add_argument("--negatives", default=None, metavar="FILE",
                   help="rank the candidates of this CSV (query,t,src,dst,label; on event "
                        "data timestamp may stand for t) instead of generating them")
    g.add_argument("--negatives-out", dest="negatives_out", default=None, metavar="FILE",
                   help="where generated candidates are written, with FILE.sha256 (default: "
                        "RUN_DIR/negatives-<split>-q<q>-m<max>-s<seed>.csv; without RUN_DIR "
                        "they are not written, only their sha256 is reported)")
    g.add_argument("--q", type=int, default=100, help="negatives per query (default 100)")
    g.add_argument("--max-queries", dest="max_queries", type=int, default=1000,
                   help="queries per target snapshot at most (default 1000)")
    g.add_argument("--seed", type=int, default=0, help="seed of the negatives (default 0)")
    g.add_argument("--uniform-from", dest="uniform_from", choices=UNIFORM_NEGATIVES,
                   default="all",
                   help="where the uniform negatives come from: all nodes (default), "
                        "destinations (nodes that are some link's destination up to t, as "
                        "TGB's random negatives: no users of a user -> item stream), or both "
                        "(half each)")


def json_safe(obj):
    """NaN/inf -> ``None`` (strict JSON), recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def baseline_names(spec: str | None) -> list[str]:
    """``--baselines`` of the ranking protocol: default every pair predictor (the
    heuristics and ``stacked-heuristics``)."""
    from gcngan.structural import ALL_PREDICTORS

    if spec is None:
        return list(ALL_PREDICTORS)
    if spec.strip().lower() in ("", "none"):
        return []
    return [b.strip() for b in spec.split(",") if b.strip()]


def cmd_ranking(args: argparse.Namespace) -> int:
    """Handler of ``gcngan evaluate --protocol ranking``."""
    from gcngan.errors import InputError
    from gcngan.nn.sparse_model import model_predictor
    from gcngan.ranking import (evaluate_ranking, format_link_diagnostics,
                                format_ranking_table, generate_negatives, negatives_csv,
                                read_negatives, write_negatives)
    from gcngan.structural import PairIndex, get_pair_predictor

    names = baseline_names(args.baselines)
    predictors = {}
    baselines = {name: get_pair_predictor(name) for name in names}   # validates names early
    if args.q < 1:
        raise InputError(f"--q {args.q} must be >= 1")
    if args.max_queries < 1:
        raise InputError(f"--max-queries {args.max_queries} must be >= 1")
    if args.run is not None:
        from gcngan.cli.common import load_run, split_targets
        from gcngan.data import split_of

        generator, config, seq, device = load_run(args)
        tc = config.train
        window = config.data.window
        targets = split_targets(seq, config, args.split)
        train_targets = list(split_of(seq, config.data)["train"])
        predictors["model"] = model_predictor(generator, config, device)  # dense or sparse
    else:
        from gcngan.cli.common import data_config, run_data
        from gcngan.data import load_snapshots, split_of

        cfg = data_config(args)
        seq = load_snapshots(run_data(args), cfg)
        window = cfg.window
        split = split_of(seq, cfg)
        targets, train_targets = list(split[args.split]), list(split.train)
        if not targets:
            raise InputError(f"the {args.split} split has no targets (--{args.split} 0)")
    predictors.update(baselines)
    if not predictors:
        raise InputError("nothing to rank: no RUN_DIR and --baselines none")
    index = PairIndex(seq)
    if args.negatives is not None:
        cands = read_negatives(args.negatives, index, window)
        origin = {"path": str(args.negatives), "generated": False}
    else:
        cands = generate_negatives(index, targets, q=args.q, max_queries=args.max_queries,
                                   seed=args.seed, uniform_from=args.uniform_from)
        out = args.negatives_out
        if out is None and args.run is not None and Path(args.run).is_dir():
            kind = "" if args.uniform_from == "all" else f"-{args.uniform_from}"
            out = Path(args.run) / (f"negatives-{args.split}-q{args.q}-m{args.max_queries}"
                                    f"-s{args.seed}{kind}.csv")
        if out is not None:
            write_negatives(out, cands, seq.node_ids)
        else:
            cands.sha256 = hashlib.sha256(negatives_csv(cands, seq.node_ids)).hexdigest()
        origin = {"path": None if out is None else str(out), "generated": True,
                  "q": args.q, "max_queries": args.max_queries, "seed": args.seed,
                  "uniform_from": args.uniform_from}
    if not len(cands):
        raise InputError(f"no queries: the {args.split} targets hold no link u -> v with u != v")
    # learned pair predictors (stacked-heuristics) are fitted on the training targets only
    result = evaluate_ranking(predictors, index, cands, window, train_targets=train_targets)
    fitted = {name: p.fit_summary() for name, p in baselines.items() if p.needs_fit}
    if fitted:
        result["fitted"] = fitted
    result["negatives"] = {**origin, "sha256": cands.sha256}
    result.update({"protocol": "ranking", "split": args.split, "window": window,
                   "num_nodes": seq.num_nodes})
    if args.json:
        print(json.dumps(json_safe(result), allow_nan=False))
        return 0
    where = origin["path"] or "(not written)"
    print(f"ranking on the {args.split} split: {result['queries']} queries "
          f"({result['new']} new, {result['repeated']} repeated), {result['candidates']} "
          f"candidates, window {window}, {seq.num_nodes} nodes")
    print(f"negatives: {where} sha256 {cands.sha256}")
    print(format_ranking_table(result))
    print("rank = 1 + #(neg > pos) + 0.5 #(neg == pos); best of each column in bold; "
          "new = link never seen before t")
    for name, diag in result.get("diagnostics", {}).items():
        print(format_link_diagnostics(name, diag))
    return 0
