#!/usr/bin/env python
"""Ranking benchmark (issue 14 item 6, issue 15 item 6): every pair predictor of
:mod:`gcngan.structural` on six real datasets under the one-vs-many protocol of
:mod:`gcngan.ranking`.

Protocol: test = the last 10 target snapshots (5 for Enron; for email_eu_core_temporal the
last 10 before its empty stretch from week 75), window 10, q = 100 negatives
per query (half historical where the source's history allows), at most 1000 queries per
target, seed 0. Every pair predictor of :data:`gcngan.structural.ALL_PREDICTORS` is ranked,
``stacked-heuristics`` after fitting on the training targets (those before the test
targets) only. The benchmark harness runs this as ``python scripts/benchmark.py --protocol
ranking`` (:func:`run_report`, :func:`render`) and renders the section into
``docs/results.md``; standalone, it writes a Markdown fragment (``--out``) and the full
results as JSON beside it (``.json``), both rendered before either is written. Negatives
files are written only with ``--negatives-dir`` (they are large); their sha256 is always
recorded.

    python scripts/bench_ranking.py --out /tmp/ranking.md [--datasets enron184,...]
"""
from __future__ import annotations

import argparse
import hashlib
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASETS_ROOT = REPO.parent / "shared" / "datasets"

#: name -> (relative path, DataConfig fields, test targets, how the snapshots are made)
DATASETS = {
    "twitter_tennis_rg17": ("twitter_tennis_rg17/twitter_tennis_rg17.csv",
                            {"nodes": 1000, "snapshots": 120}, 10, "120 hourly snapshots"),
    "bitcoin_alpha": ("bitcoin_alpha/bitcoin_alpha_events.csv",
                      {"granularity": "30d", "negative": "shift"}, 10,
                      "events, 30-day snapshots, ratings shifted to > 0"),
    "collegemsg": ("collegemsg/collegemsg_events.csv", {"granularity": "1d"}, 10,
                   "events, daily snapshots (message counts)"),
    "enron184": ("enron184/enron184.csv", {"nodes": 184, "snapshots": 26}, 5,
                 "26 snapshots, binary"),
    "wikipedia": ("wikipedia/wikipedia_events.csv", {"granularity": "12h"}, 10,
                  "events, 12-hour snapshots (edit counts), user -> page"),
    "email_eu_core_temporal": ("email_eu_core_temporal/email_eu_core_temporal_events.csv",
                               {"granularity": "7d"}, 10,
                               "events, weekly snapshots (e-mail counts); only weeks 0..74: "
                               "the source is almost empty from week 75 on"),
}
#: datasets whose targets end before the last snapshot: name -> first snapshot not used
#: (issue 15: email_eu_core_temporal's empty stretch after week 75)
END = {"email_eu_core_temporal": 75}
COLUMNS = [("MRR", ("all", "mrr")), ("MRR new", ("new", "mrr")),
           ("MRR repeated", ("repeated", "mrr")), ("Hits@10", ("all", "hits@10")),
           ("AUC", ("auc",))]


def data_flags(fields: dict) -> list[str]:
    """DataConfig fields -> the same ingestion flags of the command line."""
    out = []
    for k, v in fields.items():
        out += [f"--{k.replace('_', '-')}", str(v)]
    return out


def rank_trained_model(path: Path, fields: dict, cands, node_ids, *, window: int, test: int,
                       epochs: int, seed: int) -> dict:
    """Train the dense preset (``--preset dense``, the default before issue 15) through the
    command line (val = 3 targets before the test targets) and rank it on the same
    candidates (``evaluate --protocol ranking --negatives``); returns the model's result."""
    import contextlib
    import io
    import json
    import tempfile

    from gcngan.cli import main as gcngan
    from gcngan.ranking import write_negatives

    with tempfile.TemporaryDirectory() as tmp:
        run, neg = Path(tmp) / "run", Path(tmp) / "negatives.csv"
        write_negatives(neg, cands, node_ids)
        flags = [*data_flags(fields), "--window", str(window), "--val", "3",
                 "--test", str(test)]
        rc = gcngan(["train", str(path), "--out", str(run), "--preset", "dense", "--epochs",
                     str(epochs), "--seed", str(seed), "--quiet", *flags])
        if rc != 0:
            raise RuntimeError(f"training on {path} failed (exit {rc})")
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = gcngan(["evaluate", str(run), "--data", str(path), *data_flags(fields),
                         "--protocol", "ranking", "--negatives", str(neg),
                         "--baselines", "none", "--json"])
        if rc != 0:
            raise RuntimeError(f"ranking the model on {path} failed (exit {rc})")
        metrics = json.loads((run / "metrics.json").read_text())
        result = json.loads(buf.getvalue())["predictors"]["model"]
        result["training"] = {k: metrics.get(k) for k in ("epochs", "best_epoch",
                                                           "stopped_early")}
        return result


def run_dataset(name: str, root: Path, *, window: int, q: int, max_queries: int, seed: int,
                negatives_dir: Path | None, model_epochs: int = 0) -> dict:
    from gcngan.config import DataConfig
    from gcngan.data import chronological_split, load_snapshots
    from gcngan.ranking import (best_predictors, evaluate_ranking, generate_negatives,
                                negatives_csv, write_negatives)
    from gcngan.structural import ALL_PREDICTORS, PairIndex, fit_predictors

    rel, fields, test, how = DATASETS[name]
    t0 = time.perf_counter()
    cfg = DataConfig(window=window, val=0, test=test, **fields)
    seq = load_snapshots(root / rel, cfg)
    t_load = time.perf_counter() - t0
    end = min(END.get(name, seq.num_snapshots), seq.num_snapshots)
    split = chronological_split(end, window, 0, test)       # targets window .. end-1
    targets, train_targets = list(split.test), list(split.train)
    index = PairIndex(seq)
    t0 = time.perf_counter()
    cands = generate_negatives(index, targets, q=q, max_queries=max_queries, seed=seed)
    if negatives_dir is not None:
        write_negatives(negatives_dir / f"{name}-negatives.csv", cands, seq.node_ids)
    else:
        cands.sha256 = hashlib.sha256(negatives_csv(cands, seq.node_ids)).hexdigest()
    t_neg = time.perf_counter() - t0
    times = {}
    results: dict = {}
    fitted: dict = {}
    for pname, make in ALL_PREDICTORS.items():
        t0 = time.perf_counter()
        predictor = make()
        fit_predictors({pname: predictor}, index, train_targets, window)   # learned ones only
        res = evaluate_ranking({pname: predictor}, index, cands, window)
        times[pname] = round(time.perf_counter() - t0, 2)
        results[pname] = res["predictors"][pname]
        if predictor.needs_fit:
            fitted[pname] = predictor.fit_summary()
    summary = {k: res[k] for k in ("queries", "new", "repeated", "candidates", "weighted")}
    if model_epochs > 0:
        t0 = time.perf_counter()
        if end != seq.num_snapshots:
            raise ValueError(f"{name}: the model's split cannot stop before the last snapshot")
        res_model = rank_trained_model(root / rel, fields, cands, seq.node_ids,
                                       window=window, test=test, epochs=model_epochs,
                                       seed=seed)
        tr = res_model["training"]
        label = (f"dense model ({tr['epochs']} of max {model_epochs} epochs, best "
                 f"epoch {tr['best_epoch']})")
        results[label] = res_model
        times[label] = round(time.perf_counter() - t0, 2)
    return {"dataset": name, "snapshots_made": how, "num_nodes": seq.num_nodes,
            "num_snapshots": seq.num_snapshots, "targets": targets, "window": window,
            "q": q, "max_queries": max_queries, "seed": seed, "sha256": cands.sha256,
            **summary, "predictors": results, "best": best_predictors(results),
            "fitted": fitted,
            "seconds": {"load": round(t_load, 2), "negatives": round(t_neg, 2),
                        "predictors": times}}


def run_report(names, root: Path, *, window: int = 10, q: int = 100, max_queries: int = 1000,
               seed: int = 0, negatives_dir: Path | None = None, model_epochs: int = 0,
               model_datasets=("enron184",), progress=None) -> dict:
    """Rank every predictor on the datasets ``names``; the JSON report :func:`render` reads.

    Raises:
        ConfigError: an unknown dataset name.
    """
    from gcngan.errors import ConfigError

    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        raise ConfigError(f"unknown dataset(s) {', '.join(unknown)}; valid: "
                          f"{', '.join(DATASETS)}")
    start = time.perf_counter()
    datasets = []
    for name in names:
        t0 = time.perf_counter()
        d = run_dataset(name, Path(root), window=window, q=q, max_queries=max_queries,
                        seed=seed, negatives_dir=negatives_dir,
                        model_epochs=model_epochs if name in model_datasets else 0)
        d["seconds"]["total"] = round(time.perf_counter() - t0, 2)
        if progress is not None:
            progress(f"ranking {name}: {d['queries']} queries, best MRR {d['best'].get('mrr')} "
                     f"({d['seconds']['total']:.1f} s)")
        datasets.append(d)
    return {"date": time.strftime("%Y-%m-%d", time.gmtime()),
            "wall_seconds": round(time.perf_counter() - start, 1),
            "machine": f"{platform.machine()} CPU, {platform.python_implementation()} "
                       f"{platform.python_version()}",
            "window": window, "q": q, "max_queries": max_queries, "seed": seed,
            "datasets": datasets}


def _mrr(r: dict) -> float:
    v = r["all"]["mrr"]
    return float("nan") if v is None else float(v)


def verdict(d: dict) -> str:
    """One line computed from a dataset's MRRs: the best predictor, the best single
    heuristic, ``stacked-heuristics`` against it, and any trained model."""
    from gcngan.structural import ALL_PREDICTORS, PAIR_PREDICTORS

    mrr = {p: _mrr(r) for p, r in d["predictors"].items() if _mrr(r) == _mrr(r)}
    if not mrr:
        return "**Verdict:** no finite MRR."
    top = max(mrr.values())
    best = [p for p, v in mrr.items() if v == top]
    parts = [f"best MRR {' = '.join(best)} ({top:.3f})"]
    heur = {p: v for p, v in mrr.items() if p in PAIR_PREDICTORS}
    if heur:
        h = max(heur, key=heur.get)
        parts.append(f"best single heuristic {h} ({heur[h]:.3f})")
        if "stacked-heuristics" in mrr:
            s = mrr["stacked-heuristics"]
            how = "beats" if s > heur[h] else "matches" if s == heur[h] else "falls below"
            rel = f" ({(s / heur[h] - 1) * 100:+.1f}%)" if heur[h] > 0 else ""
            parts.append(f"stacked-heuristics {s:.3f} {how} it{rel}")
        for p, v in mrr.items():
            if p not in ALL_PREDICTORS:
                how = ("beats" if v > heur[h] else "matches" if v == heur[h]
                       else "falls below")
                parts.append(f"{p} {v:.3f} {how} the best single heuristic")
    return "**Verdict:** " + "; ".join(parts) + "."


def render(report: dict, *, command: str = "python scripts/bench_ranking.py") -> str:
    """Markdown section: one table per dataset (best of each column in bold) and a
    verdict line per dataset computed from the MRRs."""
    from gcngan.structural import ALL_PREDICTORS, StackedHeuristics

    lines = ["## Ranking (one-vs-many, fixed negatives)", "",
             f"Measured by `{command}` ({report['date']}, "
             f"{report['wall_seconds']:.0f} s on {report['machine']}). Queries are the true "
             f"links u -> v (u != v) of each test target, at most {report['max_queries']} per "
             f"target (seed {report['seed']}), each against {report['q']} negatives v' "
             f"(A_t[u, v'] = 0; up to half historical, the rest uniform). Rank = 1 + "
             f"#(neg > pos) + 0.5 #(neg = pos); *new* = u -> v never linked before t. Window "
             f"{report['window']}; heuristics on the window's undirected binary union. "
             f"`stacked-heuristics` is a logistic regression on "
             f"{len(StackedHeuristics.FEATURES)} heuristics' scores, "
             f"fitted on training targets only (those before the test targets). "
             f"Best of each column in bold.", ""]
    with_model = [d["dataset"] for d in report["datasets"]
                  if any(p not in ALL_PREDICTORS for p in d["predictors"])]
    if with_model:
        lines += [f"Trained models were ranked on {', '.join(with_model)} only "
                  f"(`scripts/bench_ranking.py --model-epochs`; their rows are kept while the "
                  f"negatives' sha256 is unchanged; the dense presets' training takes minutes "
                  f"per dataset and needs the dense view of the data).", ""]
    for d in report["datasets"]:
        lines.append(f"### {d['dataset']}: N = {d['num_nodes']}, T = {d['num_snapshots']} "
                     f"({d['snapshots_made']}); targets {d['targets'][0]}..{d['targets'][-1]}")
        lines.append("")
        lines.append(f"{d['queries']} queries ({d['new']} new, {d['repeated']} repeated), "
                     f"{d['candidates']} candidates; negatives sha256 `{d['sha256'][:16]}…`")
        fit = (d.get("fitted") or {}).get("stacked-heuristics")
        if fit:
            lines[-1] += (f"; stacked-heuristics fitted on targets {fit['targets'][0]}.."
                          f"{fit['targets'][1]} ({fit['queries']} queries, {fit['rows']} rows)")
        lines.append("")
        lines.append("| predictor | " + " | ".join(c for c, _ in COLUMNS) + " |")
        lines.append("|---|" + "---:|" * len(COLUMNS))
        vals = {}
        order = [p for p in ALL_PREDICTORS if p in d["predictors"]]
        order += sorted(p for p in d["predictors"] if p not in order)
        for p in order:                                  # the same order from the JSON
            r = d["predictors"][p]
            row = []
            for _, path in COLUMNS:
                v = r
                for k in path:
                    v = v[k]
                row.append(float("nan") if v is None else v)
            vals[p] = row
        best = [max((v[i] for v in vals.values() if v[i] == v[i]), default=None)
                for i in range(len(COLUMNS))]
        for p, row in vals.items():
            cells = []
            for i, v in enumerate(row):
                txt = "-" if v != v else f"{v:.3f}"
                if best[i] is not None and v == best[i]:
                    txt = f"**{txt}**"
                cells.append(txt)
            lines.append(f"| {p} | " + " | ".join(cells) + " |")
        lines += ["", verdict(d), ""]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="Markdown fragment; JSON beside it (.json)")
    ap.add_argument("--datasets", default=",".join(DATASETS),
                    help=f"comma-separated subset of {', '.join(DATASETS)}")
    ap.add_argument("--root", default=str(DATASETS_ROOT), help="the shared datasets folder")
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--q", type=int, default=100)
    ap.add_argument("--max-queries", dest="max_queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--negatives-dir", dest="negatives_dir", default=None,
                    help="also write each dataset's negatives CSV (+ .sha256) here")
    ap.add_argument("--model-epochs", dest="model_epochs", type=int, default=0,
                    help="also train the dense preset for this many epochs and rank it "
                         "(default 0: baselines only)")
    ap.add_argument("--model-datasets", dest="model_datasets", default="enron184",
                    help="datasets the model is trained on when --model-epochs > 0 "
                         "(default enron184: the dense model fits its N)")
    args = ap.parse_args(argv)
    from gcngan.io import atomic_write_json, atomic_write_text

    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        print(f"bench_ranking: error: unknown dataset(s) {', '.join(unknown)}; valid: "
              f"{', '.join(DATASETS)}", file=sys.stderr)
        return 2
    neg_dir = None if args.negatives_dir is None else Path(args.negatives_dir)
    model_sets = {n.strip() for n in args.model_datasets.split(",") if n.strip()}
    report = run_report(names, Path(args.root), window=args.window, q=args.q,
                        max_queries=args.max_queries, seed=args.seed, negatives_dir=neg_dir,
                        model_epochs=args.model_epochs, model_datasets=model_sets,
                        progress=lambda line: print(line, file=sys.stderr))
    text = render(report)                                    # render before writing either
    out = Path(args.out)
    atomic_write_json(out.with_suffix(".json"), report)
    atomic_write_text(out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
