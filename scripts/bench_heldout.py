#!/usr/bin/env python
"""Held-out future through the command line: what a user (or a reviewer with negatives we
never see) measures when they train on the past of an edge list and score its future.

For each dataset of ``../shared/datasets`` in :data:`DATASETS`, exactly as a user would:

1. cut the file in time after its first 85% of links (:data:`TRAIN_SHARE`; rows sorted by
   time; a snapshot file at the snapshot where they reach it); the first part is written
   as its own file, the rest is the future;
2. ``gcngan train PAST.csv`` with **no flags** (the default preset, automatic snapshot
   width, split sizes and signed-weight handling), one fresh process;
3. queries: up to :data:`MAX_QUERIES` links of the future (drawn uniformly, seeded; both
   ends seen in the past, so that every predictor can score them), each with
   :data:`NEGATIVES` negatives drawn the way TGB's evaluation draws them: half historical
   (the source's past destinations, other than the true one), the rest uniform over the
   past's nodes; written as a pairs file in the file's own ids and times;
4. ``gcngan score RUN --pairs PAIRS.csv`` (every query from the last window before its
   time, past-the-end rows from the last window of the data: the CLI's lenient default), and
   ``gcngan score --predictor NAME`` for every structural baseline on the same pairs;
5. MRR per predictor (ties count half, :func:`gcngan.ranking.query_ranks`), overall and by
   how far past the data a query lies (the next snapshot, 1-9 snapshots later, 10 or more).

The verdict lines compare the model with the best single heuristic and with
``stacked-heuristics``. Nothing is tuned on these queries: the run's own validation chooses
its epoch, the pairs are drawn after training.

    python scripts/bench_heldout.py [--datasets collegemsg,...] [--json OUT.json]
        [--document DOC.json]
    python scripts/benchmark.py --protocol heldout --merge      # into docs/results.md
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from bench_ranking import DATASETS_ROOT  # noqa: E402
from bench_sparse import (add_output_arguments, benchmark_document, gcngan_process,  # noqa: E402
                          measured_code)

#: name -> (file under the datasets root, what it is)
DATASETS = {
    "collegemsg": ("collegemsg/collegemsg_events.csv", "messages, event stream"),
    "bitcoin_alpha": ("bitcoin_alpha/bitcoin_alpha_events.csv",
                      "signed trust ratings, event stream"),
    "wikipedia": ("wikipedia/wikipedia_events.csv", "user -> page edits, event stream"),
    "email_eu_core_temporal": ("email_eu_core_temporal/email_eu_core_temporal_events.csv",
                               "e-mail, event stream (its last 15% lie after a 9-month gap)"),
    "enron184": ("enron184/enron184.csv", "e-mail, 26 snapshots, binary"),
    "twitter_tennis_rg17": ("twitter_tennis_rg17/twitter_tennis_rg17.csv",
                            "mentions, 120 hourly snapshots"),
    "contact_haggle_elstmd": ("contact_haggle_elstmd/contact_haggle_elstmd.csv",
                              "proximity contacts, 583 snapshots, binary (not in the "
                              "ranking benchmark)"),
}
#: share of the events (or of the snapshot range) the model trains on
TRAIN_SHARE = 0.85
#: future links ranked at most, and negatives per query (half historical)
MAX_QUERIES, NEGATIVES = 1000, 20
#: the baselines scored beside the model (``gcngan score --predictor``)
BASELINES = ("stacked-heuristics", "edgebank-inf", "window-count", "window-mean", "ewma",
             "common-neighbours", "adamic-adar", "resource-allocation", "pref-attachment",
             "l3-paths")
#: how far past the training data a query lies, in snapshots of the run
HORIZONS = (("next", 0, 0), ("1-9 later", 1, 9), ("10+ later", 10, None))


def split_past_future(df, share: float = TRAIN_SHARE):
    """``(past, future, time column, kind)``: an event stream (a ``timestamp``-like column)
    cut after its first ``share`` of events in time order; a snapshot file (``t``) at the
    snapshot where its links reach ``share`` (past: ``t < cut``, whole snapshots), so that
    a file whose last snapshots are empty still has a future.

    Examples:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"t": [0, 1, 1, 2, 3, 3, 3, 9], "src": 1, "dst": 2})
        >>> past, future, col, kind = split_past_future(df, 0.5)
        >>> past["t"].tolist(), future["t"].tolist(), col, kind
        ([0, 1, 1, 2], [3, 3, 3, 9], 't', 'snapshots')
    """
    cols = {c.lower(): c for c in df.columns}
    for name in ("timestamp", "time", "ts"):
        if name in cols:
            col = cols[name]
            df = df.sort_values(col, kind="stable")
            cut = int(share * len(df))
            return df.iloc[:cut], df.iloc[cut:], col, "events"
    col = cols["t"]
    cut = np.sort(df[col].to_numpy())[int(share * len(df))]
    return df[df[col] < cut], df[df[col] >= cut], col, "snapshots"


def draw_queries(past, future, time_col: str, *, max_queries: int = MAX_QUERIES,
                 negatives: int = NEGATIVES, seed: int = 0):
    """The pairs file's rows: up to ``max_queries`` future links ``u -> v`` (``u != v``,
    both seen in the past), each followed by ``negatives`` others ``u -> w``: half the
    source's past destinations other than ``v`` (all of them when fewer), the rest uniform
    over the past's nodes (never ``u``, ``v`` or a historical one; no repeats).

    Returns:
        DataFrame: ``query, <time_col>, src, dst, label`` (the positive first per query).
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    nodes = np.unique(np.concatenate([past["src"].to_numpy(), past["dst"].to_numpy()]))
    history = {u: np.unique(d.to_numpy()) for u, d in past.groupby("src")["dst"]}
    fut = future[(future["src"] != future["dst"]) & future["src"].isin(nodes)
                 & future["dst"].isin(nodes)]
    take = np.sort(rng.choice(len(fut), size=min(max_queries, len(fut)), replace=False))
    rows = []
    for q, (t, u, v) in enumerate(zip(fut[time_col].to_numpy()[take],
                                      fut["src"].to_numpy()[take],
                                      fut["dst"].to_numpy()[take])):
        hist = history.get(u, nodes[:0])
        hist = hist[(hist != v) & (hist != u)]
        neg_h = rng.choice(hist, size=min(negatives // 2, hist.size), replace=False)
        pool = nodes[~np.isin(nodes, np.concatenate([[u, v], neg_h]))]
        neg_u = rng.choice(pool, size=min(negatives - neg_h.size, pool.size), replace=False)
        for k, w in enumerate(np.concatenate([[v], neg_h, neg_u])):
            rows.append((q, t, u, w, k == 0))
    return pd.DataFrame(rows, columns=["query", time_col, "src", "dst", "label"])


def horizon_mrr(ranks: np.ndarray, ahead: np.ndarray) -> dict:
    """MRR over every query and per :data:`HORIZONS` bucket of ``ahead`` (snapshots past
    the data's end of each query: 0 = the next snapshot; negative = inside the data's last
    snapshots, counted with the next), ``None`` for an empty bucket.

    Examples:
        >>> horizon_mrr(np.array([1.0, 2.0, 4.0]), np.array([0, 3, 12]))
        {'all': 0.5833333333333334, 'next': 1.0, '1-9 later': 0.5, '10+ later': 0.25}
    """
    out = {"all": float(np.mean(1.0 / ranks)) if ranks.size else None}
    for name, lo, hi in HORIZONS:
        keep = horizon_mask(ahead, lo, hi)
        out[name] = float(np.mean(1.0 / ranks[keep])) if keep.any() else None
    return out


def horizon_mask(ahead: np.ndarray, lo: int, hi) -> np.ndarray:
    """Queries ``lo <= ahead <= hi`` (``hi`` None: no bound; ``lo`` 0: everything up to
    ``hi``, the data's own last snapshots included)."""
    keep = ahead >= lo if lo else np.ones(ahead.shape, dtype=bool)
    return keep & (ahead <= hi) if hi is not None else keep


def run_dataset(name: str, root: Path, tmp: Path, *, code=None, threads: int = 1,
                max_queries: int = MAX_QUERIES, baselines=BASELINES, sets=()) -> dict:
    """Steps 1-5 of the module docstring for one dataset; its record (MRR per predictor
    overall and by horizon, the share of queries per horizon, the run's training cost).
    ``sets``: ``KEY=VALUE`` settings the run trains with (``gcngan train --set``; none: the
    user's run with no flags), recorded as the record's ``variant``."""
    import pandas as pd

    from gcngan.ranking import query_ranks

    rel, what = DATASETS[name]
    df = pd.read_csv(Path(root) / rel)
    past, future, time_col, kind = split_past_future(df)
    work = Path(tmp) / "-".join([name, *(kv.replace("=", "") for kv in sets)])
    work.mkdir(parents=True, exist_ok=True)
    train_flags = [x for kv in sets for x in ("--set", kv)]
    past_path, pairs_path, run = work / "past.csv", work / "pairs.csv", work / "run"
    past.to_csv(past_path, index=False)
    pairs = draw_queries(past, future, time_col, max_queries=max_queries)
    pairs[[time_col, "src", "dst"]].to_csv(pairs_path, index=False)
    rss = work / "rss.txt"
    _, wall, mib, cpu = gcngan_process(["train", past_path, "--out", run, "--quiet",
                                        *train_flags], rss_file=rss, threads=threads,
                                       code=code, cwd=work)
    out, *_ = gcngan_process(["data", "inspect", past_path, "--json"], rss_file=rss,
                             threads=threads, code=code, cwd=work)
    num_snapshots = int(json.loads(out)["num_snapshots"])
    data_cfg = json.loads((run / "config.json").read_text())["data"]
    query, label = pairs["query"].to_numpy(), pairs["label"].to_numpy()
    rec = {"dataset": name, "variant": " ".join(sets), "what": what, "kind": kind,
           "rows": int(len(df)),
           "past_rows": int(len(past)), "future_rows": int(len(future)),
           "queries": int(label.sum()), "negatives": NEGATIVES,
           "past_snapshots": num_snapshots, "granularity": data_cfg.get("granularity"),
           "window": data_cfg.get("window"), "train_wall_seconds": round(wall, 1),
           "train_cpu_seconds": round(cpu, 1), "train_peak_rss_mib": round(mib, 1),
           "predictors": {}}
    for pred in ("model", *(baselines if not sets else ())):
        scores = work / f"scores-{pred}.csv"
        args = (["score", run, "--pairs", pairs_path, "--out", scores] if pred == "model"
                else ["score", "--data", past_path, "--predictor", pred, "--pairs",
                      pairs_path, "--out", scores])
        gcngan_process(args, rss_file=rss, threads=threads, code=code, cwd=work)
        scored = pd.read_csv(scores)
        ranks = query_ranks(scored["score"].to_numpy(), query, label)
        ahead = scored["t"].to_numpy()[label] - num_snapshots                # (Q,)
        rec["predictors"][pred] = horizon_mrr(ranks, ahead)
        if pred == "model":                   # every predictor reads the same rows' t
            rec["horizon_queries"] = {name: int(horizon_mask(ahead, lo, hi).sum())
                                      for name, lo, hi in HORIZONS}
    return rec


def run_report(datasets, root: Path, *, threads: int = 1, max_queries: int = MAX_QUERIES,
               commit: str | None = "HEAD", sets=(), progress=None) -> dict:
    """:func:`run_dataset` for each dataset (``gcngan`` of ``commit``, a ``git archive``;
    ``None``: the working tree; ``sets``: a variant's training settings, whose records
    hold only the model's scores); the JSON report :func:`render` reads."""
    say = progress or (lambda line: None)
    start = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-heldout-") as name:
        tmp = Path(name)
        code, full = measured_code(tmp, commit)
        for ds in datasets:
            rec = run_dataset(ds, root, tmp, code=code, threads=threads,
                              max_queries=max_queries, sets=sets)
            m = rec["predictors"]
            say(f"heldout {ds} {rec['variant'] or 'no flags'}: model {m['model']['all']:.3f} "
                f"({rec['queries']} queries, train {rec['train_wall_seconds']:.0f} s)")
            rows.append({**rec, "commit": full})
    return {"date": time.strftime("%Y-%m-%d", time.gmtime()), "commit": full,
            "wall_seconds": round(time.perf_counter() - start, 1),
            "settings": {"train_share": TRAIN_SHARE, "max_queries": max_queries,
                         "negatives": NEGATIVES, "threads": threads,
                         "baselines": list(BASELINES)},
            "datasets": rows}


def merge(old: dict | None, new: dict) -> dict:
    """``new``'s dataset records over ``old``'s (by name and variant; :data:`DATASETS`
    order, the run with no flags first)."""
    if not old:
        return new

    def key(r):
        return r["dataset"], r.get("variant", "")

    by = {key(r): r for r in old.get("datasets", [])}
    by.update({key(r): r for r in new.get("datasets", [])})
    rank = {d: i for i, d in enumerate(DATASETS)}
    order = sorted(by, key=lambda k: (rank.get(k[0], len(rank)), k[0], k[1] != "", k[1]))
    return {**old, **new, "settings": old.get("settings", new["settings"]),
            "datasets": [by[k] for k in order],
            "wall_seconds": round(old.get("wall_seconds", 0.0)
                                  + new.get("wall_seconds", 0.0), 1)}


def rebase_default(report: dict, sets: str) -> dict:
    """``report`` once the default preset has changed by the settings ``sets`` undone (e.g.
    ``"history_features=false"``): the records with no flags become that variant's (the
    model they trained) and each variant's settings get ``sets`` in front — what each run
    trained, said against today's default. Raises ``ValueError`` if ``sets`` already leads
    a record's settings."""
    if any(r.get("variant", "").startswith(sets) for r in report.get("datasets", [])):
        raise ValueError(f"records of the variant {sets!r} exist already")
    return {**report, "datasets": [
        {**r, "variant": " ".join(x for x in (sets, r.get("variant", "")) if x)}
        for r in report.get("datasets", [])]}


def _versus(a: float, b: float) -> str:
    """``ahead, +0.012`` / ``behind, -0.012`` / ``level`` (within 0.0005)."""
    d = a - b
    return "level" if abs(d) < 0.0005 else f"{'ahead' if d > 0 else 'behind'}, {d:+.3f}"


def _f(v) -> str:
    return "" if v is None else f"{v:.3f}"


def render(report: dict) -> list[str]:
    """The "Held-out future through the command line" section's Markdown lines."""
    s = report["settings"]
    commits = ", ".join(dict.fromkeys(f"`{r['commit'][:10]}`" if r.get("commit")
                                      else "the working tree" for r in report["datasets"]))
    L = ["## Held-out future through the command line", "",
         f"`python scripts/benchmark.py --protocol heldout` ({report['date']}, "
         f"{report['wall_seconds'] / 60:.0f} min; model code of the commit {commits}), "
         f"scripts/bench_heldout.py: what a user measures who trains on the past of a file "
         f"and scores its future, with negatives the model never saw. Each file is cut in "
         f"time after its first {s['train_share']:.0%} of links (a snapshot file at the "
         f"snapshot where they reach it); `gcngan train "
         f"PAST.csv` runs with no flags at all (default preset, automatic snapshot width and "
         f"split, signed weights shifted); up to {s['max_queries']:,} future links (both ends "
         f"seen in the past) are ranked against {s['negatives']} negatives each (half the "
         f"source's past destinations, the rest uniform over the past's nodes) through "
         f"`gcngan score` — the model's run and each `--predictor` on the same pairs file. "
         f"Queries past the data are scored from its last window (the CLI's default). MRR "
         f"over all queries, then by how far past the data's end a query lies (in the "
         f"run's snapshots; *next* includes queries inside its last snapshot). One seed: "
         f"a single run per dataset, as a user makes it.", "",
         "| dataset | queries (next / 1-9 / 10+) | snapshot width | predictor | MRR all | "
         "next | 1-9 later | 10+ later |",
         "|---|---|---|---|---:|---:|---:|---:|"]
    base = [r for r in report["datasets"] if not r.get("variant")]
    variants = {}
    for r in report["datasets"]:
        if r.get("variant"):
            variants.setdefault(r["dataset"], []).append(r)
    if variants:
        L[2] += (" Rows *sparse model with `--set ...`* train the same past with that "
                 "setting and are scored on the same pairs file.")
    verdicts = []
    for r in base:
        preds = r["predictors"]
        single = {k: v for k, v in preds.items() if k not in ("model", "stacked-heuristics")}
        best = max(single, key=lambda k: single[k]["all"])
        hq = r.get("horizon_queries", {})
        counts = " / ".join(str(hq.get(name, 0)) for name, *_ in HORIZONS)
        show = [("**sparse model (default preset)**", preds["model"])]
        show += [(f"sparse model with `--set {v['variant']}`", v["predictors"]["model"])
                 for v in variants.get(r["dataset"], [])]
        show += [("stacked-heuristics", preds["stacked-heuristics"]),
                 (f"{best} (best heuristic)", preds[best])]
        for i, (label, m) in enumerate(show):
            head = (f"| {r['dataset']} | {r['queries']:,} ({counts}) | "
                    f"{r.get('granularity') or 'snapshots'} |" if i == 0 else "|  |  |  |")
            L.append(f"{head} {label} | {_f(m['all'])} | {_f(m['next'])} | "
                     f"{_f(m['1-9 later'])} | {_f(m['10+ later'])} |")
        model, stacked = preds["model"]["all"], preds["stacked-heuristics"]["all"]
        line = (f"- {r['dataset']}: model {model:.3f} against the best single heuristic "
                f"{best} {single[best]['all']:.3f} ({_versus(model, single[best]['all'])}) "
                f"and stacked-heuristics {stacked:.3f} ({_versus(model, stacked)}); "
                f"training took {r['train_wall_seconds']:.0f} s at "
                f"{r['train_peak_rss_mib'] / 1024:.2f} GiB peak RSS.")
        for v in variants.get(r["dataset"], []):
            m = v["predictors"]["model"]["all"]
            line += (f" With `--set {v['variant']}`: {m:.3f} ({_versus(m, model)} against "
                     f"the default; {_versus(m, stacked)} against stacked-heuristics).")
        verdicts.append(line)
    won = sum(r["predictors"]["model"]["all"] >= r["predictors"]["stacked-heuristics"]["all"]
              for r in base)
    L += ["", f"The model (no flags) is at or above stacked-heuristics on {won} of "
              f"{len(base)} files:", "", *verdicts, ""]
    return L


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--root", default=str(DATASETS_ROOT))
    ap.add_argument("--max-queries", dest="max_queries", type=int, default=MAX_QUERIES)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                    help="a variant: train with these settings (gcngan train --set; "
                         "repeatable); its records hold the model's scores only")
    add_output_arguments(ap)
    ap.add_argument("--rebase-default", dest="rebase", default=None, metavar="KEY=VALUE",
                    help="after a change of the default preset: in the benchmark document "
                         "--results, the held-out records with no flags become this "
                         "variant's (the settings that undo the change) and the variants' "
                         "settings start with it (rebase_default); then render with "
                         "benchmark.py --render-only")
    ap.add_argument("--results", default=str(REPO / "docs" / "results.json"),
                    help="the document --rebase-default rewrites (default docs/results.json)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.rebase:
        from gcngan.io import atomic_write_json

        path = Path(args.results)
        doc = json.loads(path.read_text())
        doc["heldout"] = rebase_default(doc["heldout"], args.rebase)
        command = "python scripts/bench_heldout.py " + " ".join(argv or sys.argv[1:])
        doc["command"] = f"{doc.get('command', '')}\n{command}".lstrip("\n")
        atomic_write_json(path, doc)
        return 0
    report = run_report([d.strip() for d in args.datasets.split(",") if d.strip()],
                        Path(args.root), threads=args.threads, max_queries=args.max_queries,
                        commit=None if args.working_tree else "HEAD",
                        sets=tuple(args.sets),
                        progress=lambda line: print(line, file=sys.stderr, flush=True))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    if args.document:
        doc = benchmark_document({"heldout": report}, "python scripts/bench_heldout.py "
                                 + " ".join(argv or sys.argv[1:]), time.perf_counter() - t0)
        Path(args.document).write_text(json.dumps(doc, indent=1))
    print("\n".join(render(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
