#!/usr/bin/env python
"""Sparse GCN-GAN on the ranking protocol (issue 15 item 6): train ``--preset sparse``
through the command line in a fresh process per run (seconds per epoch from its
``log.csv``, peak RSS of that process, wall times), then rank it with ``evaluate --protocol
ranking`` on the negatives of ``scripts/bench_ranking.py`` (same datasets, test targets,
q, max queries and negatives seed; validation = the 3 targets before the test targets),
beside every pair predictor on the same candidates.

Runs are (dataset, variant, seed): the variant ``sparse`` is the preset itself, the
ablations add ``--set`` switches (:data:`VARIANTS`), the variant ``dense`` trains the dense
model (:data:`DENSE_PRESET`) under ``GCNGAN_MEMORY_LIMIT`` = :data:`DENSE_MEMORY_LIMIT`: when
``train`` refuses it for memory, the refusal (its line, with the estimate) is recorded
instead of a result. Every trained run is ranked on the test negatives (with the links it
predicts against the true ones: ``evaluate``'s ``diagnostics``) and on validation negatives
drawn the same way for the 3 validation targets (its validation MRR, which alone chooses
the default preset: :func:`render_choice`). A dataset whose targets stop before
its last snapshot (:data:`bench_ranking.END`, email_eu_core_temporal) is trained on a copy
of its events file cut at that snapshot (checked equal to the first snapshots of the full
file, same nodes). Nothing is selected on test: the best epoch is the preset's (validation
MRR), the verdicts compare the test MRRs' mean over seeds with the heuristics' rows.

The training processes import ``gcngan`` from ``code`` (e.g. a ``git archive`` of the
commit measured, :func:`export_commit`) when given, else from the working tree.

    python scripts/bench_sparse.py [--datasets enron184,...] [--variants sparse,no-gcn]
        [--seeds 0,1,2] [--epochs N] [--threads 1] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from bench_ranking import DATASETS, DATASETS_ROOT, END, data_flags  # noqa: E402

#: the sparse model's preset and the dense model's (``dense``: the ``default`` preset before
#: issue 15)
SPARSE_PRESET = "sparse"
DENSE_PRESET = "dense"
#: ``GCNGAN_MEMORY_LIMIT`` of the dense model's training (``train`` refuses above it)
DENSE_MEMORY_LIMIT = "8G"
#: variant -> the ``--set`` switches added to its preset (issue 15's ablations)
VARIANTS = {"sparse": [],
            "no-gcn": ["encoder=none"],
            "no-structure": ["pair_features=false"],
            "no-adversarial": ["adv_weight=0"],
            "whole-window": ["subgraph_nodes=0"],
            "gcn-skip": ["gcn_skip=true"],
            "node-activity": ["node_activity=true"],
            "gcn-mirror": ["gcn_mirror=true"],
            "no-structure-no-gcn": ["pair_features=false", "encoder=none"],
            "negatives-50": ["negatives=50"],
            "random-features": ["random_features=32"],
            "negative-pool": ["negative_pool=1000"],
            "negative-pool-500": ["negative_pool=500"],
            "max-links-100": ["max_links=100"],
            "dense-embeddings": ["lazy_embeddings=false"],
            "horizon": ["max_horizon=15"],
            "no-paths": ["path_features=false"],
            "no-history": ["history_features=false"],
            "no-pool": ["negative_pool=0"],
            "source-queries": ["queries_by=sources", "negative_pool=500"],
            "source-queries-1000": ["queries_by=sources", "negative_pool=1000"],
            "dense": []}
#: variant -> its preset when not :data:`SPARSE_PRESET`
VARIANT_PRESETS = {"dense": DENSE_PRESET}
#: the variants that are models in their own right (run with every seed), not ablations
MODELS = ("sparse", "dense")
#: A run's ``base`` (absent: ``"sparse"``) is the variant whose runs are the preset it was
#: measured on: when the preset changes, the runs of the one before become a variant of
#: the new one (``no-history``: the preset before ``history_features`` joined it) and the
#: variants measured on it keep it as their base, so that each is compared with the preset
#: it changed, and its label says which that was.
BASE_TEXTS = {"no-history": "on the preset before `history_features` joined it",
              "no-pool": "on the preset before `negative_pool=500` joined it"}
VARIANT_LABELS = {"sparse": "sparse model", "no-gcn": "no GCN (`encoder=none`)",
                  "no-structure": "no structure features (`pair_features=false`)",
                  "no-adversarial": "no adversarial term (`adv_weight=0`)",
                  "whole-window": "whole windows, no sampled subgraphs (`subgraph_nodes=0`)",
                  "gcn-skip": "skip connection (`gcn_skip=true`)",
                  "node-activity": "degree inputs to the GCN (`node_activity=true`)",
                  "gcn-mirror": "GCN along both directions of a link (`gcn_mirror=true`)",
                  "no-structure-no-gcn": "neither structure features nor GCN "
                                         "(`pair_features=false encoder=none`)",
                  "negatives-50": "50 training negatives per query (`negatives=50`)",
                  "random-features": "32 fixed random inputs per node to the GCN "
                                     "(`random_features=32`)",
                  "negative-pool": "a target's uniform negatives from one pool of 1,000 nodes "
                                   "(`negative_pool=1000`)",
                  "negative-pool-500": "a target's uniform negatives from one pool of 500 "
                                       "nodes (`negative_pool=500`)",
                  "max-links-100": "at most 100 true links per training target "
                                   "(`max_links=100`)",
                  "dense-embeddings": "Adam steps every row of the node embeddings "
                                      "(`lazy_embeddings=false`)",
                  "horizon": "half the targets 1-15 snapshots past their window, the gap as "
                             "an input (`max_horizon=15`)",
                  "no-paths": "no paths of length 3 between the pair among the features "
                              "(`path_features=false`)",
                  "no-history": "without the pair's links before the window among the "
                                "features (`history_features=false`)",
                  "no-pool": "a target's uniform negatives from all nodes, no pool "
                             "(`negative_pool=0`)",
                  "source-queries": "a target's queries as the links of whole sources, its "
                                    "uniform negatives from one pool of 500 nodes "
                                    "(`queries_by=sources negative_pool=500`)",
                  "source-queries-1000": "a target's queries as the links of whole sources, "
                                         "its uniform negatives from one pool of 1,000 nodes "
                                         "(`queries_by=sources negative_pool=1000`)",
                  "dense": f"dense model (`--preset {DENSE_PRESET}`)"}
#: the link diagnostics kept per run (:func:`gcngan.ranking.link_diagnostics` of the test
#: ranking) and rendered in "What the adversarial term does"
DIAGNOSTICS = ("predicted_links", "true_links", "link_ratio", "precision", "recall", "f1",
               "w1", "ks")
METRICS = (("mrr", ("all", "mrr")), ("mrr_new", ("new", "mrr")),
           ("mrr_repeated", ("repeated", "mrr")))
#: the gcngan command in a fresh process, writing its peak RSS (KiB, Linux ru_maxrss) and
#: CPU seconds (user, system) to the file named by argv[1]; with argv[2] == 'cpu' the
#: trainer's clock (``time.perf_counter``: log.csv's train_seconds / val_seconds) is the
#: process's CPU time (``time.process_time``), so that other jobs on a shared machine do
#: not inflate the seconds per epoch
GCNGAN_RSS = ("import resource, sys, time; path = sys.argv.pop(1); clock = sys.argv.pop(1); "
              "time.perf_counter = time.process_time if clock == 'cpu' else time.perf_counter; "
              "from gcngan.cli import main; rc = main(sys.argv[1:]); "
              "u = resource.getrusage(resource.RUSAGE_SELF); "
              "open(path, 'w').write(f'{u.ru_maxrss} {u.ru_utime} {u.ru_stime}'); sys.exit(rc)")
#: the clock of log.csv's seconds in the measurements: 'cpu' (process CPU time) or 'wall'
CLOCK = "cpu"


class GcnganFailed(RuntimeError):
    """A ``gcngan`` process exited non-zero: ``returncode`` and its last stderr line
    ``line`` (a refusal is one line)."""

    def __init__(self, message: str, returncode: int, line: str) -> None:
        super().__init__(message)
        self.returncode, self.line = returncode, line


def preset_subgraph_nodes() -> int:
    """The sparse preset's ``train.subgraph_nodes``: above it, its GCN trains on sampled
    subgraphs (the ``whole-window`` variant runs only on datasets with more nodes)."""
    from gcngan.config import PRESETS

    return int(PRESETS[SPARSE_PRESET]["train"].get("subgraph_nodes", 0))


def variant_preset(variant: str) -> str:
    """The preset a variant trains (:data:`VARIANT_PRESETS`, else :data:`SPARSE_PRESET`)."""
    return VARIANT_PRESETS.get(variant, SPARSE_PRESET)


def gcngan_process(args: list, *, rss_file: Path, threads: int, code: Path | None,
                   cwd: Path, env: dict | None = None, clock: str = CLOCK) -> tuple:
    """Run ``gcngan ARGS`` in a fresh process with ``OMP_NUM_THREADS=threads`` (and
    ``gcngan`` imported from ``code`` when given, more variables from ``env``; the
    trainer's seconds on ``clock``, see :data:`GCNGAN_RSS`); returns ``(stdout, wall
    seconds, peak MiB, CPU seconds)``.

    Raises:
        GcnganFailed: the command failed (its last stderr lines in the message).
    """
    env = {**os.environ, **(env or {}), "OMP_NUM_THREADS": str(threads)}
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", GCNGAN_RSS, str(rss_file), clock,
                           *map(str, args)], env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        raise GcnganFailed(f"gcngan {' '.join(map(str, args[:2]))} failed (exit "
                           f"{proc.returncode}): {' | '.join(lines[-3:])}", proc.returncode,
                           lines[-1] if lines else "")
    maxrss, utime, stime = rss_file.read_text().split()
    return proc.stdout, seconds, int(maxrss) / 2**10, float(utime) + float(stime)


def export_commit(dest: Path, commit: str = "HEAD", repo: Path = REPO) -> str:
    """Write ``gcngan/`` of ``commit`` (``git archive``) under ``dest``; returns the full
    commit id. The working tree is not touched."""
    full = subprocess.run(["git", "rev-parse", commit], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", full, "gcngan"], cwd=repo, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return full


def measured_code(tmp: Path, commit: str | None) -> tuple[Path | None, str | None]:
    """``(code folder, full commit id)`` of the ``gcngan`` to measure: ``commit`` exported
    under ``tmp/code`` (:func:`export_commit`), or ``(None, None)``: the working tree."""
    if commit is None:
        return None, None
    code = tmp / "code"
    return code, export_commit(code, commit)


#: validation targets of every run (the targets just before the test targets)
VAL = 3


@dataclass
class Prepared:
    """One dataset ready to train and rank: the data file (cut at :data:`END` when the
    protocol stops early), its ingestion flags and the ranking negatives written once."""

    name: str
    path: Path
    flags: list
    test: int
    negatives: Path
    info: dict
    val_negatives: Path | None = None
    destination_negatives: Path | None = None


def prepare(name: str, root: Path, tmp: Path, *, window: int, q: int, max_queries: int,
            seed: int) -> Prepared:
    """Load ``name`` as :mod:`bench_ranking` does, draw its negatives (the Ranking
    section's: same targets, q, max queries and seed, so the same sha256) and write them
    under ``tmp``; cut the events file at :data:`END` when the dataset has one.

    Raises:
        ValueError: the cut file does not reproduce the first snapshots of the full one.
    """
    import numpy as np
    import pandas as pd

    from gcngan.config import DataConfig
    from gcngan.data import chronological_split, load_snapshots
    from gcngan.ranking import generate_negatives, write_negatives
    from gcngan.structural import PairIndex

    rel, fields, test, how = DATASETS[name]
    path = root / rel
    cfg = DataConfig(window=window, val=0, test=test, **fields)
    seq = load_snapshots(path, cfg)
    end = min(END.get(name, seq.num_snapshots), seq.num_snapshots)
    targets = list(chronological_split(end, window, 0, test).test)
    index = PairIndex(seq)
    cands = generate_negatives(index, targets, q=q, max_queries=max_queries, seed=seed)
    neg = tmp / f"{name}-negatives.csv"
    write_negatives(neg, cands, seq.node_ids)
    val_targets = list(chronological_split(end, window, VAL, test).val)  # the runs' split
    val_cands = generate_negatives(index, val_targets, q=q, max_queries=max_queries,
                                   seed=seed)
    val_neg = tmp / f"{name}-val-negatives.csv"
    write_negatives(val_neg, val_cands, seq.node_ids)
    dest_cands = generate_negatives(index, targets, q=q, max_queries=max_queries, seed=seed,
                                    uniform_from="destinations")          # TGB's random draw
    dest_neg = tmp / f"{name}-destination-negatives.csv"
    write_negatives(dest_neg, dest_cands, seq.node_ids)
    if end < seq.num_snapshots:
        from gcngan.data.events import parse_granularity

        frame = pd.read_csv(path)
        tcol = frame.columns[0]
        width = parse_granularity(fields["granularity"])              # seconds
        bucket = (frame[tcol] - frame[tcol].min()) // width
        cut = tmp / f"{name}-first-{end}.csv"
        frame[bucket < end].to_csv(cut, index=False)
        short = load_snapshots(cut, cfg)
        same = (short.num_snapshots == end and list(short.node_ids) == list(seq.node_ids)
                and all(all(np.array_equal(a, b) for a, b in zip(short.edges(t), seq.edges(t)))
                        for t in range(end)))
        if not same:
            raise ValueError(f"{name}: the events before snapshot {end} do not reproduce the "
                             f"full file's first {end} snapshots")
        path = cut
    info = {"dataset": name, "snapshots_made": how, "num_nodes": seq.num_nodes,
            "num_snapshots": seq.num_snapshots, "snapshots_used": end,
            "targets": [targets[0], targets[-1]], "queries": cands.num_queries,
            "sha256": cands.sha256, "val_targets": [val_targets[0], val_targets[-1]],
            "val_queries": val_cands.num_queries, "val_sha256": val_cands.sha256,
            "destination_queries": dest_cands.num_queries,
            "destination_sha256": dest_cands.sha256}
    flags = [*data_flags(fields), "--window", str(window), "--val", str(VAL), "--test",
             str(test)]
    return Prepared(name, path, flags, test, neg, info, val_neg, dest_neg)


def train_and_rank(prep: Prepared, tmp: Path, *, variant: str, seed: int,
                   epochs: int | None = None, threads: int = 1,
                   code: Path | None = None, commit: str | None = None) -> dict:
    """One run: train the variant's preset with its switches (``epochs`` None = the
    preset's epochs and early stopping), rank it on the prepared negatives; returns the
    run's record (every predictor's MRR all/new/repeated, the model's validation MRR and
    link diagnostics, seconds, peak RSS). The dense model trains under
    ``GCNGAN_MEMORY_LIMIT`` = :data:`DENSE_MEMORY_LIMIT`; its memory refusal (exit 2) gives
    :func:`refused_record` instead."""
    sets = VARIANTS[variant]
    preset = variant_preset(variant)
    run = tmp / f"{prep.name}-{variant}-{seed}"
    args = ["train", prep.path, "--out", run, "--preset", preset, "--seed", str(seed),
            "--quiet", *prep.flags]
    if epochs is not None:
        args += ["--epochs", str(epochs), "--set", f"patience={epochs}"]
    for kv in sets:
        args += ["--set", kv]
    env = {"GCNGAN_MEMORY_LIMIT": DENSE_MEMORY_LIMIT} if preset == DENSE_PRESET else None
    t0 = time.perf_counter()
    try:
        _, train_wall, train_rss, train_cpu = gcngan_process(
            args, rss_file=tmp / "rss-train.txt", threads=threads, code=code, cwd=tmp, env=env)
    except GcnganFailed as exc:
        if env is None or exc.returncode != 2 or not any(r.search(exc.line)
                                                         for r in REFUSALS):
            raise
        return refused_record(variant, seed, exc.line, commit=commit,
                              wall=time.perf_counter() - t0)
    return rank_run(prep, run, tmp, variant=variant, seed=seed, threads=threads, code=code,
                    commit=commit, train={"train_wall_seconds": round(train_wall, 1),
                                          "train_cpu_seconds": round(train_cpu, 1),
                                          "peak_rss_mib_train": round(train_rss, 1)})


#: the memory estimate in ``train``'s refusal line (:func:`gcngan.resources.check_memory`)
ESTIMATE = re.compile(r"not enough memory for N=\d+ nodes: about ([\d.,]+ \S+) needed")
#: the refusal of a dense view larger than ``gcngan.data.snapshots.MAX_DENSE_ENTRIES``
#: (:func:`gcngan.data.snapshots.dense_size_error`), before any memory estimate
DENSE_VIEW = re.compile(r"(\d+) snapshots x (\d+) x \d+ nodes is too large for dense "
                        r"snapshots \(at most ([\d,]+) entries\)")
#: the dense model's refusals recorded instead of failing the benchmark
REFUSALS = (ESTIMATE, DENSE_VIEW)


def refused_record(variant: str, seed: int, line: str, *, commit: str | None,
                   wall: float) -> dict:
    """The record of a run that ``train`` refused for memory: its one line (``refused``),
    the estimate it names (``estimate``, e.g. ``'19.1 GiB'``; for a dense view over the
    entry limit, its size in GiB of float32), ``summary`` (what the tables show) and the
    limit it ran under."""
    m, v = ESTIMATE.search(line), DENSE_VIEW.search(line)
    if m:
        estimate = m.group(1)
        summary = f"about {estimate} needed (GCNGAN_MEMORY_LIMIT={DENSE_MEMORY_LIMIT})"
    elif v:
        t, n = int(v.group(1)), int(v.group(2))
        estimate = f"{t * n * n * 4 / 2**30:.1f} GiB"
        summary = (f"{t} x {n} x {n} dense snapshots ({estimate} of float32) exceed the "
                   f"dense view's {v.group(3)} entries")
    else:
        estimate, summary = None, line
    return {"variant": variant, "seed": seed, "sets": VARIANTS[variant],
            "preset": variant_preset(variant), "refused": line.removeprefix("gcngan: error: "),
            "estimate": estimate, "summary": summary, "memory_limit": DENSE_MEMORY_LIMIT,
            "commit": commit, "train_wall_seconds": round(wall, 1), "eval_wall_seconds": 0.0}


def rank_run(prep: Prepared, run: Path, tmp: Path, *, variant: str, seed: int, threads: int,
             code: Path | None, commit: str | None, train: dict) -> dict:
    """Rank the trained run directory ``run`` on the prepared negatives (``evaluate
    --protocol ranking``: every predictor, and the model's link ``diagnostics``) and on the
    validation negatives (``--split val``, the model only: ``val_mrr``); the run's record
    with the training facts ``train`` (wall and CPU seconds, peak RSS of the training
    process)."""
    import pandas as pd

    log = pd.read_csv(run / "log.csv")
    metrics = json.loads((run / "metrics.json").read_text())
    base = ["evaluate", run, "--data", prep.path, *data_flags(DATASETS[prep.name][1]),
            "--protocol", "ranking", "--json"]
    def ranked(negatives: Path, sha_key: str, what: str, *extra) -> tuple:
        """``evaluate`` on ``negatives`` -> (its JSON, wall s, peak RSS MiB, CPU s); the
        file it ranked must be the prepared one (``prep.info[sha_key]``)."""
        out, wall, rss, cpu = gcngan_process([*base, *extra, "--negatives", negatives],
                                             rss_file=tmp / "rss-eval.txt", threads=threads,
                                             code=code, cwd=tmp)
        got = json.loads(out)
        if got["negatives"]["sha256"] != prep.info[sha_key]:
            raise RuntimeError(f"{prep.name}: evaluate ranked other {what}negatives "
                               f"({got['negatives']['sha256'][:16]}...)")
        return got, wall, rss, cpu

    res, eval_wall, eval_rss, eval_cpu = ranked(prep.negatives, "sha256", "")
    val = dest = None
    if prep.val_negatives is not None:
        val, val_wall, _, val_cpu = ranked(prep.val_negatives, "val_sha256", "validation ",
                                           "--split", "val", "--baselines", "none")
        eval_wall, eval_cpu = eval_wall + val_wall, eval_cpu + val_cpu
    if prep.destination_negatives is not None:
        dest, dest_wall, _, dest_cpu = ranked(prep.destination_negatives,
                                              "destination_sha256", "destination ")
        eval_wall, eval_cpu = eval_wall + dest_wall, eval_cpu + dest_cpu
    diag = (res.get("diagnostics") or {}).get("model")

    def row(r: dict) -> dict:
        out = {}
        for key, (part, name) in METRICS:
            v = r[part][name]
            out[key] = None if v is None else float(v)
        return out

    return {"variant": variant, "seed": seed, "sets": VARIANTS[variant],
            "preset": variant_preset(variant),
            "epochs": int(metrics["epochs"]), "best_epoch": metrics["best_epoch"],
            "train_seconds_per_epoch": [round(float(x), 2) for x in log["train_seconds"]],
            "val_seconds_per_epoch": [round(float(x), 2) for x in log["val_seconds"]],
            "val_mrr_per_epoch": ([round(float(x), 4) for x in log["val_mrr"]]
                                  if "val_mrr" in log else None),   # the dense model: RMSE
            "val_mrr": None if val is None else val["predictors"]["model"]["all"]["mrr"],
            "val_queries": None if val is None else val["queries"],
            "diagnostics": None if diag is None else {k: diag.get(k) for k in DIAGNOSTICS},
            "train_wall_seconds": train.get("train_wall_seconds"),
            "eval_wall_seconds": round(eval_wall, 1),
            "train_cpu_seconds": train.get("train_cpu_seconds"),
            "eval_cpu_seconds": round(eval_cpu, 1), "commit": commit,
            "peak_rss_mib_train": train.get("peak_rss_mib_train"),
            "peak_rss_mib_eval": round(eval_rss, 1),
            "predictors": {p: row(r) for p, r in res["predictors"].items()},
            "destination_predictors": (None if dest is None else
                                       {p: row(r) for p, r in dest["predictors"].items()})}


def progress_line(name: str, r: dict) -> str:
    """The line :func:`run_report` prints per finished run (:data:`PROGRESS` reads it; a
    refused run's line does not match it)."""
    if r.get("refused"):
        return f"sparse {name} {r['variant']} seed {r['seed']}: refused: {r['refused']}"
    return (f"sparse {name} {r['variant']} seed {r['seed']}: MRR "
            f"{r['predictors']['model']['mrr']:.3f}, {r['epochs']} epochs (best "
            f"{r['best_epoch']}), train {r['train_wall_seconds']:.0f} s, eval "
            f"{r['eval_wall_seconds']:.0f} s, peak {r['peak_rss_mib_train']:.0f} MiB")


#: a progress line of :func:`run_report` (the facts of a finished run)
PROGRESS = re.compile(r"sparse (\S+) (\S+) seed (\d+): MRR ([\d.]+), (\d+) epochs \(best "
                      r"(\S+)\), train (\d+) s, eval (\d+) s, peak (\d+) MiB")


def recover(tmp: Path, log_text: str, root: Path, *, commit: str, window: int = 10,
            q: int = 100, max_queries: int = 1000, negatives_seed: int = 0,
            threads: int = 1, progress=None) -> dict:
    """The report of an interrupted :func:`run_report` from its temporary folder ``tmp``
    (its trained run directories survive a SIGTERM) and its progress lines ``log_text``:
    every run with a progress line is ranked again (``evaluate`` is deterministic: the
    model MRR must equal the logged one to 3 decimals) and keeps the line's training wall
    seconds, epochs and peak RSS (its CPU seconds were not logged: ``None``).

    Raises:
        RuntimeError: a re-ranked MRR differs from the logged one.
    """
    found = {}
    for m in PROGRESS.finditer(log_text):
        name, variant, seed = m.group(1), m.group(2), int(m.group(3))
        if (tmp / f"{name}-{variant}-{seed}" / "metrics.json").is_file():
            found.setdefault(name, []).append((variant, seed, m))
    datasets = []
    with tempfile.TemporaryDirectory(prefix="bench-sparse-recover-") as work_name:
        work = Path(work_name)
        code = work / "code"
        full = export_commit(code, commit)
        for name, runs in found.items():
            prep = prepare(name, root, work, window=window, q=q, max_queries=max_queries,
                           seed=negatives_seed)
            records = []
            for variant, seed, m in runs:
                r = rank_run(prep, tmp / f"{name}-{variant}-{seed}", work, variant=variant,
                             seed=seed, threads=threads, code=code, commit=full,
                             train={"train_wall_seconds": float(m.group(7)),
                                    "train_cpu_seconds": None,
                                    "peak_rss_mib_train": float(m.group(9))})
                if f"{r['predictors']['model']['mrr']:.3f}" != m.group(4):
                    raise RuntimeError(f"{name} {variant} seed {seed}: re-ranked MRR "
                                       f"{r['predictors']['model']['mrr']:.3f} != logged "
                                       f"{m.group(4)}")
                r["recovered"] = True
                records.append(r)
                if progress:
                    progress(f"recovered {name} {variant} seed {seed}: MRR "
                             f"{r['predictors']['model']['mrr']:.3f}")
            datasets.append({**prep.info, "runs": records, "wall_seconds": None})
    return {"date": time.strftime("%Y-%m-%d", time.gmtime()), "commit": full,
            "wall_seconds": 0.0,
            "settings": {"clock": CLOCK, "epochs": None, "window": window, "q": q,
                         "max_queries": max_queries, "negatives_seed": negatives_seed,
                         "seeds": sorted({s for rs in found.values() for _, s, _ in rs}),
                         "ablation_seeds": [], "threads": threads,
                         "variants": sorted({v for rs in found.values() for v, _, _ in rs})},
            "datasets": datasets}


def run_report(names, root: Path, *, variants=("sparse",), seeds=(0,), ablation_seeds=None,
               epochs: int | None = None, window: int = 10, q: int = 100,
               max_queries: int = 1000, negatives_seed: int = 0, threads: int = 1,
               commit: str | None = "HEAD", progress=None) -> dict:
    """Every (dataset, variant, seed) run; the JSON report :func:`render` reads.

    Args:
        variants: keys of :data:`VARIANTS`; the models (``sparse``, ``dense``) run with
            ``seeds``, the ablations with ``ablation_seeds`` (default: ``seeds``).
        epochs: ``None`` = the preset's (with its early stopping on validation MRR).
        commit: train the ``gcngan`` of this commit (:func:`export_commit`; the working
            tree may hold other helpers' uncommitted edits), or ``None``: the working tree.

    Raises:
        ConfigError: an unknown dataset or variant.
    """
    from gcngan.errors import ConfigError

    for what, given, valid in (("dataset", names, DATASETS), ("variant", variants, VARIANTS)):
        bad = [n for n in given if n not in valid]
        if bad:
            raise ConfigError(f"unknown {what}(s) {', '.join(bad)}; valid: {', '.join(valid)}")
    ablation_seeds = tuple(seeds if ablation_seeds is None else ablation_seeds)
    subgraph_limit = preset_subgraph_nodes()
    start = time.perf_counter()
    datasets = []
    with tempfile.TemporaryDirectory(prefix="bench-sparse-") as tmp_name:
        tmp = Path(tmp_name)
        code, full = measured_code(tmp, commit)
        for name in names:
            t0 = time.perf_counter()
            prep = prepare(name, Path(root), tmp, window=window, q=q,
                           max_queries=max_queries, seed=negatives_seed)
            runs = []
            for variant in variants:
                if variant == "whole-window" and prep.info["num_nodes"] <= subgraph_limit:
                    if progress:      # the preset itself trains on whole windows there
                        progress(f"sparse {name} whole-window: skipped, N = "
                                 f"{prep.info['num_nodes']} <= subgraph_nodes = "
                                 f"{subgraph_limit} (the sparse model's own runs)")
                    continue
                for seed in (seeds if variant in MODELS else ablation_seeds):
                    r = train_and_rank(prep, tmp, variant=variant, seed=seed, epochs=epochs,
                                       threads=threads, code=code, commit=full)
                    runs.append(r)
                    if progress:
                        progress(progress_line(name, r))
            datasets.append({**prep.info, "runs": runs,
                             "wall_seconds": round(time.perf_counter() - t0, 1)})
    tree = None if full is None else subprocess.run(
        ["git", "rev-parse", f"{full}:gcngan"], cwd=REPO, check=True, capture_output=True,
        text=True).stdout.strip()
    for d in datasets:
        for r in d["runs"]:
            r["gcngan_tree"] = tree                 # the model code measured, exactly
    return {"date": time.strftime("%Y-%m-%d", time.gmtime()), "commit": full,
            "wall_seconds": round(time.perf_counter() - start, 1),
            "settings": {"clock": CLOCK, "epochs": epochs, "window": window, "q": q,
                         "max_queries": max_queries, "negatives_seed": negatives_seed,
                         "seeds": list(seeds), "ablation_seeds": list(ablation_seeds),
                         "threads": threads, "variants": list(variants)},
            "datasets": datasets}


# ----- merging and rendering ----------------------------------------------------------------
def merge(old: dict | None, new: dict) -> dict:
    """``new`` over ``old`` run by run: a (dataset, variant, seed) run of ``new`` replaces
    the same one of ``old``; ``old``'s other runs of a dataset are kept when both ranked the
    same negatives (sha256) with the same settings (window, q, max queries, epochs, threads),
    else dropped; datasets ``new`` did not measure are kept."""
    if not old or any("runs" not in d for d in old.get("datasets", [])):
        return new                             # nothing, or an earlier format: replaced
    keys = ("epochs", "window", "q", "max_queries", "threads")
    same_settings = all(old.get("settings", {}).get(k) == new["settings"].get(k) for k in keys)
    olds = {d["dataset"]: d for d in old.get("datasets", [])}
    datasets = []
    for d in new["datasets"]:
        o = olds.pop(d["dataset"], None)
        if o is not None and same_settings and o.get("sha256") == d.get("sha256"):
            done = {(r["variant"], r["seed"]) for r in d["runs"]}
            kept = [r for r in o["runs"] if (r["variant"], r["seed"]) not in done]
            d = {**d, "runs": kept + d["runs"],
                 "wall_seconds": round((o.get("wall_seconds") or 0)
                                       + (d.get("wall_seconds") or 0), 1)}
        datasets.append(d)
    if same_settings:
        datasets += list(olds.values())
    s = dict(new["settings"])
    for k in ("seeds", "ablation_seeds", "variants"):
        s[k] = sorted({*old.get("settings", {}).get(k, []), *s[k]} if same_settings else s[k],
                      key=lambda v: (list(VARIANTS).index(v) if v in VARIANTS else v))
    commits = {c for c in (old.get("commit"), new.get("commit")) if c} if same_settings \
        else {new.get("commit")}
    return {**new, "settings": s, "datasets": datasets,
            "commits": sorted(c for c in commits if c),
            "wall_seconds": round((old.get("wall_seconds", 0) if same_settings else 0)
                                  + new.get("wall_seconds", 0), 1)}


def rebase_preset(report: dict, variant: str) -> dict:
    """``report`` (the sparse section) once the preset has changed by ``VARIANTS[variant]``
    undone: its ``sparse`` runs become ``variant`` runs (with those switches: the model they
    trained), and every other run of an ablation or variant without a ``base`` gets
    ``base = variant``, the preset it was measured on (:data:`BASE_TEXTS`). The dense model
    keeps its runs. Raises ``ValueError`` if ``variant`` already has runs or names no
    earlier preset."""
    if variant not in BASE_TEXTS:
        raise ValueError(f"{variant!r} names no earlier preset (BASE_TEXTS)")
    out = copy.deepcopy(report)
    for d in out.get("datasets", []):
        if any(r["variant"] == variant for r in d.get("runs", [])):
            raise ValueError(f"{d['dataset']}: {variant} has runs already")
        for r in d.get("runs", []):
            if r["variant"] == SPARSE_PRESET:
                r.update(variant=variant, sets=[*r.get("sets", []), *VARIANTS[variant]])
            elif r["variant"] not in MODELS:
                r.setdefault("base", variant)
    s = out.get("settings", {})
    if SPARSE_PRESET in s.get("variants", []):
        s["variants"] = sorted({*s["variants"], variant}, key=list(VARIANTS).index)
    return out


def base_of(runs: list) -> str:
    """The preset variant ``runs`` (of one variant) were measured on (:data:`BASE_TEXTS`)."""
    bases = {r.get("base", SPARSE_PRESET) for r in runs}
    if len(bases) > 1:
        raise ValueError(f"runs of one variant measured on different presets: {sorted(bases)}")
    return bases.pop() if bases else SPARSE_PRESET


def variant_label(variant: str, summary: dict | None = None) -> str:
    """:data:`VARIANT_LABELS` of ``variant``, naming the preset it was measured on when that
    is not the current one (``summary["base"]``, :func:`summarize`)."""
    base = (summary or {}).get("base", SPARSE_PRESET)
    text = VARIANT_LABELS[variant]
    return text if base == SPARSE_PRESET else f"{text}, {BASE_TEXTS.get(base, f'on {base}')}"


def stats(values) -> tuple:
    """``(mean, sample std or None, n)`` of the finite values."""
    vals = [float(v) for v in values if v is not None and v == v]
    if not vals:
        return None, None, 0
    mean = sum(vals) / len(vals)
    std = (math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
           if len(vals) > 1 else None)
    return mean, std, len(vals)


def summarize(d: dict) -> dict:
    """Per variant: the runs' mean/std of the model's metrics and of each predictor's
    (the heuristics' rows are the same negatives in every run), of its validation MRR
    (``val_mrr``) and link diagnostics (``diagnostics``: ``None`` means and ``n = 0`` for
    runs that predate them), seconds and memory. A variant whose every run ``train`` refused
    is ``{"seeds", "refused": [records]}`` only; refused runs beside trained ones are listed
    under ``refused``."""
    from gcngan.structural import PAIR_PREDICTORS

    out = {}
    for variant in VARIANTS:
        every = sorted((r for r in d["runs"] if r["variant"] == variant),
                       key=lambda r: r["seed"])
        refused = [r for r in every if r.get("refused")]
        runs = [r for r in every if not r.get("refused")]
        if refused and not runs:
            out[variant] = {"seeds": [r["seed"] for r in refused], "refused": refused,
                            "base": base_of(refused)}
        if not runs:
            continue
        preds = {}
        for p in runs[0]["predictors"]:
            preds[p] = {k: stats(r["predictors"].get(p, {}).get(k) for r in runs)
                        for k, _ in METRICS}
        spe = [x for r in runs for x in r["train_seconds_per_epoch"]]
        single = {p: v["mrr"][0] for p, v in preds.items()
                  if p in PAIR_PREDICTORS and v["mrr"][0] is not None}
        out[variant] = {
            "seeds": [r["seed"] for r in runs], "predictors": preds, "refused": refused,
            "base": base_of(runs),
            "val_mrr": stats(r.get("val_mrr") for r in runs),
            "diagnostics": {k: stats((r.get("diagnostics") or {}).get(k) for r in runs)
                            for k in DIAGNOSTICS},
            "best_heuristic": max(single, key=single.get) if single else None,
            "epochs": [r["epochs"] for r in runs], "best_epoch": [r["best_epoch"] for r in runs],
            "train_seconds_per_epoch": stats(spe)[0],
            "first_epoch_seconds": stats(r["train_seconds_per_epoch"][0] for r in runs)[0],
            "later_epoch_seconds": stats(x for r in runs
                                         for x in r["train_seconds_per_epoch"][1:])[0],
            "peak_rss_mib_train": max(r["peak_rss_mib_train"] for r in runs),
            "wall_seconds": sum(r["train_wall_seconds"] + r["eval_wall_seconds"]
                                for r in runs)}
        ranked = [r for r in runs if r.get("destination_predictors")]
        if ranked:                       # the same runs on the destination negatives
            dest = {p: {k: stats(r["destination_predictors"].get(p, {}).get(k)
                                 for r in ranked) for k, _ in METRICS}
                    for p in ranked[0]["destination_predictors"]}
            single = {p: v["mrr"][0] for p, v in dest.items()
                      if p in PAIR_PREDICTORS and v["mrr"][0] is not None}
            out[variant]["destination"] = {
                "seeds": [r["seed"] for r in ranked], "predictors": dest,
                "best_heuristic": max(single, key=single.get) if single else None}
    return out


def _f(v, digits: int = 3) -> str:
    return "n/a" if v is None else f"{float(v):.{digits}f}"


def _pm(st: tuple) -> str:
    mean, std, n = st
    if mean is None:
        return "n/a"
    return _f(mean) + (f" ± {std:.3f}" if std is not None else "")


def _code_text(runs: list, commits: list) -> str:
    """Which commits' ``gcngan`` the runs trained: per group (the sparse model, the
    ablations) when the runs record it, else the report's commits."""
    def short(cs):
        return ", ".join(f"`{c[:10]}`" for c in sorted(cs))

    groups = {"the sparse model": {r.get("commit") for r in runs if r["variant"] == "sparse"},
              "the ablations": {r.get("commit") for r in runs if r["variant"] not in MODELS},
              "the dense model": {r.get("commit") for r in runs if r["variant"] == "dense"}}
    if runs and all(r.get("commit") for r in runs):
        return "model code (`gcngan/` of the commit) " + "; ".join(
            f"{name}: {short(cs)}" for name, cs in groups.items() if cs)
    named = [c for c in commits if c]
    return f"model code of commit{'s' if len(named) > 1 else ''} " + (short(named) or
                                                                      "the working tree")


def _clock_text(clock: str | None) -> str:
    if clock == "cpu":
        return ("Seconds per epoch are CPU seconds of the training process (its trainer's "
                "clock set to `time.process_time`, because the shared 2-core CPU ran other "
                "jobs that made wall time several times longer; each run's wall and CPU "
                "totals are in the JSON)")
    return ("Seconds per epoch are wall-clock seconds on a shared 2-core CPU (other jobs "
            "running: upper bounds)")


def verdict(d: dict, summary: dict | None = None) -> tuple[str, dict]:
    """The dataset's verdict line against issue 15's targets (the sparse model's mean MRR
    over seeds >= the best single heuristic's; >= stacked-heuristics') and the two
    booleans ``{'heuristic': bool, 'stacked': bool}`` (``None`` when not measured)."""
    summary = summarize(d) if summary is None else summary
    s = summary.get("sparse")
    if s is None:
        return f"**Verdict ({d['dataset']}):** the sparse model was not run.", \
            {"heuristic": None, "stacked": None}
    m = s["predictors"]["model"]["mrr"][0]
    best = s["best_heuristic"]
    h = s["predictors"][best]["mrr"][0] if best else None
    st = s["predictors"].get("stacked-heuristics", {}).get("mrr", (None,))[0]
    ok = {"heuristic": None if h is None or m is None else m >= h,
          "stacked": None if st is None or m is None else m >= st}

    def part(name, other, flag):
        if flag is None:
            return f"{name} not ranked"
        diff = m - other
        return (f"{'meets' if flag else 'misses'} {name} ({_f(other)}, {diff:+.3f}, "
                f"{(m / other - 1) * 100:+.1f}%)" if other else
                f"{'meets' if flag else 'misses'} {name} ({_f(other)})")

    n = len(s["seeds"])
    text = (f"**Verdict ({d['dataset']}):** sparse model MRR {_pm(s['predictors']['model']['mrr'])} "
            f"(mean of {n} seed{'s' if n != 1 else ''}) "
            f"{part('the best single heuristic ' + str(best), h, ok['heuristic'])}; "
            f"{part('stacked-heuristics', st, ok['stacked'])}.")
    return text, ok


def render_destinations(report: dict) -> list[str]:
    """"On destination negatives": the same runs ranked on a second negatives file whose
    uniform negatives come from the destinations only (TGB's random draw), per dataset the
    variants' MRR all/new/repeated beside the best single heuristic and stacked-heuristics
    on that file, a verdict per dataset (:func:`verdict` on those numbers) and the count.
    Empty when no run was ranked there."""
    summaries = [(d, summarize(d)) for d in report["datasets"]]
    if not any("destination" in v for _, summ in summaries for v in summ.values()):
        return []
    lines = ["### On destination negatives (TGB's random draw)", "",
             "Each run above is also ranked on a second negatives file of the same test "
             "targets, queries, q and seed whose uniform negatives come from the "
             "*destinations* only (`evaluate --protocol ranking --uniform-from "
             "destinations`: the nodes that are some link's destination up to t). TGB "
             "draws its random negatives from the destination ids, so on a user -> item "
             "stream (wikipedia) every negative is an item, never a user, and ranking is "
             "harder; on the other datasets almost every node is a destination and little "
             "changes. No model selection looks at this file. Runs that predate it are not "
             "in this table (the *seeds* column counts the runs that are).", "",
             "| dataset | queries | predictor | seeds | MRR all | MRR new | MRR repeated |",
             "|---|---:|---|---:|---:|---:|---:|"]
    verdicts, oks = [], []
    for d, summ in summaries:
        rows = []
        for variant, v in summ.items():
            dest = v.get("destination")
            if dest is None:
                continue
            p = dest["predictors"]["model"]
            rows.append([variant_label(variant, v), str(len(dest["seeds"])),
                         *(_pm(p[k]) for k, _ in METRICS)])
        base = (summ.get("sparse") or {}).get("destination")
        if base is None:
            continue
        for p in (base["best_heuristic"], "stacked-heuristics"):
            if p and p in base["predictors"]:
                r = base["predictors"][p]
                rows.append([f"{p}{' (best heuristic)' if p != 'stacked-heuristics' else ''}",
                             "", *(_f(r[k][0]) for k, _ in METRICS)])
        head = [d["dataset"], str(d.get("destination_queries", ""))]
        for i, r in enumerate(rows):
            lines.append("| " + " | ".join((head if i == 0 else ["", ""]) + r) + " |")
        text, ok = verdict(d, {"sparse": base})
        verdicts.append(text.replace("**Verdict (", "**On destination negatives (", 1))
        oks.append(ok)
    lines.append("")
    for text in verdicts:
        lines += [text, ""]
    n = len(oks)
    lines += [f"On destination negatives the sparse model's mean MRR is >= the best single "
              f"heuristic's on {sum(1 for o in oks if o['heuristic'])} of {n} datasets and "
              f">= stacked-heuristics' on {sum(1 for o in oks if o['stacked'])} of {n}.", ""]
    return lines


def _refusal(refused: list) -> str:
    """``refused: <summary>`` of a variant's refused runs (e.g. ``about 19.1 GiB needed
    (GCNGAN_MEMORY_LIMIT=8G)``; distinct summaries joined)."""
    return "refused: " + " / ".join(sorted({r.get("summary") or r.get("refused") or "?"
                                             for r in refused}))


def _dense_text(runs: list) -> str:
    if not any(r["variant"] == "dense" for r in runs):
        return ""
    limit = next((r.get("memory_limit") for r in runs if r.get("memory_limit")),
                 DENSE_MEMORY_LIMIT)
    return (f" The dense model (`--preset {DENSE_PRESET}`, the N x N model) is trained the "
            f"same way under GCNGAN_MEMORY_LIMIT={limit} (its epoch chosen by validation "
            f"RMSE, its own criterion); where `train` refuses it for memory (its estimate "
            f"above the limit, or snapshots too large for its dense N x N view), the "
            f"table shows the refusal.")


def _closer(key: str, a, b) -> int:
    """1 when ``a`` is closer to the truth than ``b`` on diagnostic ``key``, -1 when ``b``
    is, 0 on a tie or a missing value (link count: ratio nearer 1 on a log scale; F1
    higher; W1, KS lower), compared at the 3 decimals the table shows (float noise between
    two runs is a tie)."""
    if a is None or b is None:
        return 0
    a, b = round(float(a), 3), round(float(b), 3)
    if key == "link_ratio":
        if a <= 0 or b <= 0:
            a, b = abs(a - 1), abs(b - 1)
        else:
            a, b = abs(math.log(a)), abs(math.log(b))
        return (a < b) - (a > b)
    if key == "f1":
        return (a > b) - (a < b)
    return (a < b) - (a > b)


#: the diagnostics compared in "What the adversarial term does": key -> label
CLOSER = {"link_ratio": "link count", "f1": "F1", "w1": "W1", "ks": "KS"}


def render_adversarial(report: dict) -> list[str]:
    """"What the adversarial term does": per dataset and variant, the mean over seeds of
    the links the model predicts on the test candidates against the true ones (count
    ratio), existence F1, and W1 / KS of its weights on the true links (``n/a`` for runs
    that predate the diagnostics), and a sentence per dataset saying whether the sparse
    model or the one without the adversarial term is closer to the truth."""
    lines = ["### What the adversarial term does", "",
             "The critic judges the *set* of links the generator emits, so its term should "
             "change how many links the model predicts and with which weights, not only their "
             "order (MRR). Over the distinct candidate pairs of the test ranking (each target's "
             "queries and their negatives): links predicted (weight > 0) against the true "
             "links, existence F1, and on the true links the 1-Wasserstein distance (W1) and "
             "the Kolmogorov-Smirnov statistic (KS) between the predicted and the true raw "
             "weights (a missed link counts as weight 0); means over seeds "
             "(`gcngan.ranking.link_diagnostics`, `evaluate --protocol ranking`'s "
             "`diagnostics`).", "",
             "| dataset | model | seeds | predicted / true links | ratio | F1 | W1 | KS |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    sentences = []
    for d in report["datasets"]:
        summ = summarize(d)
        first = True
        for variant, v in summ.items():
            if "predictors" not in v:
                continue
            g = {k: v["diagnostics"][k][0] for k in DIAGNOSTICS}
            n = v["diagnostics"]["predicted_links"][2]
            counts = ("n/a" if g["predicted_links"] is None else
                      f"{g['predicted_links']:.0f} / {g['true_links']:.0f}")
            lines.append("| " + " | ".join([d["dataset"] if first else "",
                                             variant_label(variant, v), str(n), counts,
                                             _f(g["link_ratio"], 2), _f(g["f1"]),
                                             _f(g["w1"]), _f(g["ks"])]) + " |")
            first = False
        sentences.append(_adversarial_sentence(d["dataset"], summ))
    lines.append("")
    for text in sentences:
        lines += [text, ""]
    return lines


def _adversarial_sentence(name: str, summ: dict) -> str:
    b = summ.get("no-adversarial")
    a = summ.get((b or {}).get("base", SPARSE_PRESET))           # the preset it ablates
    if not (a and b and "predictors" in a and "predictors" in b) or \
            a["diagnostics"]["f1"][0] is None or b["diagnostics"]["f1"][0] is None:
        return (f"*{name}:* n/a: the sparse model and the one without the adversarial term "
                f"were not both measured with these diagnostics.")
    win = {k: _closer(k, a["diagnostics"][k][0], b["diagnostics"][k][0]) for k in CLOSER}
    ours = [CLOSER[k] for k, w in win.items() if w > 0]
    theirs = [CLOSER[k] for k, w in win.items() if w < 0]
    same = [CLOSER[k] for k, w in win.items() if w == 0]
    if len(ours) > len(theirs):
        head = "the sparse model (with the adversarial term) is closer to the truth"
    elif len(theirs) > len(ours):
        head = "the model without the adversarial term is closer to the truth"
    else:
        head = "neither is closer to the truth overall"
    parts = [f"with the term closer on {', '.join(ours)}" if ours else "",
             f"without it closer on {', '.join(theirs)}" if theirs else "",
             f"equal on {', '.join(same)}" if same else ""]
    ra, rb = a["diagnostics"]["link_ratio"][0], b["diagnostics"]["link_ratio"][0]
    return (f"*{name}:* {head} ({'; '.join(x for x in parts if x)}); it predicts "
            f"{_f(ra, 2)}x the true links with the term, {_f(rb, 2)}x without.")


#: the weighted mesh datasets of the split protocol (``doc["split"]``) counted in the choice
MESH = ("mesh1", "ucsb-meshnet-1005")


def _split_means(split: list, dataset: str) -> tuple[dict | None, dict | None]:
    """``(dense, sparse)`` of the split protocol on ``dataset``: per model the mean over
    seeds of its test metrics and of its validation criterion (``val_rmse`` for the dense
    model: rows of method ``dense`` or, before issue 15, ``default`` with ``val_rmse``;
    ``val_mrr`` for the sparse one: ``sparse`` or ``default`` rows with ``val_mrr``)."""
    def mean_of(rows, key):
        rows = [r for r in rows if r.get(key) is not None]
        if not rows:
            return None
        metrics = {m: stats(r["metrics"].get(m) for r in rows)[0] for m in rows[0]["metrics"]}
        return {"n": len(rows), key: stats(r[key] for r in rows)[0], "metrics": metrics}

    rows = [r for r in split if r.get("dataset") == dataset]
    dense = mean_of([r for r in rows if r.get("method") in ("dense", "default")], "val_rmse")
    sparse = mean_of([r for r in rows if r.get("method") in ("sparse", "default")], "val_mrr")
    return dense, sparse


def render_choice(report: dict, split: list | None = None) -> list[str]:
    """"Choosing the default preset (validation only)": per ranking dataset the validation
    MRR (mean over seeds) of the sparse model and of the dense model (or its memory
    refusal) and the winner; the weighted mesh datasets of the split protocol (``split``:
    ``doc["split"]``), where the two models' validation criteria differ, counted for the
    dense model; a verdict: the preset that wins on most datasets."""
    lines = ["### Choosing the default preset (validation only)", "",
             "Issue 15: the `default` preset becomes whichever model the benchmark shows best "
             "across the datasets, **chosen on validation only**. On the ranking datasets "
             "both models are ranked by `evaluate --protocol ranking --split val` on the 3 "
             "validation targets (the same q, queries per target and negatives seed as the "
             "test negatives); a dense model that `train` refuses for memory cannot be the "
             "default there.", "",
             "| dataset | sparse: validation MRR | dense: validation MRR | winner |",
             "|---|---:|---:|---|"]
    wins = {"sparse": 0, "dense": 0}
    undecided = []
    for d in report["datasets"]:
        summ = summarize(d)
        sp, de = summ.get("sparse"), summ.get("dense")
        s_val = sp["val_mrr"] if sp and "predictors" in sp else (None, None, 0)
        if de is None:
            d_text, d_val = "not run", None
        elif "predictors" not in de:
            d_text, d_val = _refusal(de["refused"]), None
        else:
            d_val = de["val_mrr"][0]
            d_text = _pm(de["val_mrr"]) + _seeds(de["val_mrr"][2])
        s_text = _pm(s_val) + (_seeds(s_val[2]) if s_val[0] is not None else "")
        if s_val[0] is None:
            winner = "n/a (no validation MRR of the sparse model)"
        elif de is not None and "predictors" not in de:
            winner = "sparse (dense refused)"
        elif d_val is None:
            winner = "n/a (dense " + ("not run" if de is None else "without validation MRR") + ")"
        elif s_val[0] > d_val:
            winner = "sparse"
        elif d_val > s_val[0]:
            winner = "dense"
        else:
            winner = "tie"
        key = winner.split()[0]
        if key in wins:
            wins[key] += 1
        else:
            undecided.append(d["dataset"])
        lines.append(f"| {d['dataset']} | {s_text} | {d_text} | {winner} |")
    mesh_notes = []
    for name in MESH:
        dense, sparse = _split_means(split or [], name)
        if dense is None or sparse is None:
            continue
        common = [m for m in dense["metrics"] if m in sparse["metrics"]
                  and dense["metrics"][m] is not None and sparse["metrics"][m] is not None]
        better = sum(_lower_is_better(m) and dense["metrics"][m] < sparse["metrics"][m]
                     or not _lower_is_better(m) and dense["metrics"][m] > sparse["metrics"][m]
                     for m in common)
        wins["dense"] += 1
        lines.append(f"| {name} (split protocol) | not comparable (val MRR "
                     f"{_f(sparse['val_mrr'])}) | not comparable (val RMSE "
                     f"{_f(dense['val_rmse'])}) | dense (counted for it) |")
        mesh_notes.append(f"{name}: {better} of {len(common)}")
    lines.append("")
    if mesh_notes:
        lines += ["On the weighted mesh datasets the split protocol selects each model on its "
                  "own criterion (the dense model on validation RMSE, the sparse model on "
                  "validation MRR), so no validation number compares them; they are counted "
                  "for the dense model, conservatively: on the split protocol's test metrics "
                  "(reported, not used to choose) the dense model is better on "
                  + "; ".join(mesh_notes) + " metrics.", ""]
    total = wins["sparse"] + wins["dense"] + len(undecided)
    names = {"sparse": f"the sparse model (`{SPARSE_PRESET}`)",
             "dense": f"the dense model (`{DENSE_PRESET}`)"}
    best = max(wins, key=wins.get)
    other = "dense" if best == "sparse" else "sparse"
    if wins[best] > total / 2:                          # more than half of all datasets
        text = (f"{names[best]} wins on most datasets: {wins[best]} of {total} (the "
                f"{other} model on {wins[other]}).")
    elif undecided:
        text = (f"not decided yet: the sparse model wins on {wins['sparse']}, the dense "
                f"model on {wins['dense']} of {total} datasets; no comparable validation MRR "
                f"on {', '.join(undecided)}.")
    else:
        text = (f"neither model wins on most datasets: the sparse model on {wins['sparse']}, "
                f"the dense model on {wins['dense']} of {total}.")
    lines += [f"**Verdict (validation only):** {text}", ""]
    return lines


def _ablation_seeds_text(ab_seeds: str, seeds: str, uneven: bool) -> str:
    """The ablations' part of the seeds sentence."""
    if not ab_seeds or (ab_seeds == seeds and not uneven):
        return ""
    return (f", {ab_seeds} for the ablations"
            + (" (not all on every dataset: the *seeds* column counts each row's runs)"
               if uneven else ""))


def _uneven_ablations(report: dict) -> bool:
    """Whether the ablations ran with different seed sets on different datasets."""
    sets = {frozenset(r["seed"] for r in d.get("runs", []) if r["variant"] not in MODELS)
            for d in report["datasets"]}
    return len(sets - {frozenset()}) > 1


def _sampled_text(report: dict) -> str:
    """The sentence naming the datasets on which the preset's GCN trains on sampled
    subgraphs (more nodes than its ``train.subgraph_nodes``, from commit b99c4a2 on)."""
    limit = preset_subgraph_nodes()
    big = [d["dataset"] for d in report["datasets"] if limit and d["num_nodes"] > limit]
    if not big:
        return ""
    return (f" On {', '.join(big)} (more than {limit:,} nodes, the preset's "
            f"`train.subgraph_nodes` from commit b99c4a2 on) the sparse model's GCN trains on "
            f"sampled subgraphs; `whole-window` is the same model on whole windows (see "
            f"\"Sampled subgraphs against whole windows\" below).")


def against_preset(d: dict, variant: str, base: str | None = None):
    """A dataset's preset (or the variant ``base``; default: the preset ``variant``'s runs
    were measured on, :func:`base_of`) and ``variant`` on validation: ``(base
    summary, variant summary, difference variant - base of the mean validation MRR,
    verdict)`` with the verdict ``"same"`` (within the larger of the two seed stds),
    ``"variant"`` or ``"preset"`` (the base better beyond it); ``None`` unless both ran
    with a validation MRR. Both summaries are of the seeds both ran when they share at
    least two (else of all their runs), so that more seeds of one side do not shift the
    comparison."""
    if base is None:
        base = base_of([r for r in d["runs"] if r["variant"] == variant])
    seeds = {v: {r["seed"] for r in d["runs"] if r["variant"] == v and not r.get("refused")
                 and r.get("val_mrr") is not None} for v in (base, variant)}
    common = seeds[base] & seeds[variant]
    if len(common) >= 2:
        d = {**d, "runs": [r for r in d["runs"]
                           if r["variant"] not in (base, variant) or r["seed"] in common]}
    summ = summarize(d)
    sp, va = summ.get(base), summ.get(variant)
    if not (sp and va and "predictors" in sp and "predictors" in va):
        return None
    (sm, ss, _), (vm, vs, _) = sp["val_mrr"], va["val_mrr"]
    if sm is None or vm is None:
        return None
    diff = vm - sm
    key = ("same" if abs(diff) <= max(ss or 0.0, vs or 0.0)
           else "variant" if diff > 0 else "preset")
    return sp, va, diff, key


def _val_cells(*summaries) -> str:
    """Table cells of each summary's validation MRR: mean ± std (seeds)."""
    return " | ".join(f"{_pm(v['val_mrr'])}{_seeds(v['val_mrr'][2])}" for v in summaries)


def render_subgraphs(report: dict) -> list[str]:
    """"Sampled subgraphs against whole windows (validation only)": on each dataset where
    both ran, the validation MRR (mean ± std over seeds) of the preset (its GCN trained on
    sampled subgraphs, ``train.subgraph_nodes``) and of ``whole-window``, the later epochs'
    seconds of each, and which is better beyond seed noise (the larger of the two stds);
    nothing when no dataset has both."""
    rows, tally = [], {"same": 0, "sampled": 0, "whole": 0}
    for d in report["datasets"]:
        both = against_preset(d, "whole-window")
        if both is None:
            continue
        sp, wh, _, key = both
        diff = sp["val_mrr"][0] - wh["val_mrr"][0]                       # sampled - whole
        key = {"same": "same", "variant": "whole", "preset": "sampled"}[key]
        tally[key] += 1
        word = {"same": "same within seed noise", "sampled": "sampled better",
                "whole": "whole windows better"}[key]
        rows.append(f"| {d['dataset']} | {d['num_nodes']:,} | {_val_cells(sp, wh)} | "
                    f"{diff:+.3f} ({word}) | {_f(sp['later_epoch_seconds'], 1)} / "
                    f"{_f(wh['later_epoch_seconds'], 1)} |")
    if not rows:
        return []
    n = len(rows)
    return ["### Sampled subgraphs against whole windows (validation only)", "",
            f"Where N > `train.subgraph_nodes` the preset's GCN trains on sampled subgraphs "
            f"(`gcngan.subgraph`: the window links induced on the candidates' endpoints and "
            f"their window neighbours; same candidates); `whole-window` is the same model "
            f"trained with `subgraph_nodes=0`. Validation MRR decides, as for the default "
            f"preset; *s/epoch* is the later epochs' mean.", "",
            "| dataset | nodes | sampled: validation MRR | whole windows: validation MRR | "
            "difference | s/epoch sampled / whole |",
            "|---|---:|---:|---:|---:|---:|", *rows, "",
            f"**Verdict (validation only):** sampled subgraphs are as good as whole windows "
            f"within seed noise on {tally['same']} of {n} datasets, better on "
            f"{tally['sampled']}, worse on {tally['whole']}"
            + (" — the preset keeps them (a step's cost bounded by the settings, not N)."
               if tally["whole"] == 0 else
               " — they cost validation MRR there: train with `--set subgraph_nodes=0` "
               "where whole windows fit."), ""]


#: the variants whose validation MRR :func:`render_variants` sets beside the preset's (the
#: ablations, and a switch the preset leaves off); ``whole-window`` has its own section
#: (:func:`render_subgraphs`)
VALIDATION_VARIANTS = ("no-gcn", "no-structure", "no-adversarial", "no-paths", "gcn-skip",
                       "node-activity", "gcn-mirror", "negatives-50", "random-features",
                       "negative-pool-500", "max-links-100", "dense-embeddings",
                       "source-queries", "source-queries-1000", "no-history", "no-pool")


def render_variants(report: dict) -> list[str]:
    """"The variants against the preset (validation only)": per variant of
    :data:`VALIDATION_VARIANTS` and dataset where both ran, the validation MRR (mean ± std
    over seeds) of the preset and of the variant, the difference, and whether it is beyond
    seed noise (the larger of the two stds; one seed has none); per variant a line that
    counts them. What decides a preset's switch is this table, not the test rows above;
    nothing when no variant ran."""
    rows, counts, labels = [], {}, {}
    for variant in VALIDATION_VARIANTS:
        tally = {"same": 0, "variant": 0, "preset": 0}
        for d in report["datasets"]:
            both = against_preset(d, variant)
            if both is None:
                continue
            sp, va, diff, key = both
            tally[key] += 1
            word = {"same": "same within seed noise", "variant": "variant better",
                    "preset": "preset better"}[key]
            labels[variant] = variant_label(variant, va)
            rows.append(f"| {labels[variant]} | {d['dataset']} | "
                        f"{_val_cells(sp, va)} | {diff:+.3f} ({word}) |")
        if sum(tally.values()):
            counts[variant] = tally
    if not rows:
        return []
    lines = ["### The variants against the preset (validation only)", "",
             "The validation MRR (the 3 validation targets, the same runs as the test rows "
             "above) of each variant beside the preset's on the datasets where it ran: what "
             "a switch of the preset is decided on, on the seeds both ran (where the preset "
             "ran more seeds on a dataset, its cell here is of the variant's seeds only). "
             "*Beyond seed noise* means a difference "
             "larger than the larger of the two standard deviations (a variant run with one "
             "seed has none). A variant measured on an earlier preset (its label says so) "
             "is set beside that preset's runs, the change it made, not beside today's "
             "preset.", "",
             "| variant | dataset | preset: validation MRR | variant: validation MRR | "
             "difference (variant - preset) |",
             "|---|---|---:|---:|---:|", *rows, ""]
    for variant, t in counts.items():
        n = sum(t.values())
        than = "that preset" if labels[variant] != VARIANT_LABELS[variant] else "the preset"
        lines.append(f"- {labels[variant]}: better than {than} beyond seed noise "
                     f"on {t['variant']} of {n} datasets, worse on {t['preset']}, the same "
                     f"within noise on {t['same']}.")
    return lines + [""]


def render_gcn_alone(report: dict) -> list[str]:
    """"What the GCN learns on its own (validation only)": with the structure features off,
    the node states are all the decoder reads; ``no-structure`` (with the GCN) against
    ``no-structure-no-gcn`` (without it) per dataset where both ran, and a count. Nothing
    when no dataset has both."""
    rows, tally, mixed = [], {"same": 0, "variant": 0, "preset": 0}, set()
    for d in report["datasets"]:
        both = against_preset(d, "no-structure-no-gcn", base="no-structure")
        if both is None:
            continue
        with_gcn, without, _, key = both
        if with_gcn["base"] != without["base"]:
            mixed |= {b for b in (with_gcn["base"], without["base"]) if b != SPARSE_PRESET}
        tally[key] += 1
        diff = with_gcn["val_mrr"][0] - without["val_mrr"][0]            # with - without
        word = {"same": "same within seed noise", "variant": "without better",
                "preset": "with the GCN better"}[key]
        rows.append(f"| {d['dataset']} | {_val_cells(with_gcn, without)} | "
                    f"{diff:+.3f} ({word}) |")
    if not rows:
        return []
    return ["### What the GCN learns on its own (validation only)", "",
            "With the structure features off (`pair_features=false`) the pair decoder reads "
            "the node states only, so whatever structure it uses the graph convolution has "
            "to find: the same model with the GCN (`no-structure`) and without it "
            "(`no-structure-no-gcn`: `encoder=none` as well)."
            + "".join(f" Some of these runs were measured {BASE_TEXTS.get(b, f'on {b}')} "
                      f"and the others on today's preset: the decoder reads no pair feature "
                      f"in either, the critic reads today's or that preset's."
                      for b in sorted(mixed)), "",
            "| dataset | with the GCN: validation MRR | without: validation MRR | "
            "difference (with - without) |", "|---|---:|---:|---:|", *rows, "",
            f"**Verdict (validation only):** with the structure features off, the GCN is "
            f"better beyond seed noise on {tally['preset']} of {len(rows)} datasets, worse on "
            f"{tally['variant']}, the same within noise on {tally['same']}.", ""]


def _seeds(n: int) -> str:
    return f" ({n} seed{'s' if n != 1 else ''})"


def _lower_is_better(metric: str) -> bool:
    from bench.harness import HIGHER_IS_BETTER

    return metric not in HIGHER_IS_BETTER


def render(report: dict, *, command: str = "python scripts/bench_sparse.py",
           split: list | None = None) -> str:
    """The section's Markdown: per dataset the sparse model's and its ablations' MRR
    all/new/repeated (mean ± std over seeds) beside the best single heuristic and
    stacked-heuristics, cost columns, a verdict per dataset and the targets' count; then
    "What the adversarial term does" (:func:`render_adversarial`) and "Choosing the default
    preset (validation only)" (:func:`render_choice`, with the split protocol's rows
    ``split`` for the mesh datasets), the sampled subgraphs (:func:`render_subgraphs`) and
    the other variants (:func:`render_variants`) on validation."""
    s = report.get("settings", {})
    commits = report.get("commits") or [report.get("commit")]
    epochs = s.get("epochs")
    runs = [r for d in report["datasets"] for r in d.get("runs", [])]   # seeds actually run
    seeds = ", ".join(map(str, sorted({r["seed"] for r in runs if r["variant"] == "sparse"})))
    ab_seeds = ", ".join(map(str, sorted({r["seed"] for r in runs
                                          if r["variant"] not in MODELS})))
    lines = ["## Sparse GCN-GAN on the ranking protocol", "",
             f"`{command}` ({report.get('date', '')}, "
             f"{sum((r.get('train_wall_seconds') or 0) + (r.get('eval_wall_seconds') or 0) for r in runs) / 60:.0f} "
             f"min of training and evaluation processes; "
             f"{_code_text(runs, commits)}): "
             f"`--preset sparse` trained through the command line in a fresh process per run "
             f"({'the preset epochs, early stopping on validation MRR' if epochs is None else f'{epochs} epochs'}; "
             f"validation = the 3 targets before the test targets; OMP_NUM_THREADS="
             f"{s.get('threads')}, window {s.get('window')}), then ranked with `evaluate "
             f"--protocol ranking` on the Ranking section's negatives (same sha256: q = "
             f"{s.get('q')}, at most {s.get('max_queries')} queries per target, seed "
             f"{s.get('negatives_seed')}). Seeds {seeds} for the sparse model"
             f"{_ablation_seeds_text(ab_seeds, seeds, _uneven_ablations(report))}; "
             f"MRR is the mean ± sample std over seeds. The heuristic rows are `evaluate`'s "
             f"on the same candidates; its `stacked-heuristics` is fitted on the run's "
             f"training targets (the 3 validation targets held out), so it can differ "
             f"slightly from the Ranking section's. *best heuristic* is the single heuristic "
             f"with the highest test MRR (the target's comparator, not a selection). "
             f"{_clock_text(s.get('clock'))}, per epoch of training as `log.csv` records "
             f"them (the first epoch also computes and caches the candidates' pair features); "
             f"peak RSS is the training process's. No GPU was available: no GPU numbers were "
             f"measured.{_dense_text(runs)}{_sampled_text(report)}", "",
             "| dataset | nodes | queries | predictor | seeds | MRR all | MRR new | "
             "MRR repeated | epochs (best) | s/epoch first / later | peak RSS MiB |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    verdicts, oks = [], []
    order = list(DATASETS)
    report = {**report, "datasets": sorted(     # the Ranking section's order
        (d for d in report["datasets"] if "runs" in d),
        key=lambda d: order.index(d["dataset"]) if d["dataset"] in order else len(order))}
    for d in report["datasets"]:                  # (an earlier format without runs: skipped)
        summ = summarize(d)
        head = [d["dataset"], str(d["num_nodes"]), str(d["queries"])]
        rows = []
        for variant, v in summ.items():
            if "predictors" not in v:                  # every run refused for memory
                rows.append([variant_label(variant, v), "0", _refusal(v["refused"]),
                             "", "", "", "", ""])
                continue
            p = v["predictors"]["model"]
            cost = (f"{_f(v['first_epoch_seconds'], 1)} / {_f(v['later_epoch_seconds'], 1)}")
            rows.append([variant_label(variant, v), str(len(v["seeds"])),
                         *(_pm(p[k]) for k, _ in METRICS),
                         f"{'/'.join(map(str, v['epochs']))} "
                         f"({'/'.join(map(str, v['best_epoch']))})", cost,
                         _f(v["peak_rss_mib_train"], 0)])
        base = summ.get("sparse") or next((v for v in summ.values() if "predictors" in v),
                                          None)
        if base is not None:
            for p in (base["best_heuristic"], "stacked-heuristics"):
                if p and p in base["predictors"]:
                    r = base["predictors"][p]
                    rows.append([f"{p}{' (best heuristic)' if p != 'stacked-heuristics' else ''}",
                                 "", *(_f(r[k][0]) for k, _ in METRICS), "", "", ""])
        for i, r in enumerate(rows):
            lines.append("| " + " | ".join((head if i == 0 else [""] * 3) + r) + " |")
        text, ok = verdict(d, summ)
        verdicts.append(text)
        oks.append(ok)
    lines.append("")
    for text in verdicts:
        lines += [text, ""]
    n = len(oks)
    h = sum(1 for o in oks if o["heuristic"])
    st = sum(1 for o in oks if o["stacked"])
    lines += [f"**Targets (issue 15, mean of the seeds):** MRR >= the best single heuristic "
              f"on {h} of {n} datasets (target: all{', met' if n and h == n else ', not met'}"
              f"); MRR >= stacked-heuristics on {st} of {n} (target: at least 4 of the six"
              f"{', met' if st >= 4 else ', not met'}).", ""]
    ablations = [v for v in VARIANTS if v != "sparse"
                 and not any(r["variant"] == v for d in report["datasets"] for r in d["runs"])]
    if ablations:
        lines += ["Not measured: " + ", ".join(VARIANT_LABELS[v] for v in ablations) + ".", ""]
    lines += ["Wall time per dataset (training + evaluation processes, all its runs, on the "
              "shared machine): " + "; ".join(
                  f"{d['dataset']} {sum(r['train_wall_seconds'] + r['eval_wall_seconds'] for r in d['runs']) / 60:.1f} min"
                  for d in report["datasets"]) + ".", ""]
    lines += (render_destinations(report) + render_adversarial(report)
              + render_choice(report, split) + render_subgraphs(report)
              + render_variants(report) + render_gcn_alone(report))
    return "\n".join(lines).rstrip("\n") + "\n"


def add_output_arguments(ap: argparse.ArgumentParser) -> None:
    """The options every benchmark script shares: ``--working-tree`` (measure the working
    tree's ``gcngan``, not HEAD's), ``--json`` (the report) and ``--document`` (a benchmark
    document for ``benchmark.py --render-only --combine``)."""
    ap.add_argument("--working-tree", dest="working_tree", action="store_true",
                    help="run the working tree's gcngan instead of HEAD's")
    ap.add_argument("--json", default=None, help="write the report")
    ap.add_argument("--document", default=None, metavar="DOC.json",
                    help="write a benchmark document (merge it: benchmark.py --render-only "
                         "--combine docs/results.json,DOC.json)")


def benchmark_document(sections: dict, command: str, seconds: float,
                       device: str = "cpu") -> dict:
    """A benchmark document holding only ``sections`` (e.g. ``{"sparse": report}``, whose
    quality runs or ``cost`` :func:`bench.sections.merge_sparse` merges) for
    ``benchmark.py --render-only --combine``; ``command`` is the script's command line."""
    import datetime

    from bench.harness import environment

    return {"generated": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": command, "profile": "full",
            "environment": {**environment(device), "total_seconds": seconds},
            **sections}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="twitter_tennis_rg17,enron184")
    ap.add_argument("--variants", default="sparse",
                    help=f"comma-separated subset of {', '.join(VARIANTS)}")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--ablation-seeds", dest="ablation_seeds", default=None)
    ap.add_argument("--root", default=str(DATASETS_ROOT))
    ap.add_argument("--epochs", type=int, default=None,
                    help="default: the preset's epochs and early stopping")
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--q", type=int, default=100)
    ap.add_argument("--max-queries", dest="max_queries", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1,
                    help="OMP_NUM_THREADS of the training/evaluation processes (default 1: "
                         "the model's tensors are small; on a shared CPU more threads spin)")
    add_output_arguments(ap)
    ap.add_argument("--recover", default=None, metavar="TMPDIR",
                    help="rank again the finished runs of an interrupted run (its temporary "
                         "folder and --recover-log) and write a benchmark document to --json "
                         "(merge it with benchmark.py --render-only --combine)")
    ap.add_argument("--recover-log", dest="recover_log", default=None)
    ap.add_argument("--recover-commit", dest="recover_commit", default=None,
                    help="the commit the interrupted run trained")
    ap.add_argument("--rebase-preset", dest="rebase", default=None, metavar="VARIANT",
                    help="after a change of the preset: in the benchmark document --results, "
                         "the sparse section's preset runs become VARIANT's (e.g. "
                         "no-history) and its other variants' runs are marked as measured "
                         "on it (rebase_preset); then render with benchmark.py --render-only")
    ap.add_argument("--results", default=str(REPO / "docs" / "results.json"),
                    help="the document --rebase-preset rewrites (default docs/results.json)")
    args = ap.parse_args(argv)
    command = "python scripts/bench_sparse.py " + " ".join(argv or sys.argv[1:])
    t0 = time.perf_counter()
    if args.rebase:
        path = Path(args.results)
        doc = json.loads(path.read_text())
        doc["sparse"] = {**rebase_preset({k: v for k, v in doc["sparse"].items()
                                          if k != "cost"}, args.rebase),
                         **({"cost": doc["sparse"]["cost"]} if "cost" in doc["sparse"] else {})}
        doc["command"] = f"{doc.get('command', '')}\n{command}".lstrip("\n")
        from gcngan.io import atomic_write_json

        atomic_write_json(path, doc)
        return 0
    if args.recover:
        report = recover(Path(args.recover), Path(args.recover_log).read_text(),
                         Path(args.root), commit=args.recover_commit, threads=args.threads,
                         progress=lambda line: print(line, file=sys.stderr, flush=True))
        doc = benchmark_document({"sparse": report}, command, time.perf_counter() - t0)
        Path(args.json).write_text(json.dumps(doc, indent=1))
        print(render(report))
        return 0

    def ints(text):
        return tuple(int(x) for x in text.split(",") if x.strip())

    report = run_report([d.strip() for d in args.datasets.split(",") if d.strip()],
                        Path(args.root), variants=tuple(v.strip() for v in
                                                        args.variants.split(",") if v.strip()),
                        seeds=ints(args.seeds),
                        ablation_seeds=None if args.ablation_seeds is None
                        else ints(args.ablation_seeds),
                        epochs=args.epochs, window=args.window, q=args.q,
                        max_queries=args.max_queries, threads=args.threads,
                        commit=None if args.working_tree else "HEAD",
                        progress=lambda line: print(line, file=sys.stderr, flush=True))
    text = render(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    if args.document:
        Path(args.document).write_text(json.dumps(
            benchmark_document({"sparse": report}, command, time.perf_counter() - t0),
            indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
