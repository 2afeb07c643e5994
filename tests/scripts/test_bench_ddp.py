"""scripts/bench_ddp.py: the ring all-reduce model, the 'Going wider' derivation from the
measured numbers, and the rendered section (the measurement itself is exercised by the
2-process CLI tests; it takes minutes)."""
from __future__ import annotations

import pytest

import bench_ddp
from bench.sections import render_ddp


def _run(world, step_seconds=0.2, nbytes=1_000_000, comm=0.0):
    return {"case": "c", "world": world, "epochs": 2, "threads": 1, "windows": 64,
            "batch_per_process": 8, "steps_per_epoch": 8 // world,
            "epoch_seconds": step_seconds * 8 / world, "windows_per_s": 40.0,
            "pairs_per_s": None, "pairs_per_epoch": None, "allreduce_seconds": comm,
            "allreduce_share": comm / (step_seconds * 8 / world), "step_seconds": step_seconds,
            "bytes_per_step": nbytes, "generator_bytes": nbytes // 4,
            "critic_bytes": 3 * nbytes // 4, "n_critic": 1, "wall_seconds": 9.0}


def test_ring_allreduce_time():
    # 2 (k-1) steps of nbytes / k each, plus a latency per step
    assert bench_ddp.ring_seconds(8e6, 8, 1e9, 0.0) == pytest.approx(2 * 7 * 1e6 / 1e9)
    assert bench_ddp.ring_seconds(8e6, 8, 1e9, 1e-5) == pytest.approx(0.014 + 14e-5)
    assert bench_ddp.ring_seconds(8e6, 1, 1e9, 1e-5) == 0.0


def test_wider_follows_the_measured_compute_and_bytes():
    link = ("l", 1e9, 0.0)
    w = bench_ddp.wider(_run(1, step_seconds=0.014, nbytes=8_000_000), 8, link)  # = compute
    assert w["allreduce_s"] == pytest.approx(0.014)
    assert w["share"] == pytest.approx(0.5) and w["speedup"] == pytest.approx(4.0)
    assert w["break_even_compute_speedup"] == pytest.approx(1.0)
    slow = bench_ddp.wider(_run(1, step_seconds=0.014, nbytes=16_000_000), 8, link)
    assert slow["speedup"] < w["speedup"]


def test_section_has_the_table_the_derivation_and_the_no_gpu_line():
    report = {"runs": [_run(1), _run(2, comm=0.1)], "epochs": 2, "threads_per_process": 1,
              "skipped": [{"case": "mesh1-dense", "reason": "x not found"}],
              "cpu_count": 2, "loadavg_start": [1.0, 1, 1], "loadavg_end": [2.0, 1, 1]}
    text = "\n".join(render_ddp(report))
    assert "## Going wider" in text and "No GPU numbers were measured" in text
    assert "| c | 2 | 0.80 |" in text and "12.5%" in text               # 0.1 s of 0.8 s
    assert "| mesh1-dense | – | skipped: x not found" in text
    assert "| c | 8 | NVLink" in text and "| c | 32 | 100 Gb/s Ethernet" in text
