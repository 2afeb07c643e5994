"""Seeded synthetic temporal networks: a small weighted wireless mesh (dense, the project's
embedded dataset) and a large directed social network (sparse, any size).

**Mesh** (:func:`generate_mesh`, the default of ``gcngan data synth``):

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

**Social** (:func:`generate_social`, ``gcngan data synth --kind social``): directed message
counts between ``N`` people, built edge list by edge list in O(T·(N + E)) time and memory
(never ``N x N``) — persistence, triadic closure, reciprocity and preferential attachment,
so that both a link's history and the graph's structure predict the next snapshot.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gcngan.arrays import unique
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


# ----------------------------------------------------------------------------- social
SOCIAL_START = 1_577_836_800        # 2020-01-01T00:00:00Z: timestamp of snapshot 0's events
SOCIAL_SNAPSHOT_SECONDS = 86_400    # one day per snapshot: read back with --granularity 1d


@dataclass(frozen=True)
class SocialSpec:
    r"""Parameters of :func:`generate_social`: a directed, weighted social network.

    Each snapshot holds about ``links_per_node * num_nodes`` directed links ``u -> v``
    (``u != v``), each with an integer weight >= 1 (a message count). They come from:

    * **persistence**: a link last seen ``a >= 1`` snapshots ago comes back with probability
      ``min(1, p_repeat * repeat_decay**(a - 1) * s_uv)``, where ``s_uv = 2 λ_uv / (λ_uv +
      weight_mean)`` is the pair's strength (heavy pairs persist longer); pairs whose
      largest possible probability (``s_uv < 2``) fell below ``1e-3`` are forgotten;
    * **new draws** fill the snapshot up to its size (at least ``min_new_share`` of it):
      the source ``u`` is drawn by activity (log-normal, ``activity_sigma``) and the
      destination by one of

      - *triadic closure* (share ``p_triadic``): ``v`` = a random out-neighbour of a random
        out-neighbour ``k`` of ``u`` in the remembered graph (closes ``u -> k -> v``),
      - *reciprocity* (share ``p_reciprocal``): answer a random link ``v -> u`` of the
        previous snapshot,
      - *preferential attachment* (share ``p_pref``): ``v`` with probability proportional
        to ``fitness_v * (1 + d_v)``, ``d_v`` = in-degree decayed by ``degree_memory`` per
        snapshot, fitness log-normal (``fitness_sigma``),
      - uniformly at random (the rest);

      a closure or answer that is impossible (no 2-path, no previous link) becomes a
      preferential draw. Self-loops and duplicates of a snapshot's links are dropped, so a
      snapshot may hold slightly fewer links than its target.
    * **weights**: each pair gets a rate :math:`λ_{uv} \sim \mathrm{Gamma}(k, \bar{λ}/k)`
      once (``k = weight_shape``, :math:`\bar{λ}` = ``weight_mean``); each appearance weighs
      ``1 + Poisson(λ_uv)``.

    Args:
        num_nodes (int): People :math:`N`. (default: ``1000``)
        num_snapshots (int): Snapshots :math:`T`. (default: ``20``)
        links_per_node (float): Mean links per node per snapshot. (default: ``10.0``)
        seed (int): Seed of every random draw. (default: ``0``)
        p_repeat (float): Repeat probability of last snapshot's link of average strength.
            (default: ``0.5``)
        repeat_decay (float): Factor per further snapshot of absence, in ``[0, 1)``.
            (default: ``0.5``)
        min_new_share (float): Least share of new draws per snapshot. (default: ``0.3``)
        p_triadic, p_reciprocal, p_pref (float): Shares of the new draws (sum <= 1).
            (default: ``0.45``, ``0.1``, ``0.3``)
        activity_sigma, fitness_sigma (float): Log-normal spreads. (default: ``1.0``, ``1.0``)
        degree_memory (float): In-degree decay per snapshot, in ``[0, 1]``. (default: ``0.8``)
        weight_mean (float): Mean pair rate :math:`\bar{λ}` (> 0). (default: ``2.0``)
        weight_shape (float): Gamma shape of the pair rates (> 0). (default: ``1.0``)
    """

    num_nodes: int = 1000
    num_snapshots: int = 20
    links_per_node: float = 10.0
    seed: int = 0
    p_repeat: float = 0.5
    repeat_decay: float = 0.5
    min_new_share: float = 0.3
    p_triadic: float = 0.45
    p_reciprocal: float = 0.1
    p_pref: float = 0.3
    activity_sigma: float = 1.0
    fitness_sigma: float = 1.0
    degree_memory: float = 0.8
    weight_mean: float = 2.0
    weight_shape: float = 1.0

    def __post_init__(self) -> None:
        if self.num_nodes < 2:
            raise InputError(f"SocialSpec: num_nodes={self.num_nodes} must be >= 2")
        if self.num_nodes > 3_000_000_000:
            raise InputError(f"SocialSpec: num_nodes={self.num_nodes} must be <= 3e9")
        if self.num_snapshots < 1:
            raise InputError(f"SocialSpec: num_snapshots={self.num_snapshots} must be >= 1")
        if not (self.links_per_node > 0 and math.isfinite(self.links_per_node)):
            raise InputError(f"SocialSpec: links_per_node={self.links_per_node} must be > 0")
        for name in ("p_repeat", "min_new_share", "p_triadic", "p_reciprocal", "p_pref",
                     "degree_memory"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise InputError(f"SocialSpec: {name}={v} must be in [0, 1]")
        if not 0.0 <= self.repeat_decay < 1.0:
            raise InputError(f"SocialSpec: repeat_decay={self.repeat_decay} must be in [0, 1)")
        shares = self.p_triadic + self.p_reciprocal + self.p_pref
        if shares > 1.0 + 1e-9:
            raise InputError(f"SocialSpec: p_triadic + p_reciprocal + p_pref = {shares:g} "
                             f"must be <= 1")
        for name in ("activity_sigma", "fitness_sigma"):
            if not getattr(self, name) >= 0:
                raise InputError(f"SocialSpec: {name}={getattr(self, name)} must be >= 0")
        for name in ("weight_mean", "weight_shape"):
            if not getattr(self, name) > 0:
                raise InputError(f"SocialSpec: {name}={getattr(self, name)} must be > 0")

    @property
    def memory(self) -> int:
        """Snapshots a pair is remembered after its last appearance (its repeat probability,
        at most ``2 * p_repeat * repeat_decay**(a - 1)``, is below ``1e-3`` beyond)."""
        top = 2.0 * self.p_repeat
        if top <= 1e-3 or self.repeat_decay == 0.0:
            return 1
        return max(1, 1 + int(math.floor(math.log(1e-3 / top) / math.log(self.repeat_decay))))


def _draw(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    """``size`` indices drawn with probabilities ``diff(cdf)`` (``cdf`` increasing, last > 0)."""
    idx = np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right")
    return np.minimum(idx, len(cdf) - 1)


def _merge_sorted(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of sorted ``a`` and sorted ``b`` in their sorted concatenation, O(len)."""
    pos_b = np.searchsorted(a, b) + np.arange(len(b))
    in_a = np.ones(len(a) + len(b), dtype=bool)
    in_a[pos_b] = False
    return np.flatnonzero(in_a), pos_b


def _pick_neighbour(rng: np.random.Generator, indptr: np.ndarray, nbr: np.ndarray,
                    nodes: np.ndarray) -> np.ndarray:
    """A uniformly random out-neighbour of each of ``nodes`` (CSR ``indptr``/``nbr``); -1 for
    nodes without one."""
    deg = indptr[nodes + 1] - indptr[nodes]
    out = np.full(len(nodes), -1, dtype=np.int64)
    has = deg > 0
    out[has] = nbr[indptr[nodes[has]] + (rng.random(int(has.sum())) * deg[has]).astype(np.int64)]
    return out


def generate_social(spec: SocialSpec | None = None, **overrides) -> pd.DataFrame:
    """Generate a synthetic directed social network as a long edge table.

    Vectorised numpy, O(T·(N + E)) time and O(N + E) memory (E = links in all snapshots):
    100,000 nodes x 10 links per node x 20 snapshots (about 20 million rows) take well under
    a minute and about 2 GiB. See :class:`SocialSpec` for the model.

    Args:
        spec: parameters (default ``SocialSpec()``); ``overrides`` replace single fields,
            e.g. ``generate_social(num_nodes=500, num_snapshots=10, seed=1)``.

    Returns:
        ``pandas.DataFrame`` with int64 columns ``t`` (snapshot 0..T-1), ``src``, ``dst``
        (0..N-1, ``src != dst``) and ``weight`` (>= 1), sorted by ``(t, src, dst)``, one row
        per link of a snapshot.

    Examples:
        >>> df = generate_social(num_nodes=50, num_snapshots=3, links_per_node=2, seed=1)
        >>> list(df.columns), int(df.t.max()), bool((df.src != df.dst).all())
        (['t', 'src', 'dst', 'weight'], 2, True)
    """
    if spec is None:
        spec = SocialSpec(**overrides)
    elif overrides:
        spec = SocialSpec(**{**asdict(spec), **overrides})
    rng = np.random.default_rng(spec.seed)
    n, steps = spec.num_nodes, spec.num_snapshots
    target = max(1, int(round(spec.links_per_node * n)))
    min_new = int(math.ceil(spec.min_new_share * target))
    shares = np.array([spec.p_triadic, spec.p_reciprocal, spec.p_pref])
    shares = np.append(shares, max(0.0, 1.0 - shares.sum()))
    shares = shares / shares.sum()
    memory = spec.memory
    p_age = spec.p_repeat * spec.repeat_decay ** np.maximum(np.arange(memory + 1) - 1.0, 0)

    activity_cdf = np.cumsum(rng.lognormal(0.0, spec.activity_sigma, n))   # (N,)
    fitness = rng.lognormal(0.0, spec.fitness_sigma, n)                    # (N,)
    indeg = np.zeros(n)                                                     # decayed in-degree
    # Remembered pairs, sorted by key = src * N + dst (so grouped by source: a CSR graph).
    pool = {"key": np.empty(0, np.int64), "src": np.empty(0, np.int64),
            "dst": np.empty(0, np.int64),
            "last": np.empty(0, np.int64),      # last snapshot the pair appeared in
            "rate": np.empty(0, np.float64)}    # the pair's weight rate λ_uv
    out_count, out_key, out_w = [], [], []

    for t in range(steps):
        # -- persistence: remembered pairs come back with a decaying probability
        strength = 2.0 * pool["rate"] / (pool["rate"] + spec.weight_mean)
        p = np.minimum(1.0, p_age[t - pool["last"]] * strength)             # (P,)
        repeat = pool["key"][rng.random(len(p)) < p]

        # -- new draws: sources by activity, destinations by mechanism
        n_new = max(target - len(repeat), min_new)
        n_tri, n_rec, n_pref, n_rand = rng.multinomial(n_new, shares)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(pool["src"], minlength=n), out=indptr[1:])

        # triadic closure u -> k -> v in the remembered graph
        u_tri = _draw(rng, activity_cdf, n_tri)
        k = _pick_neighbour(rng, indptr, pool["dst"], u_tri)
        v_tri = np.full(n_tri, -1, dtype=np.int64)
        v_tri[k >= 0] = _pick_neighbour(rng, indptr, pool["dst"], k[k >= 0])
        closed = (v_tri >= 0) & (v_tri != u_tri)

        # reciprocity: answer a link of the previous snapshot
        last_links = np.flatnonzero(pool["last"] == t - 1)
        pick = last_links[rng.integers(0, len(last_links), n_rec if len(last_links) else 0)]
        u_rec, v_rec = pool["dst"][pick], pool["src"][pick]
        n_fallback = int((~closed).sum()) + (n_rec - len(pick))

        pref_cdf = np.cumsum(fitness * (1.0 + indeg))
        u_pref = _draw(rng, activity_cdf, n_pref + n_fallback)
        v_pref = _draw(rng, pref_cdf, n_pref + n_fallback)
        u_rand = _draw(rng, activity_cdf, n_rand)
        v_rand = rng.integers(0, n, n_rand)

        src = np.concatenate([u_tri[closed], u_rec, u_pref, u_rand])
        dst = np.concatenate([v_tri[closed], v_rec, v_pref, v_rand])
        loop = src == dst
        keys = unique(np.concatenate([repeat, src[~loop] * n + dst[~loop]]))

        # -- weights: the pair's rate (drawn at its first appearance), Poisson per snapshot
        pos = np.searchsorted(pool["key"], keys)
        known = pos < len(pool["key"])
        known[known] = pool["key"][pos[known]] == keys[known]
        rate = np.empty(len(keys))
        rate[known] = pool["rate"][pos[known]]
        rate[~known] = rng.gamma(spec.weight_shape, spec.weight_mean / spec.weight_shape,
                                 int((~known).sum()))
        out_count.append(len(keys))
        out_key.append(keys)
        out_w.append(1 + rng.poisson(rate))

        # -- memory: this snapshot's pairs are seen now; new pairs join, old ones are forgotten
        pool["last"][pos[known]] = t
        keep = (t + 1 - pool["last"]) <= memory
        fresh_key = keys[~known]
        old_at, new_at = _merge_sorted(pool["key"][keep], fresh_key)
        fresh = {"key": fresh_key, "src": fresh_key // n, "dst": fresh_key % n,
                 "last": np.full(len(fresh_key), t, dtype=np.int64), "rate": rate[~known]}
        for name, arr in pool.items():
            merged = np.empty(len(old_at) + len(new_at), dtype=arr.dtype)
            merged[old_at] = arr[keep]
            merged[new_at] = fresh[name]
            pool[name] = merged
        indeg = spec.degree_memory * indeg + np.bincount(keys % n, minlength=n)

    del pool, p, repeat, keys, pos, known, rate
    key = np.concatenate(out_key)
    del out_key
    frame = pd.DataFrame({"t": np.repeat(np.arange(steps, dtype=np.int64), out_count),
                          "src": key // n, "dst": key % n,
                          "weight": np.concatenate(out_w).astype(np.int64)})
    return frame


def _int_columns_csv(columns: list[np.ndarray]) -> bytes:
    """CSV text of non-negative integer columns (one line per row), built with numpy only.

    Examples:
        >>> _int_columns_csv([np.array([0, 12]), np.array([305, 7])])
        b'0,305\\n12,7\\n'
    """
    parts = []
    for c, col in enumerate(columns):
        col = np.asarray(col, dtype=np.int64)
        width = len(str(int(col.max()))) if len(col) else 1
        power = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)         # (D,)
        digits = (col[:, None] // power[None, :]) % 10 + ord("0")           # (R, D)
        lead = (col[:, None] < power[None, :]) & (power[None, :] > 1)       # leading zeros
        field = np.where(lead, 0, digits).astype(np.uint8)
        sep = np.full((len(col), 1), ord("\n") if c == len(columns) - 1 else ord(","),
                      dtype=np.uint8)
        parts += [field, sep]
    buf = np.concatenate(parts, axis=1)                                     # (R, width)
    return buf[buf != 0].tobytes()


def write_social_events(path: str | Path, edges: pd.DataFrame,
                        start: int = SOCIAL_START,
                        snapshot_seconds: int = SOCIAL_SNAPSHOT_SECONDS,
                        chunk_rows: int = 1_000_000) -> int:
    """Write :func:`generate_social`'s table as an event-stream CSV ``timestamp,src,dst,weight``.

    Every link of snapshot ``t`` is one event at Unix time ``start + t * snapshot_seconds``
    (default: day ``t`` after 2020-01-01 UTC), so ``--granularity 1d`` reads the snapshots
    back exactly (when snapshot 0 is not empty; trailing empty snapshots need
    ``--snapshots T``). Written in chunks (bounded extra memory) and atomically; returns
    the row count.
    """
    from gcngan.io import atomic_path

    t = edges["t"].to_numpy()
    src, dst, w = (edges[c].to_numpy() for c in ("src", "dst", "weight"))
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(b"timestamp,src,dst,weight\n")
        for a in range(0, len(t), chunk_rows):
            b = a + chunk_rows
            fh.write(_int_columns_csv([start + t[a:b] * snapshot_seconds,
                                       src[a:b], dst[a:b], w[a:b]]))
    return len(t)
