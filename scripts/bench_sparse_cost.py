#!/usr/bin/env python
"""Cost of the sparse GCN-GAN (issue 15 item 6, "Memory and speed" targets): seconds per
epoch and peak RSS of ``--preset sparse``

1. on the synthetic social generator (``gcngan data synth --kind social``, a fixed number
   of links per node per snapshot) at growing ``N``, with a fixed number of training
   targets per epoch, and how the time per epoch grows per doubling of the links ``E``:
   one series per ``train.subgraph_nodes`` setting (the preset's: the GCN on sampled
   subgraphs where N is larger; ``0``: whole windows) and per ``--negative-pools`` value
   (the preset with ``train.negative_pool = K``: a bounded number of distinct endpoints
   per step);
2. on Twitter mentions (``twitter_tennis_rg17``, the Ranking section's snapshots) against
   the dense preset (the default before issue 15), both on the same split (window 10, 3
   validation and 10 test targets, so the same 97 training targets/windows per epoch): the
   dense preset at its 100/200/400 most active nodes (``--top-k``) and, with
   ``--twitter-dense-all LIMIT``, at all 1,000 nodes (~20 GiB: only on a machine that has
   it free), the sparse preset at the same sizes and at all 1,000 nodes.

3. with ``--device cuda`` (a machine with a GPU: ``scripts/gpu_check.sh`` runs it there with
   the CUDA tests), the synthetic series on the GPU instead, at ``N = 100,000`` and beyond:
   wall-clock seconds per epoch (the trainer waits for the GPU at every batch), peak CUDA
   memory and peak RSS, kept apart from the CPU rows (key ``gpu``) and rendered as their
   own table.

Either part can be run alone (``--sizes ''`` skips the synthetic part, ``--twitter-topk ''``
the Twitter part); :func:`merge_cost` merges a partial report into an earlier one row by
row (each row names the commit it measured), ``--document OUT.json`` writes a benchmark
document for ``benchmark.py --render-only --combine docs/results.json,OUT.json``.

Every measurement is one fresh process (``gcngan train``; seconds per epoch from its
``log.csv``, peak RSS its ``ru_maxrss``) with ``OMP_NUM_THREADS=1``; ``gcngan`` is
imported from ``code`` (a ``git archive`` of the commit measured) when given.

    python scripts/bench_sparse_cost.py [--sizes 1000,10000,100000] [--subgraph-nodes preset,0]
        [--negative-pools 1000]
        [--twitter-topk 100,200] [--twitter-dense-all 23G] [--device cuda]
        [--json REPORT.json | --document DOC.json]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from bench_ranking import DATASETS, DATASETS_ROOT  # noqa: E402
from bench_sparse import (CLOCK, _clock_text, add_output_arguments, gcngan_process,  # noqa: E402
                          measured_code)

TWITTER = "twitter_tennis_rg17"
#: the dense model's preset (issue 15 made the sparse model the default)
DENSE_PRESET = "dense"


def _log(run: Path) -> dict:
    import pandas as pd

    log = pd.read_csv(run / "log.csv")
    out = {"train_seconds_per_epoch": [round(float(x), 2) for x in log["train_seconds"]],
           "val_seconds_per_epoch": [round(float(x), 2) for x in log["val_seconds"]]}
    if "peak_cuda_mb" in log and log["peak_cuda_mb"].notna().any():
        out["peak_cuda_mib"] = round(float(log["peak_cuda_mb"].max()), 1)
    if "windows_per_s" in log:
        out["windows_per_s"] = [round(float(x), 3) for x in log["windows_per_s"]]
    return out


def synthetic_row(n: int, tmp: Path, *, links_per_node: int, window: int, train_targets: int,
                  epochs: int, threads: int, code: Path | None, sets=(),
                  device: str = "cpu") -> dict:
    """Generate the social network at ``N = n`` (``window + train_targets + 2`` daily
    snapshots: 1 validation and 1 test target), train the sparse preset ``epochs`` epochs
    on it (on ``device``: ``cuda`` trains with ``--device cuda`` and times on the wall
    clock, since CPU time does not see the GPU's work) and return the cost record (links per
    snapshot from ``data inspect``)."""
    snapshots = window + train_targets + 2
    data = tmp / f"social-{n}.csv"
    rss = tmp / "rss.txt"
    _, synth_s, synth_mib, _ = gcngan_process(
        ["data", "synth", "--kind", "social", "--nodes", str(n), "--snapshots", str(snapshots),
         "--links-per-node", str(links_per_node), "--seed", "0", "--out", data],
        rss_file=rss, threads=threads, code=code, cwd=tmp)
    out, _, _, _ = gcngan_process(["data", "inspect", data, "--granularity", "1d", "--json"],
                               rss_file=rss, threads=threads, code=code, cwd=tmp)
    info = json.loads(out)
    run = tmp / "-".join([f"social-{n}-run", *(kv.replace("=", "") for kv in sets)])
    args = ["train", data, "--granularity", "1d", "--preset", "sparse", "--window", str(window),
            "--val", "1", "--test", "1", "--epochs", str(epochs), "--seed", "0", "--quiet",
            "--out", run, "--set", f"patience={epochs}"]
    for kv in sets:
        args += ["--set", kv]
    on_gpu = device != "cpu"
    if on_gpu:
        args += ["--device", device]
    _, wall, mib, cpu = gcngan_process(args, rss_file=rss, threads=threads, code=code,
                                       cwd=tmp, clock="wall" if on_gpu else CLOCK)
    train_cfg = json.loads((run / "config.json").read_text())["train"]
    rec = {"num_nodes": info["num_nodes"], "num_snapshots": info["num_snapshots"],
           "subgraph_nodes": int(train_cfg.get("subgraph_nodes", 0)),
           "negative_pool": int(train_cfg.get("negative_pool", 0)),
           "queries_by": train_cfg.get("queries_by", "links"),
           "max_links": int(train_cfg["max_links"]), "negatives": int(train_cfg["negatives"]),
           "links": info["num_nonzero"],
           "links_per_snapshot": round(info["num_nonzero"] / info["num_snapshots"], 1),
           "window": window, "train_targets": train_targets, "epochs": epochs,
           **_log(run), "peak_rss_mib_train": round(mib, 1),
           "train_wall_seconds": round(wall, 1), "train_cpu_seconds": round(cpu, 1),
           "synth_seconds": round(synth_s, 1),
           "synth_peak_rss_mib": round(synth_mib, 1),
           **({"device": device, "clock": "wall"} if on_gpu else {})}
    data.unlink()
    return rec


def twitter_row(kind: str, top_k: int | None, tmp: Path, root: Path, *, epochs: int,
                threads: int, code: Path | None, memory_limit: str | None = None) -> dict:
    """Train ``--preset dense`` (``kind='dense'``) or ``sparse`` on Twitter mentions
    (``top_k`` most active nodes, or all) for ``epochs`` epochs; the cost record."""
    rel, fields, test, _ = DATASETS[TWITTER]
    flags = ["--snapshots", str(fields["snapshots"])]
    flags += ["--top-k", str(top_k)] if top_k else ["--nodes", str(fields["nodes"])]
    run = tmp / f"twitter-{kind}-{top_k or 'all'}"
    args = ["train", root / rel, *flags, "--window", "10", "--val", "3", "--test", str(test),
            "--preset", DENSE_PRESET if kind == "dense" else "sparse", "--epochs", str(epochs),
            "--seed", "0", "--quiet", "--out", run, "--set", f"patience={epochs}"]
    env_limit = {"GCNGAN_MEMORY_LIMIT": memory_limit} if memory_limit else None
    rec = {"kind": kind, "preset": DENSE_PRESET if kind == "dense" else "sparse",
           "num_nodes": top_k or fields["nodes"], "epochs": epochs,
           "train_windows": fields["snapshots"] - 10 - 3 - test}
    try:
        _, wall, mib, cpu = gcngan_process(args, rss_file=tmp / "rss.txt", threads=threads,
                                           code=code, cwd=tmp, env=env_limit)
    except RuntimeError as exc:                 # e.g. refused by the memory check: recorded
        return {**rec, "error": str(exc)}
    return {**rec, **_log(run), "peak_rss_mib_train": round(mib, 1),
            "train_wall_seconds": round(wall, 1), "train_cpu_seconds": round(cpu, 1)}


def setting(r: dict) -> int:
    """The ``train.subgraph_nodes`` a synthetic row was trained with (rows measured before
    sampled subgraphs existed: 0, whole windows)."""
    return int(r.get("subgraph_nodes", 0))


def series(r: dict) -> tuple[int, int, str]:
    """The series of a synthetic row: ``(train.subgraph_nodes, train.negative_pool,
    train.queries_by)`` it was trained with (rows measured before a setting was recorded:
    its default then, 0 / 0 / ``links``)."""
    return setting(r), int(r.get("negative_pool", 0)), r.get("queries_by", "links")


def preset_series() -> tuple[int, int, str]:
    """The series the sparse preset trains (:func:`series` of its settings)."""
    from gcngan.config import PRESETS

    return series(PRESETS["sparse"]["train"])


def _series_order(key: tuple[int, int, str]) -> tuple:
    """The preset's series first, then sampled series (fewer pooled nodes first), whole
    windows last."""
    return key != preset_series(), -key[0], key[1], key[2]


def series_label(subgraph_nodes: int, negative_pool: int = 0, queries_by: str = "links") -> str:
    """How a series trains, in words."""
    how = (f"sampled subgraphs (`subgraph_nodes={subgraph_nodes}`)"
           if subgraph_nodes else "whole windows (`subgraph_nodes=0`)")
    if queries_by != "links":
        how += (", each target's queries the links of whole sources "
                f"(`queries_by={queries_by}`)")
    if negative_pool:
        how += (f", with each target's uniform negatives from one shared pool of "
                f"{negative_pool:,} nodes (`negative_pool={negative_pool}`)")
    if (subgraph_nodes, negative_pool, queries_by) == preset_series():
        how += ": the preset"
    return how


def growth(rows: list, key: str = "links_per_snapshot") -> list:
    """Per consecutive pair of synthetic rows of the same series (:func:`series`): how the
    training time of an epoch grows per doubling of ``E`` (``(t2/t1) ** (1 / log2(E2/E1))``),
    and the same per link (``t/E``). The epoch time is :func:`_epoch`'s (later epochs reuse
    the cached candidates; with one epoch it is the first).

    Examples:
        >>> growth([{"links_per_snapshot": 10, "train_seconds_per_epoch": [1.0]},
        ...         {"links_per_snapshot": 40, "train_seconds_per_epoch": [4.0]}])
        [{'from': 10, 'to': 40, 'time_ratio': 4.0, 'per_doubling': 2.0, 'per_link_per_doubling': 1.0, 'subgraph_nodes': 0}]
    """
    out = []
    for s in sorted({series(r) for r in rows}, key=_series_order):
        part = sorted((r for r in rows if series(r) == s), key=lambda r: r[key])
        out += [{**g, "subgraph_nodes": s[0], **({"negative_pool": s[1]} if s[1] else {}),
                 **({"queries_by": s[2]} if s[2] != "links" else {})}
                for g in _growth(part, key)]
    return out


def _growth(rows: list, key: str) -> list:
    out = []
    for a, b in zip(rows, rows[1:]):
        ta, tb = _epoch(a), _epoch(b)
        doublings = math.log2(b[key] / a[key])
        per = (tb / ta) ** (1 / doublings) if ta > 0 and doublings > 0 else None
        out.append({"from": a[key], "to": b[key], "time_ratio": round(tb / ta, 3),
                    "per_doubling": None if per is None else round(per, 3),
                    "per_link_per_doubling": None if per is None else round(per / 2, 3)})
    return out


def run_cost(*, sizes=(1000, 10000, 100000), links_per_node: int = 10, window: int = 10,
             train_targets: int = 4, epochs: int = 2, largest_epochs: int = 2,
             subgraph_nodes=(None,), negative_pools=(), source_query_pools=(),
             twitter_topk=(100, 200, 400), twitter_epochs: int = 1, threads: int = 1,
             root: Path = DATASETS_ROOT, commit: str | None = "HEAD",
             dense_memory_limit: str | None = "8G", twitter_dense_all: str | None = None,
             device: str = "cpu", progress=None) -> dict:
    """Both measurements; the JSON report :func:`render` reads (``sizes`` empty: no
    synthetic part; ``twitter_topk`` empty: no Twitter comparison). The largest synthetic
    size trains ``largest_epochs``. ``twitter_dense_all`` (a ``GCNGAN_MEMORY_LIMIT`` such as
    ``23G``) also trains the dense preset at all of Twitter's nodes. ``subgraph_nodes``:
    the synthetic series, each a ``train.subgraph_nodes`` (``None``: the preset's; ``0``:
    whole windows); ``negative_pools``: more series, the preset with each
    ``train.negative_pool``. Every row records the commit it measured (``None``: the working
    tree). ``device="cuda"``: the synthetic series trains on the GPU, its rows (naming the
    GPU) go to the report's ``gpu`` list, not ``synthetic``; the Twitter part stays on the
    CPU.

    Raises:
        NoDevice: ``device`` is not ``cpu`` and PyTorch sees no such CUDA device.
    """
    gpu_name = gpu_device_name(device)
    start = time.perf_counter()
    say = progress or (lambda line: None)
    with tempfile.TemporaryDirectory(prefix="bench-sparse-cost-") as name:
        tmp = Path(name)
        code, full = measured_code(tmp, commit)
        synthetic = []
        plans = ([() if sub is None else (f"subgraph_nodes={sub}",) for sub in subgraph_nodes]
                 + [(f"negative_pool={k}",) for k in negative_pools]
                 + [("queries_by=sources", f"negative_pool={k}") for k in source_query_pools])
        for sets in plans:
            for n in sizes:
                ep = largest_epochs if n == max(sizes) else epochs
                r = synthetic_row(n, tmp, links_per_node=links_per_node, window=window,
                                  train_targets=train_targets, epochs=ep, threads=threads,
                                  code=code, sets=sets, device=device)
                if gpu_name:
                    r["gpu"] = gpu_name
                say(f"sparse cost {device} N={n} subgraph_nodes={r['subgraph_nodes']} "
                    f"negative_pool={r['negative_pool']} queries_by={r['queries_by']}: "
                    f"E={r['links_per_snapshot']:.0f}/snapshot, {r['train_seconds_per_epoch']} "
                    f"s/epoch, peak {r['peak_rss_mib_train']:.0f} MiB")
                synthetic.append({**r, "commit": full})
        twitter = []
        plan = [(kind, k, dense_memory_limit if kind == "dense" else None, twitter_epochs)
                for k in twitter_topk for kind in ("dense", "sparse")]
        if twitter_dense_all:
            plan.append(("dense", None, twitter_dense_all, twitter_epochs))
        if twitter_topk or twitter_dense_all:
            plan.append(("sparse", None, None, max(twitter_epochs, 2)))
        for kind, k, limit, ep in plan:
            r = twitter_row(kind, k, tmp, Path(root), epochs=ep, threads=threads, code=code,
                            memory_limit=limit)
            say(f"twitter {kind} N={k or 'all'}: " + (r.get("error") or
                f"{r['train_seconds_per_epoch']} s/epoch, peak "
                f"{r['peak_rss_mib_train']:.0f} MiB"))
            twitter.append({**r, "commit": full,
                            **({"memory_limit": limit} if kind == "dense" else {})})
    return {"date": time.strftime("%Y-%m-%d", time.gmtime()), "commit": full,
            "wall_seconds": round(time.perf_counter() - start, 1),
            "settings": {"sizes": list(sizes), "links_per_node": links_per_node,
                         "window": window, "train_targets": train_targets, "epochs": epochs,
                         "largest_epochs": largest_epochs, "threads": threads,
                         "subgraph_nodes": ["preset" if x is None else x
                                            for x in subgraph_nodes],
                         "negative_pools": list(negative_pools),
                         "source_query_pools": list(source_query_pools),
                         "twitter_topk": list(twitter_topk), "twitter_epochs": twitter_epochs,
                         "dense_memory_limit": dense_memory_limit,
                         "twitter_dense_all": twitter_dense_all,
                         "clock": "wall" if gpu_name else CLOCK, "device": device},
            "synthetic": [] if gpu_name else synthetic,
            "growth": [] if gpu_name else growth(synthetic), "twitter": twitter,
            **({"gpu": synthetic, "gpu_growth": growth(synthetic)} if gpu_name else {})}


class NoDevice(RuntimeError):
    """The ``--device`` asked for is not there (its message is the one line to print)."""


def gpu_device_name(device: str) -> str | None:
    """The GPU's name for ``device`` (``None`` for ``cpu``).

    Raises:
        NoDevice: a device other than ``cpu`` is asked for and PyTorch sees no such CUDA
            device.
    """
    if device == "cpu":
        return None
    import torch

    if not device.startswith("cuda") or not torch.cuda.is_available():
        why = (f"no CUDA device is visible to PyTorch (torch {torch.__version__})"
               if device.startswith("cuda") else "expected cpu or cuda")
        raise NoDevice(f"bench_sparse_cost.py: --device {device}: {why}")
    return torch.cuda.get_device_name(torch.device(device))


def merge_cost(old: dict | None, new: dict) -> dict:
    """``new``'s rows over ``old``'s: synthetic rows by (:func:`series`, ``num_nodes``;
    the preset's sampled series first), Twitter rows by
    (``kind``, ``num_nodes``); rows without a ``commit`` get their report's. The growth is
    recomputed from the merged synthetic rows; ``settings`` are those of the report that
    measured the synthetic rows kept (the Twitter settings of the newer one).

    Examples:
        >>> a = {"commit": "a", "date": "d1", "wall_seconds": 1.0, "settings": {"x": 1},
        ...      "synthetic": [{"num_nodes": 1, "links_per_snapshot": 1,
        ...                     "train_seconds_per_epoch": [1.0]}],
        ...      "twitter": [{"kind": "dense", "num_nodes": 9}]}
        >>> b = {"commit": "b", "date": "d2", "wall_seconds": 2.0, "settings": {"x": 2},
        ...      "synthetic": [], "twitter": [{"kind": "dense", "num_nodes": 9, "new": 1}]}
        >>> m = merge_cost(a, b)
        >>> m["synthetic"][0]["commit"], m["twitter"], m["settings"], m["wall_seconds"]
        ('a', [{'kind': 'dense', 'num_nodes': 9, 'new': 1, 'commit': 'b'}], {'x': 1}, 3.0)
    """
    if not old:
        return new

    def rows(report, key, by):
        out = {}
        for r in report.get(key) or []:
            out[by(r)] = {**r, "commit": r.get("commit", report.get("commit"))}
        return out

    syn = rows(old, "synthetic", lambda r: (series(r), r["num_nodes"]))
    syn_new = rows(new, "synthetic", lambda r: (series(r), r["num_nodes"]))
    syn.update(syn_new)
    gpu = rows(old, "gpu", lambda r: (series(r), r["num_nodes"]))
    gpu.update(rows(new, "gpu", lambda r: (series(r), r["num_nodes"])))
    gpu_rows = [gpu[k] for k in sorted(gpu, key=lambda k: (_series_order(k[0]), k[1]))]
    tw = rows(old, "twitter", lambda r: (r["kind"], r["num_nodes"]))
    tw.update(rows(new, "twitter", lambda r: (r["kind"], r["num_nodes"])))
    synthetic = [syn[k] for k in sorted(syn, key=lambda k: (_series_order(k[0]), k[1]))]
    twitter = sorted(tw.values(), key=lambda r: (r["num_nodes"], r["kind"] != "dense"))
    settings = dict(new["settings"] if syn_new else old["settings"])
    for k in ("twitter_topk", "twitter_epochs", "dense_memory_limit", "twitter_dense_all"):
        if new.get("twitter") and k in new["settings"]:
            settings[k] = new["settings"][k]
    return {**old, **new, "settings": settings, "synthetic": synthetic,
            "growth": growth(synthetic), "twitter": twitter,
            **({"gpu": gpu_rows, "gpu_growth": growth(gpu_rows)} if gpu_rows else {}),
            "wall_seconds": round(old.get("wall_seconds", 0.0) + new.get("wall_seconds", 0.0), 1)}


# ----- rendering ----------------------------------------------------------------------------
def _f(v, digits: int = 1) -> str:
    return "n/a" if v is None else f"{float(v):,.{digits}f}"


def _epoch(r: dict) -> float:
    """The epoch time compared: the median of the epochs after the first (the first also
    samples and caches the candidates), the only epoch's when there is one; with two
    epochs, the last one's (as rows measured before were compared).

    Examples:
        >>> _epoch({"train_seconds_per_epoch": [9.0, 1.0, 3.0, 2.0]})
        2.0
        >>> _epoch({"train_seconds_per_epoch": [9.0, 1.0, 3.0]})
        2.0
    """
    import statistics

    times = r["train_seconds_per_epoch"]
    return float(statistics.median(times[1:] if len(times) > 1 else times))


def render(report: dict) -> list[str]:
    """The cost section's Markdown lines: the synthetic growth table (one series per
    ``subgraph_nodes`` setting) with the per-doubling ratios and the Twitter
    dense-against-sparse table, verdict lines from the numbers."""
    s = report["settings"]
    rows = report["synthetic"]
    # rows measured before they recorded it: the preset's 200 x 20 (as at d7fae66)
    links = sorted({(r.get("max_links", 200), r.get("negatives", 20)) for r in rows})
    L = ["### Cost of the sparse model: synthetic social networks", "",
         f"`python scripts/benchmark.py --protocol sparse-cost` ({report['date']}, "
         f"{report['wall_seconds'] / 60:.0f} min in all; model code (`gcngan/` of the commit) "
         f"of the synthetic rows: {_commits(report, 'synthetic')}): `gcngan data synth --kind social "
         f"--links-per-node {s['links_per_node']}` with window {s['window']} + "
         f"{s['train_targets']} training targets + 1 validation + 1 test daily snapshots, "
         f"`train --preset sparse` for the epochs in the table, OMP_NUM_THREADS={s['threads']}, "
         f"one fresh process each. An epoch is the {s['train_targets']} training targets, each "
         f"with at most "
         + " or ".join(f"{m} true links x {q} negatives" for m, q in links)
         + " through the decoder and critic (the preset's `max_links`, `negatives`) and its "
         f"window of {s['window']} snapshots through the sparse GCN: whole, or, with "
         f"`subgraph_nodes = S` and N > S, only the links induced on the candidates' endpoints "
         f"and their window neighbours up to S nodes (`gcngan.subgraph`; the candidates are "
         f"the same). *Validation s* is the validation after each epoch (the validation "
         f"target's ranking queries scored on its whole window; median over the epochs). "
         f"Candidates and pair features are computed once per target and cached "
         f"(the regression start computes them before the first epoch), and so is each "
         f"target's window batch (rows of commits before b935c4f built it at every step). Peak RSS is the "
         f"training process's (data loading included). "
         f"{_clock_text(s.get('clock'))}. "
         + ("GPU epoch times: the next table." if report.get("gpu") else
            "No GPU was available: no GPU epoch times were measured.")
         + (" Rows with a negative pool K train the preset with `negative_pool = K`: where "
            "N > K a target's queries draw their uniform negatives from one pool of K nodes "
            "drawn for the target (half of them destinations, as the preset's draw), so its "
            "candidates have at most K uniform endpoints however large N is; the ranking "
            "table's `negative_pool=K` rows give its quality (their validation MRR: \"The "
            "variants against the preset\")."
            if any(series(r)[1] for r in rows) else "")
         + (" Rows with queries by sources also train with `queries_by=sources`: a target "
            "with more true links than `max_links` trains on every link of sources drawn in "
            "random order (the last one's in part) instead of uniformly drawn links, so its "
            "queries share their sources and the historical negatives drawn from those "
            "sources' past links."
            if any(series(r)[2] != "links" for r in rows) else ""), "",
         "| GCN trains on | N | links per snapshot (E) | epochs | s/epoch (each epoch) | "
         "s per target (median epoch after the first) | µs per window link per target | "
         "validation s | peak RSS MiB | commit |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        per_target = _epoch(r) / r["train_targets"]
        L.append(f"| {_trains_on(r)} | {r['num_nodes']:,} | {r['links_per_snapshot']:,.0f} | "
                 f"{len(r['train_seconds_per_epoch'])} | "
                 f"{' / '.join(_f(x, 2) for x in r['train_seconds_per_epoch'])} | "
                 f"{per_target:.2f} | {per_target / (r['window'] * r['links_per_snapshot']) * 1e6:.2f} | "
                 f"{_validation(r)} | {r['peak_rss_mib_train']:,.0f} | "
                 f"`{(r.get('commit') or report.get('commit') or 'working tree')[:10]}` |")
    L.append("")
    def growth_series(g):
        return g.get("subgraph_nodes", 0), g.get("negative_pool", 0), g.get("queries_by",
                                                                              "links")

    for key in sorted({growth_series(g) for g in report["growth"]}, key=_series_order):
        part = [g for g in report["growth"] if growth_series(g) == key]
        label = series_label(*key)
        L.append(f"{label[0].upper()}{label[1:]}:")
        L.append("")
        for g in part:
            L.append(f"- from E = {g['from']:,.0f} to {g['to']:,.0f} links per snapshot the "
                     f"time of an epoch grows {g['time_ratio']:.2f}x: "
                     f"**{_f(g['per_doubling'], 2)}x per doubling of E**, "
                     f"{_f(g['per_link_per_doubling'], 2)}x per doubling per link (time / E; "
                     f"1.00x = linear in E). Issue 15's target, at most ~1.15x per doubling: "
                     f"read as the time of the whole epoch "
                     f"{'met' if g['per_doubling'] is not None and g['per_doubling'] <= 1.15 else 'not met'}"
                     f"; read per link "
                     f"{'met' if g['per_link_per_doubling'] is not None and g['per_link_per_doubling'] <= 1.15 else 'not met'}.")
        ends = sorted((r for r in rows if series(r) == key),
                      key=lambda r: r["links_per_snapshot"])
        if len(ends) > 2:
            (g,) = _growth([ends[0], ends[-1]], "links_per_snapshot")
            L.append(f"- over the whole series, from E = {g['from']:,.0f} to {g['to']:,.0f}: "
                     f"{g['time_ratio']:.2f}x, **{_f(g['per_doubling'], 2)}x per doubling of "
                     f"E** on average.")
        L.append("")
    for r in (r for r in rows if r["num_nodes"] >= 100_000):
        gib = r["peak_rss_mib_train"] / 1024
        L.append(f"N = {r['num_nodes']:,}, {series_label(*series(r))}: one epoch in "
                 f"{_f(r['train_seconds_per_epoch'][0])} s of training "
                 f"({_f(r['train_wall_seconds'])} s for the whole process) at {gib:.2f} GiB "
                 f"peak RSS (target: one epoch in <= 8 GiB — {'met' if gib <= 8 else 'not met'}).")
        L.append("")
    L += render_gpu(report)
    if L[-1] == "":
        L.pop()
    tw = report.get("twitter") or []
    if tw:
        dense_all = [r for r in tw if r["kind"] == "dense" and r["num_nodes"] >= 995
                     and "error" not in r]
        L += ["", "### Memory and speed on Twitter mentions: sparse against the dense model",
              "",
              f"`twitter_tennis_rg17` (120 hourly snapshots), window 10, 3 validation and 10 "
              f"test targets: an epoch is the same {tw[0]['train_windows']} training windows "
              f"(dense) or targets (sparse). The dense preset (`dense`, the default before "
              f"issue 15) is run at the `--top-k` most active nodes (with GCNGAN_MEMORY_LIMIT="
              f"{s.get('dense_memory_limit')}: its memory grows with N²)"
              + (f" and at all {dense_all[0]['num_nodes']:,} nodes (GCNGAN_MEMORY_LIMIT="
                 f"{dense_all[0].get('memory_limit')}, alone on the machine's memory)"
                 if dense_all else ", not at all 1,000 nodes (~20 GiB)")
              + "; s/epoch is the last epoch's training time from log.csv (on the same clock "
              "as above), peak RSS the training process's; *commit* is the model code "
              "measured.", "",
              "| N | model | epochs | s/epoch | windows or targets / s | peak RSS MiB | "
              "dense s/epoch ÷ sparse s/epoch | commit |",
              "|---:|---|---:|---:|---:|---:|---:|---|"]
        failed = [r for r in tw if "error" in r]
        tw = [r for r in tw if "error" not in r]
        by = {(r["kind"], r["num_nodes"]): r for r in tw}
        for r in tw:
            dense = by.get(("dense", r["num_nodes"]))
            ratio = (f"{_epoch(dense) / _epoch(r):.1f}x" if r["kind"] == "sparse" and dense
                     else "")
            L.append(f"| {r['num_nodes']:,} | {r['kind']} (`{r['preset']}`) | {r['epochs']} | "
                     f"{_f(_epoch(r), 2)} | {r['train_windows'] / _epoch(r):.2f} | "
                     f"{r['peak_rss_mib_train']:,.0f} | {ratio} | "
                     f"`{(r.get('commit') or report.get('commit') or 'working tree')[:10]}` |")
        dense = [r for r in tw if r["kind"] == "dense"]
        full = [r for r in tw if r["kind"] == "sparse" and r["num_nodes"] >= 995]
        L.append("")
        for r in failed:
            L += [f"Failed: {r['kind']} (`{r['preset']}`) at N = {r['num_nodes']:,}: "
                  f"{r['error']}", ""]
        if (dense_all or dense) and full:
            d = dense_all[0] if dense_all else max(dense, key=lambda r: r["num_nodes"])
            f = full[0]
            gib = f["peak_rss_mib_train"] / 1024
            ratio = _epoch(d) / _epoch(f)
            memory = f"target <= 1.5 GiB — {'met' if gib <= 1.5 else 'not met'}"
            if dense_all:
                L.append(f"Measured at all {f['num_nodes']:,} nodes: the sparse model takes "
                         f"{gib:.2f} GiB peak RSS ({memory}; the dense model "
                         f"{d['peak_rss_mib_train'] / 1024:.2f} GiB) and {_f(_epoch(f), 2)} "
                         f"s/epoch against the dense model's {_f(_epoch(d), 2)} s/epoch: "
                         f"**{ratio:.1f}x faster** (target >= 20x — "
                         f"{'met' if ratio >= 20 else 'not met'}).")
            else:
                L.append(f"Sparse at all {f['num_nodes']:,} nodes: {gib:.2f} GiB peak RSS "
                         f"({memory}) and {_f(_epoch(f), 2)} s/epoch, {ratio:.1f}x faster than "
                         f"the dense model at only {d['num_nodes']:,} nodes "
                         f"({_f(_epoch(d), 2)} s/epoch, {d['peak_rss_mib_train'] / 1024:.2f} "
                         f"GiB). The dense cost grows with N (see its rows), so this ratio is a "
                         f"lower bound on the speed-up at N = 1,000 (target >= 20x — "
                         f"{'met already at the smaller dense N' if ratio >= 20 else 'not shown by this lower bound'}).")
            fit = power_fit([(r["num_nodes"], _epoch(r)) for r in dense])
            if fit is not None and not dense_all:
                a, k = fit
                at = k * f["num_nodes"] ** a
                sizes = ", ".join(f"{n:,}" for n in sorted(r["num_nodes"] for r in dense))
                L += ["", f"Extrapolated, not measured: a least-squares fit of the dense "
                          f"model's s/epoch over N = {sizes} "
                          f"grows as N^{a:.2f}; at N = {f['num_nodes']:,} it would give "
                          f"{at:,.0f} s/epoch, {at / _epoch(f):.0f}x the sparse model's."]
    return L + [""]


def _validation(r: dict) -> str:
    """The *validation s* cell: the median seconds of the validation after each epoch (the
    validation target's queries scored on its whole window), ``n/a`` where not recorded.

    Examples:
        >>> _validation({"val_seconds_per_epoch": [3.6, 3.5, 3.4]}), _validation({})
        ('3.50', 'n/a')
    """
    import statistics

    times = r.get("val_seconds_per_epoch")
    return _f(statistics.median(times), 2) if times else "n/a"


def _trains_on(r: dict) -> str:
    """The *GCN trains on* cell of a synthetic row: its series' settings, in short."""
    sub = setting(r)
    how = ("whole windows" if not sub else
           f"subgraphs, S = {sub:,}" + (" (N <= S: whole windows)"
                                        if r["num_nodes"] <= sub else ""))
    _, pool, queries_by = series(r)
    if queries_by != "links":
        how += f"; queries by {queries_by}"
    if pool:
        how += f"; negative pool K = {pool:,}" + (" (N <= K: no pool)"
                                                   if r["num_nodes"] <= pool else "")
    return how


def render_gpu(report: dict) -> list[str]:
    """The GPU rows of the synthetic series (``report["gpu"]``, measured with ``--device
    cuda``): their table, growth per doubling of E and the N >= 100,000 lines; nothing when
    no GPU was measured."""
    rows = report.get("gpu") or []
    if not rows:
        return []
    gpus = ", ".join(sorted({r.get("gpu", "a CUDA GPU") for r in rows}))
    L = ["#### Cost of the sparse model on the GPU", "",
         f"The synthetic series as above, trained with `--device cuda` on {gpus} (model code "
         f"{_commits(report, 'gpu')}): seconds per epoch are wall-clock seconds (the trainer "
         f"reads every batch's losses back, so each epoch's time includes the GPU's work); "
         f"peak CUDA memory is PyTorch's `max_memory_allocated` of the training epochs, peak "
         f"RSS the training process's.", "",
         "| GCN trains on | N | links per snapshot (E) | epochs | s/epoch (each epoch) | "
         "s per target (median epoch after the first) | validation s | peak CUDA MiB | "
         "peak RSS MiB | commit |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        L.append(f"| {_trains_on(r)} | {r['num_nodes']:,} | {r['links_per_snapshot']:,.0f} | "
                 f"{len(r['train_seconds_per_epoch'])} | "
                 f"{' / '.join(_f(x, 2) for x in r['train_seconds_per_epoch'])} | "
                 f"{_epoch(r) / r['train_targets']:.3f} | {_validation(r)} | "
                 f"{_f(r.get('peak_cuda_mib'), 0)} | {r['peak_rss_mib_train']:,.0f} | "
                 f"`{(r.get('commit') or report.get('commit') or 'working tree')[:10]}` |")
    L.append("")
    for g in report.get("gpu_growth") or []:
        L.append(f"- on the GPU, from E = {g['from']:,.0f} to {g['to']:,.0f} links per snapshot "
                 f"the time of an epoch grows {g['time_ratio']:.2f}x: "
                 f"**{_f(g['per_doubling'], 2)}x per doubling of E**.")
    for r in (r for r in rows if r["num_nodes"] >= 100_000):
        L.append(f"- N = {r['num_nodes']:,} on the GPU: {_f(_epoch(r), 2)} s per epoch "
                 f"(median after the first), {_f(r.get('peak_cuda_mib'), 0)} MiB of CUDA "
                 f"memory, {r['peak_rss_mib_train'] / 1024:.2f} GiB peak RSS.")
    return L + [""]


def _commits(report: dict, part: str) -> str:
    """The distinct commits (10 characters, in order) of ``report[part]``'s rows."""
    seen = []
    for r in report.get(part) or []:
        c = (r.get("commit") or report.get("commit") or "working tree")[:10]
        if c not in seen:
            seen.append(c)
    return ", ".join(f"`{c}`" for c in seen) or "none"


def power_fit(points) -> tuple | None:
    """``(a, k)`` of the least-squares fit ``y = k * x ** a`` in log-log space over
    ``points`` ``[(x, y), ...]`` (``None`` with fewer than two distinct ``x``).

    Examples:
        >>> a, k = power_fit([(100, 1.0), (200, 4.0), (400, 16.0)])
        >>> round(a, 6), round(k * 1000 ** a, 3)
        (2.0, 100.0)
    """
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in pts}) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    a = (sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts))
    return a, math.exp(my - a * mx)


def label_commit(report: dict, commit: str) -> dict:
    """``report`` with ``commit`` recorded as the code measured, in the report and in each
    row that names none (a working tree known to hold that commit)."""
    out = {**report, "commit": commit}
    for part in ("synthetic", "gpu", "twitter"):
        if part in out:
            out[part] = [{**r, "commit": r.get("commit") or commit} for r in out[part]]
    return out


def write_document(path: Path, report: dict, argv: list, *, seconds: float,
                   device: str = "cpu") -> None:
    """A benchmark document holding only this cost ``report`` (``sparse.cost``), for
    ``benchmark.py --render-only --combine`` (which merges it with :func:`merge_cost`)."""
    from bench_sparse import benchmark_document

    doc = benchmark_document({"sparse": {"cost": report}}, "python scripts/bench_sparse_cost.py "
                             + " ".join(map(str, argv)), seconds, device=device)
    path.write_text(json.dumps(doc, indent=1))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--train-targets", dest="train_targets", type=int, default=4)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--largest-epochs", dest="largest_epochs", type=int, default=3)
    ap.add_argument("--subgraph-nodes", dest="subgraph_nodes", default="preset",
                    help="synthetic series, comma-separated train.subgraph_nodes values "
                         "('preset' = the preset's, 0 = whole windows), e.g. preset,0")
    ap.add_argument("--negative-pools", dest="negative_pools", default="",
                    help="more synthetic series: the preset with each comma-separated "
                         "train.negative_pool value, e.g. 1000")
    ap.add_argument("--source-query-pools", dest="source_query_pools", default="",
                    help="more synthetic series: the preset with queries_by=sources and each "
                         "comma-separated train.negative_pool value, e.g. 500")
    ap.add_argument("--twitter-topk", dest="twitter_topk", default="100,200,400",
                    help="dense/sparse comparison sizes ('' = skip the Twitter part)")
    ap.add_argument("--twitter-dense-all", dest="twitter_dense_all", default=None,
                    metavar="LIMIT", help="also train the dense preset at all of Twitter's "
                    "nodes under GCNGAN_MEMORY_LIMIT=LIMIT (e.g. 23G; needs ~20 GiB free)")
    ap.add_argument("--root", default=str(DATASETS_ROOT))
    ap.add_argument("--device", default="cpu",
                    help="cpu, or cuda: the synthetic series on the GPU (its rows kept apart "
                         "from the CPU's; the Twitter part stays on the CPU)")
    ap.add_argument("--commit", default=None, metavar="SHA",
                    help="with --working-tree: the commit the working tree holds, recorded in "
                         "the rows (e.g. on a machine that has the files but not .git)")
    add_output_arguments(ap)
    args = ap.parse_args(argv)
    if args.commit and not args.working_tree:
        ap.error("--commit names the commit of the working tree measured: give it with "
                 "--working-tree (without it HEAD is measured and recorded)")
    t0 = time.perf_counter()
    try:                                 # run_cost checks the device before generating data
        report = run_cost(sizes=tuple(int(x) for x in args.sizes.split(",") if x.strip()),
                          train_targets=args.train_targets, epochs=args.epochs,
                          largest_epochs=args.largest_epochs,
                          subgraph_nodes=tuple(None if x.strip() == "preset" else int(x)
                                               for x in args.subgraph_nodes.split(",")
                                               if x.strip()),
                          negative_pools=tuple(int(x) for x in args.negative_pools.split(",")
                                               if x.strip()),
                          source_query_pools=tuple(int(x) for x in
                                                   args.source_query_pools.split(",") if x.strip()),
                          twitter_topk=tuple(int(x) for x in args.twitter_topk.split(",")
                                             if x.strip()),
                          twitter_dense_all=args.twitter_dense_all,
                          root=Path(args.root), commit=None if args.working_tree else "HEAD",
                          device=args.device,
                          progress=lambda line: print(line, file=sys.stderr, flush=True))
    except NoDevice as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.commit:
        report = label_commit(report, args.commit)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    if args.document:
        write_document(Path(args.document), report, argv if argv is not None else sys.argv[1:],
                       seconds=time.perf_counter() - t0, device=args.device)
    print("\n".join(render(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
