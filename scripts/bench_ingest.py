#!/usr/bin/env python
"""Ingestion speed and memory: ``gcngan.data.load_snapshots`` against plain ``pandas.read_csv``.

Each measurement runs in a fresh Python process that reports its own wall time and peak
resident memory (``ru_maxrss``), and the resident memory it had after its imports (so the
interpreter, torch and pandas are not counted as data). Measured:

* a synthetic event stream (``--events``, default 10 million rows over ``--nodes``, default
  100,000 node ids, 365 days; written once to ``--csv``, default in /tmp);
* ``../shared/datasets/bitcoin_alpha/bitcoin_alpha_events.csv`` (30-day snapshots);
* ``gcngan data inspect --json`` of the synthetic stream (summary, split check, no dense view)
  and ``--plot``.

Usage::

    python scripts/bench_ingest.py [--events 10000000] [--nodes 100000] [--repeat 3]
        [--repeat-large 2] [--out FRAGMENT.md]

Prints the Markdown section (and writes it to ``--out``); ``python scripts/benchmark.py
--protocol ingest`` runs :func:`run_ingest` and renders :func:`render` into
``docs/results.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BITCOIN = REPO.parent / "shared" / "datasets" / "bitcoin_alpha" / "bitcoin_alpha_events.csv"


# ----------------------------------------------------------------------------- worker side
def _rss_mib() -> float:
    """Current resident memory of this process (Linux /proc), MiB."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def _worker(task: str, path: str, extra: list[str]) -> dict:
    import resource

    import numpy  # noqa: F401  (imports are not part of the measurement)
    import pandas as pd
    import torch  # noqa: F401

    import gcngan.data  # noqa: F401
    from gcngan.cli import main
    from gcngan.config import DataConfig
    from gcngan.data import load_snapshots

    base = _rss_mib()
    t0 = time.perf_counter()
    out: dict = {}
    if task == "pandas":
        frame = pd.read_csv(path)
        out["rows"] = len(frame)
    elif task == "load":
        kw = dict(a.split("=", 1) for a in extra)
        seq = load_snapshots(path, DataConfig(**kw))
        out.update(rows=seq.num_rows, nodes=seq.num_nodes, snapshots=seq.num_snapshots,
                   edges=seq.num_edges, dense_entries=seq.dense_entries)
    elif task == "inspect":
        import contextlib
        import io

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = main(["data", "inspect", path, *extra])
        if code != 0:
            raise SystemExit(f"inspect failed with status {code}")
        if "--json" in extra:
            s = json.loads(buf.getvalue())
            out.update(rows=s["num_rows"], nodes=s["num_nodes"], snapshots=s["num_snapshots"])
    else:
        raise SystemExit(f"unknown task {task}")
    out["seconds"] = time.perf_counter() - t0
    out["base_mib"] = base
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


# ----------------------------------------------------------------------------- driver side
def make_stream(path: Path, events: int, nodes: int, seed: int = 0) -> None:
    """``timestamp,src,dst,weight`` rows, sorted by time, integer weights 1..9, every node
    id used at least once (when ``events >= nodes / 2``)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    span = 365 * 86400
    block = 1_000_000
    tmp = path.with_suffix(".part")
    starts = np.sort(rng.integers(0, span, events))          # int64, 8 bytes per event
    with open(tmp, "w") as fh:
        fh.write("timestamp,src,dst,weight\n")
        for a in range(0, events, block):
            b = min(a + block, events)
            src = rng.integers(0, nodes, b - a)
            dst = rng.integers(0, nodes, b - a)
            if a == 0:                                        # every node appears
                k = min(nodes // 2, b - a)
                src[:k], dst[:k] = np.arange(k), np.arange(nodes // 2, nodes // 2 + k)
            w = rng.integers(1, 10, b - a)
            np.savetxt(fh, np.column_stack([1_600_000_000 + starts[a:b], src, dst, w]),
                       fmt="%d", delimiter=",")
    tmp.replace(path)


def measure(task: str, path: Path, *extra: str, repeat: int = 1) -> dict:
    """Best (fastest) of ``repeat`` fresh-process runs; peak memory of that run."""
    best = None
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, __file__, "--worker", task, str(path), *extra],
                              capture_output=True, text=True, cwd=REPO)
        if proc.returncode != 0:
            raise SystemExit(f"{task} {path}: {proc.stderr.strip().splitlines()[-1]}")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        if best is None or res["seconds"] < best["seconds"]:
            best = res
    return best


def _row(label: str, what: str, r: dict) -> str:
    rate = r["rows"] / r["seconds"] if r["seconds"] > 0 else float("nan")
    return (f"| {label} | {what} | {r['rows']:,} | {r['seconds']:.2f} | {rate:,.0f} | "
            f"{r['peak_mib']:,.0f} | {r['peak_mib'] - r['base_mib']:,.0f} |")


def run_ingest(*, events: int = 10_000_000, nodes: int = 100_000, csv=None, repeat: int = 1,
               repeat_large: int = 1, progress=None) -> dict:
    """Every measurement (fresh processes) as the JSON report :func:`render` reads."""
    csv = Path(csv or f"/tmp/gcngan_stream_{events}_{nodes}.csv")
    if not csv.exists():
        t0 = time.perf_counter()
        make_stream(csv, events, nodes)
        if progress is not None:
            progress(f"wrote {csv} ({csv.stat().st_size / 2 ** 20:,.0f} MiB) in "
                     f"{time.perf_counter() - t0:.0f} s")
    load_before = os.getloadavg()[0]
    res = {}
    res["pandas"] = measure("pandas", csv)
    res["load"] = measure("load", csv, "granularity=1d", repeat=repeat_large)
    res["inspect"] = measure("inspect", csv, "--granularity", "1d", "--json",
                             repeat=repeat_large)
    res["plot"] = measure("inspect", csv, "--granularity", "1d", "--json", "--plot",
                          "/tmp/gcngan_bench_inspect.png", repeat=repeat_large)
    if BITCOIN.exists():
        res["btc_pandas"] = measure("pandas", BITCOIN, repeat=repeat)
        res["btc_load"] = measure("load", BITCOIN, "granularity=30d", "negative=shift",
                                  repeat=repeat)
        res["btc_inspect"] = measure("inspect", BITCOIN, "--granularity", "30d", "--negative",
                                     "shift", "--json", repeat=repeat)
    return {"events": events, "nodes": nodes, "csv_mib": csv.stat().st_size / 2 ** 20,
            "repeat": repeat, "repeat_large": repeat_large,
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} "
                       f"CPU(s) shared, Python {platform.python_version()}",
            "loadavg_before": load_before, "loadavg_after": os.getloadavg()[0],
            "results": res}


def render(report: dict) -> str:
    """Markdown section of a :func:`run_ingest` report."""
    res = report["results"]
    name = (f"synthetic ({report['events']:,} events, {report['nodes']:,} nodes, "
            f"{report['csv_mib']:,.0f} MiB)")
    rows = [_row(name, "`pandas.read_csv`", res["pandas"]),
            _row(name, "`load_snapshots` (1-day snapshots)", res["load"]),
            _row(name, "`gcngan data inspect --json`", res["inspect"]),
            _row(name, "`gcngan data inspect --json --plot`", res["plot"])]
    if "btc_pandas" in res:
        rows += [_row("bitcoin_alpha", "`pandas.read_csv`", res["btc_pandas"]),
                 _row("bitcoin_alpha", "`load_snapshots` (30-day, shift)", res["btc_load"]),
                 _row("bitcoin_alpha", "`gcngan data inspect --json`", res["btc_inspect"])]
    lo = res["load"]
    return "\n".join([
        "## Ingestion: speed and memory",
        "",
        f"Measured by `scripts/bench_ingest.py` (`--events {report['events']} --nodes "
        f"{report['nodes']} --repeat {report['repeat']} --repeat-large "
        f"{report['repeat_large']}`; {report['machine']}). Each row is one fresh process; "
        f"*peak* is its `ru_maxrss`, *data* the peak minus the resident memory after imports "
        f"(interpreter, torch, pandas); seconds are the fastest of the runs (load average "
        f"{report['loadavg_before']:.1f} before, {report['loadavg_after']:.1f} after: timings "
        f"on a busy machine are upper bounds).",
        "",
        "| data | what | rows | seconds | rows/s | peak MiB | data MiB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        f"The synthetic stream gives {lo['snapshots']} snapshots x {lo['nodes']:,} nodes: "
        f"{lo['edges']:,} stored links, where a dense tensor would hold "
        f"{lo['dense_entries']:,} entries ({lo['dense_entries'] * 4 / 2 ** 40:,.1f} TiB of "
        f"float32). Snapshots are kept as one sorted COO table (int32 node indices, float32 "
        f"weights, per-snapshot offsets), the CSV is parsed in chunks of 524,288 rows into "
        f"numeric columns.",
        "",
    ])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--csv", default=None, help="synthetic stream (default /tmp/...csv)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per bitcoin_alpha measurement")
    ap.add_argument("--repeat-large", type=int, default=1,
                    help="runs per measurement of the synthetic stream (the fastest is kept)")
    ap.add_argument("--out", default=None,
                    help="also write the Markdown section here (docs/results.md gets it "
                         "through python scripts/benchmark.py --protocol ingest)")
    args = ap.parse_args(argv)
    report = run_ingest(events=args.events, nodes=args.nodes, csv=args.csv,
                        repeat=args.repeat, repeat_large=args.repeat_large,
                        progress=lambda line: print(line, file=sys.stderr))
    text = render(report)
    if args.out:
        Path(args.out).write_text(text)
    print(text)
    print(json.dumps(report), file=sys.stderr)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(_worker(sys.argv[2], sys.argv[3], sys.argv[4:])))
    else:
        sys.exit(main())
