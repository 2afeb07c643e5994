#!/usr/bin/env python
"""Sparse preset on real data (issue 15): train ``--preset sparse`` for a few epochs through
the command line in a fresh process (seconds per epoch from its ``log.csv``, peak RSS of
that process), then rank it with ``evaluate --protocol ranking`` on the negatives of
``scripts/bench_ranking.py`` (same datasets, test targets, q, max queries and seed; val =
the 3 targets before the test targets, as its default-model row), beside every pair
predictor on the same candidates.

    python scripts/bench_sparse.py [--datasets twitter_tennis_rg17,enron184] [--epochs 3]
        [--threads 1] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from bench_ranking import DATASETS, DATASETS_ROOT, data_flags  # noqa: E402

GCNGAN = [sys.executable, "-c", "import sys; from gcngan.cli import main; sys.exit(main())"]
#: the same, writing its own peak RSS (KiB, Linux ru_maxrss) to the file named by argv[1]
GCNGAN_RSS = [sys.executable, "-c",
              "import resource, sys; from gcngan.cli import main; path = sys.argv.pop(1); "
              "rc = main(sys.argv[1:]); open(path, 'w').write(str(resource.getrusage("
              "resource.RUSAGE_SELF).ru_maxrss)); sys.exit(rc)"]


def run_one(name: str, root: Path, *, epochs: int, window: int, q: int, max_queries: int,
            seed: int, extra: list[str], threads: int = 1) -> dict:
    import pandas as pd

    from gcngan.config import DataConfig
    from gcngan.data import chronological_split, load_snapshots
    from gcngan.ranking import generate_negatives, write_negatives
    from gcngan.structural import PairIndex

    rel, fields, test, how = DATASETS[name]
    path = root / rel
    seq = load_snapshots(path, DataConfig(window=window, val=0, test=test, **fields))
    targets = list(chronological_split(seq.num_snapshots, window, 0, test).test)
    cands = generate_negatives(PairIndex(seq), targets, q=q, max_queries=max_queries, seed=seed)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}    # torch's intra-op threads
    flags = [*data_flags(fields), "--window", str(window), "--val", "3", "--test", str(test)]
    with tempfile.TemporaryDirectory() as tmp:
        run, neg = Path(tmp) / "run", Path(tmp) / "negatives.csv"
        write_negatives(neg, cands, seq.node_ids)
        t0 = time.perf_counter()
        rss_file = Path(tmp) / "rss.txt"
        subprocess.run([*GCNGAN_RSS, str(rss_file), "train", str(path), "--out", str(run),
                        "--preset", "sparse",
                        "--epochs", str(epochs), "--seed", str(seed), "--quiet",
                        "--set", f"patience={epochs}", *flags, *extra], check=True, env=env)
        wall = time.perf_counter() - t0
        rss = int(rss_file.read_text()) / 2**10                      # MiB (Linux: KiB)
        log = pd.read_csv(run / "log.csv")
        metrics = json.loads((run / "metrics.json").read_text())
        out = subprocess.run([*GCNGAN, "evaluate", str(run), "--data", str(path),
                              *data_flags(fields), "--protocol", "ranking", "--negatives",
                              str(neg), "--json"], check=True, capture_output=True, text=True,
                             env=env)
    res = json.loads(out.stdout)
    preds = res["predictors"]
    single = {k: v for k, v in preds.items() if k not in ("model", "stacked-heuristics")}
    best = max(single, key=lambda k: single[k]["all"]["mrr"])

    def row(r):
        return {"mrr": r["all"]["mrr"], "mrr_new": r["new"]["mrr"],
                "mrr_repeated": r["repeated"]["mrr"]}

    return {"dataset": name, "threads": threads, "num_nodes": seq.num_nodes,
            "num_snapshots": seq.num_snapshots,
            "queries": res["queries"], "sha256": res["negatives"]["sha256"],
            "epochs": int(metrics["epochs"]), "best_epoch": metrics["best_epoch"],
            "train_seconds_per_epoch": [round(float(x), 1) for x in log["train_seconds"]],
            "val_seconds_per_epoch": [round(float(x), 1) for x in log["val_seconds"]],
            "val_mrr_per_epoch": [round(float(x), 4) for x in log["val_mrr"]],
            "train_wall_seconds": round(wall, 1), "peak_rss_mib_train": round(rss, 1),
            "model": row(preds["model"]), "best_heuristic": best,
            best: row(preds[best]),
            "stacked-heuristics": row(preds["stacked-heuristics"])
            if "stacked-heuristics" in preds else None}


def run_report(names, root: Path, *, epochs: int = 3, window: int = 10, q: int = 100,
               max_queries: int = 1000, seed: int = 0, threads: int = 1, extra=(),
               progress=None) -> dict:
    """:func:`run_one` per dataset, with the settings, as the benchmark harness keeps it
    (``python scripts/benchmark.py --protocol sparse``)."""
    out = []
    for name in names:
        if progress:
            progress(f"sparse {name}: {epochs} epochs, {threads} thread(s)")
        out.append(run_one(name, Path(root), epochs=epochs, window=window, q=q,
                           max_queries=max_queries, seed=seed, extra=list(extra),
                           threads=threads))
    return {"date": time.strftime("%Y-%m-%d", time.gmtime()),
            "settings": {"epochs": epochs, "window": window, "q": q,
                         "max_queries": max_queries, "seed": seed, "threads": threads},
            "datasets": out}


def _f(v, digits: int = 3) -> str:
    return "n/a" if v is None else f"{float(v):.{digits}f}"


def _vs(model: float, name: str, other) -> str:
    if other is None:
        return f"{name} not ranked"
    diff = model - other
    word = "above" if diff > 0 else "below" if diff < 0 else "equal to"
    return f"{word} {name} ({_f(other)}, {diff:+.3f})"


def verdict(d: dict) -> str:
    """One line from the numbers: the model's MRR (all) against the best single heuristic
    and against stacked-heuristics on the same candidates."""
    m = d["model"]["mrr"]
    best = d["best_heuristic"]
    stacked = d.get("stacked-heuristics")
    return (f"**Verdict ({d['dataset']}):** sparse model MRR {_f(m)} is "
            f"{_vs(m, 'the best single heuristic ' + best, d[best]['mrr'])} and "
            f"{_vs(m, 'stacked-heuristics', stacked['mrr'] if stacked else None)}.")


def render(report: dict, *, command: str = "python scripts/bench_sparse.py") -> str:
    """The section's Markdown: one table of cost and MRR per dataset and a verdict each."""
    s = report.get("settings", {})
    lines = ["## Sparse GCN-GAN on the ranking protocol", "",
             f"`{command}` ({report.get('date', '')}): `--preset sparse` trained through the "
             f"command line for {s.get('epochs')} epochs (seed {s.get('seed')}, "
             f"OMP_NUM_THREADS={s.get('threads')}, window {s.get('window')}), ranked with "
             f"`evaluate --protocol ranking` on the negatives of the ranking section "
             f"(q = {s.get('q')}, at most {s.get('max_queries')} queries per target). "
             "Seconds per epoch are the training time of each epoch (log.csv); peak RSS is "
             "the training process's. The heuristic rows are `evaluate`'s on the same "
             "candidates; its `stacked-heuristics` is fitted on the run's training targets "
             "(the 3 validation targets held out), so it can differ slightly from the "
             "ranking section's.", "",
             "| dataset | nodes | snapshots | queries | epochs (best) | train s/epoch | "
             "peak RSS MiB | predictor | MRR all | MRR new | MRR repeated |",
             "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|"]
    for d in report["datasets"]:
        spe = d["train_seconds_per_epoch"]
        head = [d["dataset"], str(d["num_nodes"]), str(d["num_snapshots"]),
                str(d["queries"]), f"{d['epochs']} ({d['best_epoch']})",
                _f(sum(spe) / len(spe), 1) if spe else "n/a",
                _f(d["peak_rss_mib_train"], 0)]
        rows = [("sparse model", d["model"]), (d["best_heuristic"], d[d["best_heuristic"]]),
                ("stacked-heuristics", d.get("stacked-heuristics"))]
        for i, (name, r) in enumerate(rows):
            cells = head if i == 0 else [""] * len(head)
            vals = [_f(r[k]) if r else "n/a" for k in ("mrr", "mrr_new", "mrr_repeated")]
            lines.append("| " + " | ".join([*cells, name, *vals]) + " |")
    lines.append("")
    for d in report["datasets"]:
        lines += [verdict(d), ""]
    lines.append("Not measured yet: the adversarial ablation (generator without the "
                 "discriminator), the GCN and node-feature ablations, 3 seeds, the other "
                 "datasets of the ranking section, and how the cost grows at N = 10k and "
                 "N = 100k nodes.")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="twitter_tennis_rg17,enron184")
    ap.add_argument("--root", default=str(DATASETS_ROOT))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--q", type=int, default=100)
    ap.add_argument("--max-queries", dest="max_queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", dest="extra", action="append", default=[],
                    help="extra --set KEY=VALUE for training")
    ap.add_argument("--threads", type=int, default=1,
                    help="OMP_NUM_THREADS of the training/evaluation processes (default 1: "
                         "the model's tensors are small; on a shared CPU more threads spin)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    extra = [x for kv in args.extra for x in ("--set", kv)]
    out = []
    for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        r = run_one(name, Path(args.root), epochs=args.epochs, window=args.window, q=args.q,
                    max_queries=args.max_queries, seed=args.seed, extra=extra,
                    threads=args.threads)
        print(json.dumps(r), flush=True)
        out.append(r)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
