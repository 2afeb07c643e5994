"""Data-parallel training cost against the number of processes (issue 16).

For each case (the ``dense`` preset on mesh1, the sparse preset on enron184) it
trains with 1 and 2 processes (``gcngan train [--nproc 2]``, gloo, one thread each) and
reads back, per epoch: training seconds, windows/s (and candidate pairs/s on the sparse
path), the seconds spent in the gradient all-reduces (``allreduce_seconds`` in
``log.csv``), and, from the trained models, the bytes all-reduced per step (generator and
critic gradients). From those measurements it derives what a ring all-reduce would cost
on faster links ("Going wider"): a ring over ``k`` devices moves
``2 (k - 1) / k x bytes`` per device in ``2 (k - 1)`` latency-bound steps.

On this machine the processes share the CPU cores (and other jobs), so the 2-process
numbers read as the overhead of communication and duplicated work, not as a speed-up.

Usage::

    python scripts/bench_ddp.py [--cases mesh1-dense,enron184-sparse] [--epochs 2]
    python scripts/benchmark.py --protocol ddp --merge      # into docs/results.md
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = (REPO / ".." / "shared" / "datasets").resolve()

#: name -> (file under the datasets root, gcngan train flags, what it is)
CASES = {
    "mesh1-dense": ("mesh1/mesh1.csv",
                    ["--preset", "dense", "--max-threshold", "2000", "--window", "10",
                     "--val", "10", "--test", "50"],
                    "dense preset (the default before issue 15), mesh1 (38 nodes, 445 "
                    "snapshots)"),
    "enron184-sparse": ("enron184/enron184.csv",
                        ["--preset", "sparse", "--nodes", "184", "--snapshots", "26",
                         "--window", "10", "--val", "3", "--test", "5"],
                        "sparse preset, enron184 (184 nodes, 26 snapshots, 8 training "
                        "targets)"),
    "synthetic-dense": (str(REPO / "datasets" / "synthetic_mesh.csv"),
                        ["--preset", "dense"],
                        "dense preset, the embedded synthetic mesh (24 nodes)"),
}
#: stated link speeds for the derivation: (name, bus bandwidth bytes/s, per-hop latency s)
LINKS = (("NVLink (one 8-GPU machine), 300 GB/s, 10 us", 300e9, 10e-6),
         ("100 Gb/s Ethernet (between machines), 12.5 GB/s, 30 us", 12.5e9, 30e-6))


def ring_seconds(nbytes: float, k: int, bandwidth: float, latency: float) -> float:
    """Ring all-reduce of ``nbytes`` over ``k`` devices: ``2 (k-1)`` steps each moving
    ``nbytes / k`` (``2 (k-1)/k x nbytes`` per device), each step also paying ``latency``.

    Examples:
        >>> ring_seconds(1e6, 1, 1e9, 1e-5)
        0.0
        >>> round(ring_seconds(1e6, 2, 1e9, 0.0) * 1e3, 3)     # 2 (1/2) MB at 1 GB/s
        1.0
    """
    if k <= 1:
        return 0.0
    return 2 * (k - 1) * (nbytes / k / bandwidth + latency)


def _rows(run: Path) -> list[dict]:
    with open(run / "log.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def gradient_sizes(run: Path) -> dict:
    """Bytes one step all-reduces for the generator and for the critic of the run in
    ``run`` (models rebuilt from its ``last.pt``, every trainable parameter)."""
    from gcngan.config import ExperimentConfig
    from gcngan.train import load_checkpoint
    from gcngan.train.checkpoint import generator_from_checkpoint
    from gcngan.train.distributed import gradient_bytes

    state = load_checkpoint(run / "last.pt")
    gen, cfg = generator_from_checkpoint(state)
    if cfg.model.family == "sparse":
        from gcngan.nn.sparse_model import SparseCritic

        critic = SparseCritic(cfg.model)
    else:
        from gcngan.nn import build_critic

        critic = build_critic(cfg.model, int(state["data"]["num_nodes"]))
    critic.load_state_dict(state["critic"])
    return {"generator_bytes": gradient_bytes(gen.parameters()),
            "critic_bytes": gradient_bytes(critic.parameters()),
            "n_critic": ExperimentConfig.from_dict(state["config"]).train.n_critic}


def candidate_pairs(data: Path, flags: list[str], run: Path) -> Optional[int]:
    """Candidate pairs of one training epoch on the sparse path (``None`` when dense):
    what :class:`~gcngan.train.family.SparseTrainingSet` draws, counted without features."""
    from gcngan.config import ExperimentConfig
    from gcngan.data import load_snapshots
    from gcngan.data.windows import split_of
    from gcngan.ranking import generate_negatives
    from gcngan.structural import PairIndex
    from gcngan.train import load_checkpoint

    cfg = ExperimentConfig.from_dict(load_checkpoint(run / "last.pt")["config"])
    if cfg.model.family != "sparse":
        return None
    seq = load_snapshots(data, cfg.data)
    idx, tc = PairIndex(seq), cfg.train
    return sum(len(generate_negatives(idx, [t], q=tc.negatives, max_queries=tc.max_links,
                                      seed=tc.seed * 1_000_003 + t).src)
               for t in split_of(seq, cfg.data).train)


def run_case(name: str, world: int, *, root: Path, epochs: int, work: Path,
             threads: int = 1) -> dict:
    """Train case ``name`` with ``world`` processes; the measured numbers."""
    rel, flags, _ = CASES[name]
    data = Path(rel) if Path(rel).is_absolute() else root / rel
    run = work / f"{name}-k{world}"
    cmd = [sys.executable, "-m", "gcngan", "train", str(data), "--out", str(run), "--device",
           "cpu", "--epochs", str(epochs), "--quiet", "--force", *flags]
    if world > 1:
        cmd += ["--nproc", str(world)]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{name} with {world} process(es) failed: {res.stderr.strip()}")
    rows = _rows(run)
    train_s = [float(r["train_seconds"]) for r in rows]
    comm_s = [float(r.get("allreduce_seconds") or 0.0) for r in rows]
    sizes = gradient_sizes(run)
    windows = float(rows[0]["windows_per_s"]) * train_s[0]          # training windows
    cfg_batch = json.loads((run / "config.json").read_text())["train"]["batch_size"]
    steps = -(-int(round(windows)) // (cfg_batch * world))           # global batches
    pairs = candidate_pairs(data, flags, run)
    # the first epoch pays the sparse path's candidate sampling: report the later epochs
    later = slice(1, None) if len(rows) > 1 else slice(None)
    epoch_s = sum(train_s[later]) / len(train_s[later])
    comm = sum(comm_s[later]) / len(comm_s[later])
    step_bytes = sizes["critic_bytes"] + sizes["generator_bytes"] / sizes["n_critic"]
    return {"case": name, "world": world, "epochs": len(rows), "threads": threads,
            "windows": int(round(windows)), "batch_per_process": cfg_batch,
            "steps_per_epoch": steps, "epoch_seconds": epoch_s,
            "windows_per_s": windows / epoch_s,
            "pairs_per_s": None if pairs is None else pairs / epoch_s,
            "pairs_per_epoch": pairs,
            "allreduce_seconds": comm, "allreduce_share": comm / epoch_s if epoch_s else None,
            "step_seconds": epoch_s / steps, "bytes_per_step": step_bytes, **sizes,
            "wall_seconds": wall}


def run_report(cases: list[str], root: Path, *, epochs: int = 2, worlds=(1, 2),
               progress: Optional[Callable[[str], None]] = None) -> dict:
    """Every available case at every world size; cases whose data are absent are listed
    under ``skipped``."""
    out: dict = {"runs": [], "skipped": [], "epochs": epochs, "threads_per_process": 1,
                 "links": [list(x) for x in LINKS], "cpu_count": os.cpu_count(),
                 "loadavg_start": list(os.getloadavg())}
    with tempfile.TemporaryDirectory(prefix="bench_ddp_") as tmp:
        for name in cases:
            rel = CASES[name][0]
            data = Path(rel) if Path(rel).is_absolute() else root / rel
            if not data.is_file():
                out["skipped"].append({"case": name, "reason": f"{data} not found"})
                continue
            for k in worlds:
                if progress:
                    progress(f"ddp: {name}, {k} process(es)")
                out["runs"].append(run_case(name, k, root=root, epochs=epochs, work=Path(tmp)))
    out["loadavg_end"] = list(os.getloadavg())
    return out


def wider(run: dict, k: int, link: tuple) -> dict:
    """Expected step time with ``k`` devices on ``link`` from a 1-process run: the
    measured per-step compute (each device keeps its per-process batch) plus a ring
    all-reduce of the measured gradient bytes, not overlapped (as this trainer does)."""
    _, bw, lat = link
    comm = ring_seconds(run["bytes_per_step"], k, bw, lat)
    step = run["step_seconds"]
    return {"k": k, "allreduce_s": comm, "share": comm / (step + comm),
            "speedup": k * step / (step + comm),
            # how much faster than this CPU a device may compute before the all-reduce
            # takes as long as the compute
            "break_even_compute_speedup": step / comm if comm else None}


def render(report: dict, command: str = "python scripts/benchmark.py --protocol ddp") -> str:
    """The "Going wider" section of docs/results.md."""
    L = ["## Going wider: data-parallel training (torchrun)", "",
         f"Generated by `{command}` (scripts/bench_ddp.py). Each case trained "
         f"{report['epochs']} epochs with 1 and 2 processes on the CPU (gloo, "
         f"{report['threads_per_process']} thread per process, `--batch-size` per process: "
         f"2 processes run half as many steps on global batches twice as large). This "
         f"machine has {report.get('cpu_count')} cores shared with other jobs (load average "
         f"{report['loadavg_start'][0]:.1f} at the start, {report['loadavg_end'][0]:.1f} at "
         f"the end): the 2-process rows show the cost of communication and of the work "
         f"every process repeats (validation), not a speed-up. Times per epoch are the mean "
         f"of the epochs after the first (the first pays the sparse path's candidate "
         f"sampling).", "",
         "**No GPU numbers were measured this session** (no GPU was available): NCCL, "
         "CUDA and mixed precision are untested here; the CUDA tests skip.", "",
         "| case | processes | s / epoch | windows / s | pairs / s | steps / epoch | "
         "all-reduce s / epoch | all-reduce ms / step | all-reduce share | G bytes / step | "
         "D bytes / step |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in report["runs"]:
        pairs = "" if r["pairs_per_s"] is None else f"{r['pairs_per_s']:,.0f}"
        L.append(f"| {r['case']} | {r['world']} | {r['epoch_seconds']:.2f} | "
                 f"{r['windows_per_s']:.1f} | {pairs} | {r['steps_per_epoch']} | "
                 f"{r['allreduce_seconds']:.3f} | "
                 f"{1e3 * r['allreduce_seconds'] / r['steps_per_epoch']:.1f} | "
                 f"{100 * r['allreduce_share']:.1f}% | "
                 f"{r['generator_bytes']:,} | {r['critic_bytes']:,} |")
    for s in report.get("skipped", []):
        L.append(f"| {s['case']} | – | skipped: {s['reason']} | | | | | | | | |")
    L += ["", "Reading it: the all-reduce share is the fraction of the 2-process epoch spent "
          "inside the gradient all-reduces (packing, gloo over loopback, unpacking, and "
          "waiting for the other process to reach the all-reduce, which on a loaded "
          "machine is most of it); bytes "
          "per step are the gradients of one generator step and one critic step (float32, "
          "plus one flag per tensor), the same for every world size.", ""]
    ones = [r for r in report["runs"] if r["world"] == 1]
    if ones:
        L += ["### What to expect on 8 GPUs and on several machines", "",
              "Derived, not measured: each device keeps the measured 1-process compute per "
              "step (this CPU's), and every step adds a ring all-reduce of the measured "
              "gradient bytes, `2 (k-1) x (bytes / k / bandwidth + latency)`, not overlapped "
              "with the backward pass (this trainer reduces after `backward`). Stated links: "
              + "; ".join(x[0] for x in LINKS) + ". Speed-up = k x compute / (compute + "
              "all-reduce) for the same per-device batch (weak scaling). The last column "
              "is how many times faster than this CPU a device may compute a step before "
              "the all-reduce takes as long as the compute: a GPU beyond it is "
              "communication-bound.", "",
              "| case | devices | link | compute ms / step | all-reduce ms / step | "
              "all-reduce share | speed-up | break-even device speed-up |",
              "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
        for r in ones:
            for k, link in ((8, LINKS[0]), (16, LINKS[1]), (32, LINKS[1])):
                w = wider(r, k, link)
                L.append(f"| {r['case']} | {k} | {link[0].split(',')[0]} | "
                         f"{1e3 * r['step_seconds']:.1f} | {1e3 * w['allreduce_s']:.3f} | "
                         f"{100 * w['share']:.2f}% | {w['speedup']:.2f} | "
                         f"{w['break_even_compute_speedup']:,.0f}x |")
        L.append("")
        for r in ones:
            mb = r["bytes_per_step"] / 1e6
            bound = []
            for k, link in ((8, LINKS[0]), (32, LINKS[1])):
                lat = 2 * (k - 1) * link[2]
                bw = ring_seconds(r["bytes_per_step"], k, link[1], 0.0)
                bound.append(f"{k} devices on {link[0].split(',')[0]}: "
                             f"{'latency' if lat > bw else 'bandwidth'}-bound "
                             f"({1e3 * lat:.3f} ms latency, {1e3 * bw:.3f} ms transfer)")
            L.append(f"* {r['case']}: {mb:.2f} MB of gradients per step; "
                     + "; ".join(bound) + ".")
        L += ["", "On GPUs, which compute a step many times faster than this CPU, the "
              "all-reduce share grows by that factor; the break-even column says where it "
              "would dominate (then larger per-device batches, or overlapping the reduce "
              "with the backward pass as DistributedDataParallel's buckets do, would pay). "
              "Several machines: `torchrun --nnodes M --nproc_per_node G --rdzv-backend c10d "
              "--rdzv-endpoint HOST:PORT -m gcngan train ...` on each machine (README, "
              "Training on several devices); the global batch is `batch_size x M x G`, so a "
              "larger world also changes the optimisation (no learning-rate scaling is "
              "applied).", ""]
    return "\n".join(L) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default="mesh1-dense,enron184-sparse",
                    help=f"comma-separated: {', '.join(CASES)}")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--root", default=str(DEFAULT_ROOT))
    ap.add_argument("--json", default=None, help="write the report here")
    args = ap.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        print(f"bench_ddp: unknown case {unknown[0]!r}; valid: {', '.join(CASES)}",
              file=sys.stderr)
        return 2
    report = run_report(cases, Path(args.root), epochs=args.epochs,
                        progress=lambda s: print(s, file=sys.stderr, flush=True))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    print(render(report, command="python scripts/bench_ddp.py " + " ".join(argv or
                                                                          sys.argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
