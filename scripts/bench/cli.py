"""``python scripts/benchmark.py``: datasets x methods x seeds, the online protocol and speed;
writes ``docs/results.md`` and ``docs/results.json`` (``--quick``: a smaller run written under
``runs/benchmark-quick/`` unless ``--out`` says otherwise).

:func:`main` parses the flags and runs :func:`cmd_benchmark` behind the same error boundary
as the ``gcngan`` command (:func:`gcngan.cli.common.run_command`): one line and exit status 2
for bad input, no traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

PROTOCOLS = ("split", "online", "backtest", "existence", "speed", "ranking", "ingest",
             "sparse", "sparse-cost", "ddp", "heldout")


def _csv(text: str) -> tuple:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _ints(text: str) -> tuple:
    from gcngan.errors import ConfigError

    try:
        return tuple(int(t) for t in _csv(text))
    except ValueError:
        raise ConfigError(f"expected comma-separated integers, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from bench.harness import DATASETS, METHODS

    p = argparse.ArgumentParser(
        prog="python scripts/benchmark.py",
        description="Run datasets x methods x seeds under one protocol (train, early stopping "
                    "on validation, best-validation generator scored on test), the paper's "
                    "rolling-origin protocol on UCSB and speed measurements; write a "
                    "Markdown report and a JSON file.")
    p.add_argument("--quick", action="store_true",
                   help="a few minutes: fewer datasets, epochs, seeds and online targets; "
                        "written to runs/benchmark-quick/ unless --out is given")
    p.add_argument("--protocol", default="all",
                   help="comma-separated: split, online, backtest (the split protocol at "
                        "earlier origins), existence (how well the window predicts which "
                        "entries are links, no model), speed, ranking (one-vs-many link "
                        "ranking of every pair predictor, scripts/bench_ranking.py), ingest "
                        "(ingestion speed and memory, scripts/bench_ingest.py), sparse (the "
                        "sparse preset on the ranking protocol, scripts/bench_sparse.py), "
                        "sparse-cost (its time and memory against N, and against the dense "
                        "model on Twitter mentions, scripts/bench_sparse_cost.py), "
                        "ddp (data-parallel training with 1 and 2 processes and the 'Going "
                        "wider' derivation, scripts/bench_ddp.py), heldout (train with no "
                        "flags on the past of each file, score its future through the "
                        "command line, scripts/bench_heldout.py), "
                        "or all "
                        "(default: all)")
    p.add_argument("--datasets", type=_csv, default=None,
                   help=f"comma-separated subset of: {', '.join(DATASETS)}")
    p.add_argument("--methods", type=_csv, default=None,
                   help=f"comma-separated subset of: {', '.join(METHODS)}")
    p.add_argument("--seeds", type=_ints, default=None, help="e.g. 0,1,2")
    p.add_argument("--sparse-datasets", dest="sparse_datasets", type=_csv, default=None,
                   help="sparse protocol: ranking datasets (default: the six of issue 15)")
    p.add_argument("--sparse-variants", dest="sparse_variants", type=_csv, default=None,
                   help="sparse protocol: sparse, no-gcn, no-structure, no-adversarial, "
                        "whole-window, gcn-skip, node-activity, gcn-mirror, "
                        "no-structure-no-gcn, negatives-50, random-features, dense "
                        "(default: all; --seeds then applies to each)")
    p.add_argument("--sparse-commit", dest="sparse_commit", default=None, metavar="REV",
                   help="sparse protocols: train the gcngan of this commit (default HEAD)")
    p.add_argument("--max-epochs", dest="max_epochs", type=int, default=None,
                   help="cap on each preset's epochs (default: 30, quick: 3)")
    p.add_argument("--online-methods", dest="online_methods", type=_csv, default=None,
                   help="trained methods of the online protocol (default: paper,dense)")
    p.add_argument("--online-seeds", dest="online_seeds", type=_ints, default=None,
                   help="seeds of the online protocol (default: 0,1,2; quick: 0)")
    p.add_argument("--out", default=None, metavar="RESULTS.md",
                   help="Markdown report; the JSON goes beside it (default: docs/results.md, "
                        "quick: runs/benchmark-quick/results.md)")
    p.add_argument("--merge", action="store_true",
                   help="merge into the JSON beside --out (replace only what this run "
                        "measured) and regenerate the report")
    p.add_argument("--render-only", dest="render_only", action="store_true",
                   help="regenerate the report from the JSON beside --out; run nothing")
    p.add_argument("--root", default=None,
                   help="folder of the real datasets (default: ../shared/datasets next to "
                        "the repository)")
    p.add_argument("--threads", default="auto",
                   help="torch CPU threads for the run, or auto: 1 when the machine is "
                        "already busy (load average >= cores - 0.5), else torch's default; "
                        "the speed protocol measures 1 and 2 threads regardless")
    p.add_argument("--combine", type=_csv, default=None, metavar="A.json,B.json",
                   help="with --render-only: merge these result files (later ones win) into "
                        "the JSON beside --out, e.g. shards run in parallel")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="device of the split and online protocols (default cpu; the speed "
                        "protocol also measures cuda when available)")
    p.set_defaults(func=cmd_benchmark)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark with command-line ``argv``; returns the exit status."""
    from gcngan.cli.common import run_command

    parser = build_parser()
    return run_command(parser, parser.parse_args(argv), prog="benchmark")


def cmd_benchmark(args: argparse.Namespace) -> int:
    from gcngan.errors import ConfigError, InputError

    import bench as bm

    profile = bm.PROFILES["quick" if args.quick else "full"]
    changes = {}
    if args.datasets:
        changes["datasets"] = tuple(bm.get_choice(bm.DATASETS, d, "dataset").name
                                    for d in args.datasets)
    if args.methods:
        changes["methods"] = tuple(bm.get_choice(bm.METHODS, m, "method").name
                                   for m in args.methods)
    if args.seeds:
        changes["seeds"] = args.seeds
    if args.max_epochs is not None:
        if args.max_epochs < 1:
            raise ConfigError(f"--max-epochs {args.max_epochs} must be >= 1")
        changes["max_epochs"] = args.max_epochs
    online = profile.online
    if args.online_methods:
        for m in args.online_methods:
            if not bm.get_choice(bm.METHODS, m, "method").trained:
                raise ConfigError(f"--online-methods: {m} is a naive baseline (they are always "
                                  f"reported)")
        online = replace(online, methods=args.online_methods)
    if args.online_seeds:
        online = replace(online, seeds=args.online_seeds)
    profile = replace(profile, online=online, **changes)
    if args.out:
        profile = replace(profile, out=args.out)
    md_path = Path(profile.out)
    json_path = md_path.with_suffix(".json")

    if args.render_only:
        sources = [Path(p) for p in args.combine] if args.combine else [json_path]
        for src in sources:
            if not src.is_file():
                raise InputError(f"--render-only: {src} not found")
        doc = json.loads(sources[0].read_text(encoding="utf-8"))
        for src in sources[1:]:
            doc = bm.merge_documents(doc, json.loads(src.read_text(encoding="utf-8")))
        bm.write_outputs(doc, md_path)
        print(f"rendered {md_path} from {', '.join(map(str, sources))}")
        return 0
    if args.combine:
        raise ConfigError("--combine goes with --render-only")

    protocols = PROTOCOLS if args.protocol.strip() == "all" else _csv(args.protocol)
    unknown = [p for p in protocols if p not in PROTOCOLS]
    if unknown:
        raise ConfigError(f"--protocol {','.join(unknown)}: valid: {', '.join(PROTOCOLS)}, all")
    root = Path(args.root) if args.root else bm.DEFAULT_ROOT

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if args.threads == "auto":
        threads = bm.auto_threads()
    else:
        try:
            threads = int(args.threads)
        except ValueError:
            raise ConfigError(f"--threads {args.threads!r}: expected an integer or auto") \
                from None
    doc = bm.run_benchmark(profile, protocols=protocols, root=root, device=args.device,
                           progress=progress, argv=_given_options(args), threads=threads,
                           sparse={"datasets": args.sparse_datasets,
                                   "variants": args.sparse_variants, "seeds": args.seeds,
                                   "commit": args.sparse_commit})
    if args.merge and json_path.is_file():
        doc = bm.merge_documents(json.loads(json_path.read_text(encoding="utf-8")), doc)
    bm.write_outputs(doc, md_path)
    for dataset, r in bm.verdicts(bm.summarize(doc.get("split", []))).items():
        print(f"{dataset}: dense wins {r['wins']}; (a) {'pass' if r['a'] else 'fail'}, "
              f"(b) {'pass' if r['b'] else 'fail'}")
    for r in bm.backtest_verdicts(doc.get("backtest", {}).get("runs", [])):
        print(f"{r['dataset']} at origin k={r['origin']}: (a) {'pass' if r['a'] else 'fail'}, "
              f"(b) {'pass' if r['b'] else 'fail'}")
    print(f"wrote {md_path} and {json_path} "
          f"({doc['environment']['total_seconds'] / 60:.1f} min)")
    return 0


def _given_options(args: argparse.Namespace) -> list[str]:
    """The options this run was given, for the report's command line."""
    out = ["--quick"] if args.quick else []
    for name in ("protocol", "datasets", "methods", "seeds", "max_epochs", "online_methods",
                 "online_seeds", "sparse_datasets", "sparse_variants", "sparse_commit",
                 "out", "root",
                 "threads", "device"):
        value = getattr(args, name)
        if value is None or (name, value) in (("protocol", "all"), ("device", "cpu"),
                                              ("threads", "auto")):
            continue
        text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
        out.append(f"--{name.replace('_', '-')} {text}")
    return out + (["--merge"] if args.merge else [])
