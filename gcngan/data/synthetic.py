"""A seeded synthetic wireless mesh: the project's own weighted dynamic network.

Snapshots are hourly measurements of link cost (an ETT-like metric, larger = worse, as in
the UCSB mesh data) between ``N`` radios in a unit square:

* **geometry**: most radios are fixed, a few move (random waypoint) and all drift a little;
  the cost of link ``i-j`` grows exponentially with distance and links exist within radio
  range (links near the edge of the range are flaky);
* **daily oscillation**: interference follows a day/night load curve with ``period``
  snapshots per day, with a per-link sensitivity;
* **failures**: radios and individual links fail and recover (two-state Markov chains),
  so an absent link tends to stay absent for a while;
* **bursty traffic**: radios enter and leave traffic bursts (Markov) that raise the cost of
  every incident link;
* **measurement noise**: multiplicative log-normal noise, independent per snapshot.

Everything but the noise and the flaky edge is persistent or periodic, so a model that
learns the daily cycle and averages out noise beats copying the last snapshot.
The network is undirected (``adj[t]`` symmetric); weights are rounded to 2 decimals.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from gcngan.data.snapshots import Scaler, SnapshotSequence
from gcngan.errors import InputError


@dataclass(frozen=True)
class MeshSpec:
    """Parameters of :func:`generate_mesh` (defaults make ``datasets/synthetic_mesh.csv``).

    Args:
        num_nodes (int): Radios :math:`N`. (default: ``24``)
        num_snapshots (int): Snapshots :math:`T`. (default: ``240``, ten days of hours)
        seed (int): Seed of every random draw. (default: ``0``)
        period (int): Snapshots per day of the load cycle. (default: ``24``)
        radio_range (float): Link range in the unit square. (default: ``0.38``)
        mobile_share (float): Share of radios that move. (default: ``0.2``)
        speed (float): Distance a moving radio covers per snapshot. (default: ``0.012``)
        base_cost (float): Cost of a zero-length link. (default: ``8.0``)
        distance_gain (float): Cost multiplies by ``exp(distance_gain)`` at full range.
            (default: ``2.5``)
        daily_amplitude (float): Peak extra cost of the daily load. (default: ``0.8``)
        burst_factor (float): Cost multiplier of links of a bursting radio. (default: ``1.8``)
        p_burst_start, p_burst_end (float): Burst chain. (default: ``0.03``, ``0.25``)
        p_node_fail, p_node_recover (float): Radio failures. (default: ``0.004``, ``0.15``)
        p_link_fail, p_link_recover (float): Link failures. (default: ``0.01``, ``0.2``)
        noise (float): Std of the log-normal measurement noise. (default: ``0.08``)
    """

    num_nodes: int = 24
    num_snapshots: int = 240
    seed: int = 0
    period: int = 24
    radio_range: float = 0.38
    mobile_share: float = 0.2
    speed: float = 0.012
    base_cost: float = 8.0
    distance_gain: float = 2.5
    daily_amplitude: float = 0.8
    burst_factor: float = 1.8
    p_burst_start: float = 0.03
    p_burst_end: float = 0.25
    p_node_fail: float = 0.004
    p_node_recover: float = 0.15
    p_link_fail: float = 0.01
    p_link_recover: float = 0.2
    noise: float = 0.08

    def __post_init__(self) -> None:
        if self.num_nodes < 2:
            raise InputError(f"MeshSpec: num_nodes={self.num_nodes} must be >= 2")
        if self.num_snapshots < 1:
            raise InputError(f"MeshSpec: num_snapshots={self.num_snapshots} must be >= 1")
        if self.period < 1:
            raise InputError(f"MeshSpec: period={self.period} must be >= 1")
        for name in ("p_burst_start", "p_burst_end", "p_node_fail", "p_node_recover",
                     "p_link_fail", "p_link_recover", "mobile_share"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise InputError(f"MeshSpec: {name}={v} must be in [0, 1]")
        for name in ("radio_range", "base_cost", "speed", "noise", "distance_gain",
                     "daily_amplitude", "burst_factor"):
            if getattr(self, name) < 0:
                raise InputError(f"MeshSpec: {name}={getattr(self, name)} must be >= 0")


def _markov(rng: np.random.Generator, shape: tuple, steps: int, p_on: float, p_off: float,
            start_on: float = 0.0) -> np.ndarray:
    """Two-state chains: ``out[t]`` True = "on"; on with prob ``p_on``, off with ``p_off``."""
    state = rng.random(shape) < start_on
    out = np.empty((steps,) + shape, dtype=bool)
    u = rng.random((steps,) + shape)
    for t in range(steps):
        state = np.where(state, u[t] >= p_off, u[t] < p_on)
        out[t] = state
    return out


def _positions(rng: np.random.Generator, spec: MeshSpec) -> np.ndarray:
    """Radio positions per snapshot, shape ``(T, N, 2)``: drift for all, waypoints for some."""
    n, steps = spec.num_nodes, spec.num_snapshots
    pos = np.empty((steps, n, 2))
    cur = rng.random((n, 2)) * 0.9 + 0.05
    mobile = rng.random(n) < spec.mobile_share
    goal = rng.random((n, 2))
    drift = rng.normal(0.0, 0.0015, size=(steps, n, 2))
    for t in range(steps):
        step = goal - cur
        dist = np.linalg.norm(step, axis=1, keepdims=True)
        move = np.where(dist > spec.speed, step / np.maximum(dist, 1e-12) * spec.speed, step)
        cur = cur + np.where(mobile[:, None], move, 0.0) + drift[t]
        arrived = mobile & (dist[:, 0] <= spec.speed)
        goal[arrived] = rng.random((int(arrived.sum()), 2))
        cur = np.clip(cur, 0.0, 1.0)
        pos[t] = cur
    return pos


def generate_mesh(spec: MeshSpec | None = None, **overrides) -> SnapshotSequence:
    """Generate a synthetic weighted mesh as a :class:`SnapshotSequence` (undirected).

    Args:
        spec: parameters (default ``MeshSpec()``); ``overrides`` replace single fields,
            e.g. ``generate_mesh(num_nodes=8, num_snapshots=12, seed=1)``.

    Shapes:
        - **output.adj:** :math:`(T, N, N)` float32, symmetric, zero diagonal

    Examples:
        >>> seq = generate_mesh(num_nodes=6, num_snapshots=5, seed=1)
        >>> tuple(seq.adj.shape), seq.directed
        ((5, 6, 6), False)
    """
    if spec is None:
        spec = MeshSpec(**overrides)
    elif overrides:
        spec = MeshSpec(**{**asdict(spec), **overrides})
    rng = np.random.default_rng(spec.seed)
    n, steps = spec.num_nodes, spec.num_snapshots
    iu = np.triu_indices(n, k=1)                                    # the N(N-1)/2 pairs
    pairs = len(iu[0])

    pos = _positions(rng, spec)                                     # (T, N, 2)
    diff = pos[:, iu[0]] - pos[:, iu[1]]                            # (T, P, 2)
    dist = np.linalg.norm(diff, axis=-1) / max(spec.radio_range, 1e-9)   # (T, P), 1 = range

    # Links exist within range; the last 15% of the range is flaky.
    edge = 1.0 / (1.0 + np.exp((dist - 0.93) / 0.03))              # (T, P) in (0, 1)
    in_range = rng.random((steps, pairs)) < edge
    link_up = ~_markov(rng, (pairs,), steps, spec.p_link_fail, spec.p_link_recover)
    node_up = ~_markov(rng, (n,), steps, spec.p_node_fail, spec.p_node_recover)
    alive = in_range & link_up & node_up[:, iu[0]] & node_up[:, iu[1]]

    # Daily load: low at night, peak mid-day; each link reacts with its own sensitivity.
    hours = np.arange(steps) % spec.period
    load = 0.5 - 0.5 * np.cos(2 * np.pi * hours / spec.period)      # (T,) in [0, 1]
    sensitivity = rng.uniform(0.3, 1.0, size=pairs)                 # (P,)
    daily = 1.0 + spec.daily_amplitude * load[:, None] * sensitivity[None, :]

    burst = _markov(rng, (n,), steps, spec.p_burst_start, spec.p_burst_end)
    traffic = np.where(burst[:, iu[0]] | burst[:, iu[1]], spec.burst_factor, 1.0)

    noise = np.exp(rng.normal(0.0, spec.noise, size=(steps, pairs)))
    cost = spec.base_cost * np.exp(spec.distance_gain * np.minimum(dist, 1.2)) \
        * daily * traffic * noise                                   # (T, P)
    cost = np.maximum(np.round(cost, 2), 0.01) * alive

    adj = np.zeros((steps, n, n), dtype=np.float32)
    adj[:, iu[0], iu[1]] = cost
    adj[:, iu[1], iu[0]] = cost
    a = torch.from_numpy(adj)
    denom = float(a.max()) if float(a.max()) > 0 else 1.0
    return SnapshotSequence(adj=a, node_ids=list(range(n)), directed=False,
                            scaler=Scaler("linear", denom), times=None,
                            source=f"synthetic-mesh(seed={spec.seed})",
                            num_rows=int((a > 0).sum()))
