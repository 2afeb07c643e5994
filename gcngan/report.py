"""Plain words under an evaluation table: who wins which metric, and why, from the numbers.

``gcngan evaluate`` prints :func:`gcngan.metrics.format_table` and then
:func:`summarize_table`'s lines. Nothing here is fixed in advance: the winners are read off
the table, and a reason is given only when the table itself shows it, e.g. copy-last's
mismatch rate *is* the share of entries whose link appears or disappears from one
snapshot to the next, so a low value says the links persist.
"""
from __future__ import annotations

import math
import textwrap
from typing import Iterable, Optional

from gcngan.metrics import HIGHER_IS_BETTER, METRICS

#: Baselines that repeat or average the window (:mod:`gcngan.baselines`).
PERSISTENCE = "copy-last"
SMOOTHERS = ("ewma", "mean", "median")
#: Metrics of link existence and of the zero pattern, where repeating the last snapshot
#: pays when links persist; and metrics of weight error.
EXISTENCE = ("mismatch_rate", "mlsd", "kl", "auc", "ap")
WEIGHT_ERROR = ("rmse", "mae", "paper_mse")
#: Two means closer than this (relative) are a tie.
TIE = 1e-9


def _mean(res: Optional[dict]) -> Optional[float]:
    if not res or res.get("mean") is None:
        return None
    v = float(res["mean"])
    return None if math.isnan(v) else v


def winners(rows: dict[str, dict], metrics: Iterable[str] = METRICS) -> dict[str, list[str]]:
    """The best predictor(s) of each metric (ties share it).

    Args:
        rows: ``{predictor: {metric: {"mean": float, "std": ...}}}``, as
            :func:`gcngan.metrics.evaluate_predictions` per predictor.
        metrics: Which metrics, in order; those fewer than two predictors have a finite
            value for are left out.

    Returns:
        dict: ``{metric: [predictor, ...]}``; higher is better for
        :data:`~gcngan.metrics.HIGHER_IS_BETTER`, lower for the rest.
    """
    out: dict[str, list[str]] = {}
    for m in metrics:
        vals = {}
        for name, res in rows.items():
            v = _mean(res.get(m))
            if v is not None:
                vals[name] = v
        if len(vals) < 2:
            continue
        best = max(vals.values()) if m in HIGHER_IS_BETTER else min(vals.values())
        tol = TIE * max(abs(best), 1e-300)
        out[m] = [name for name, v in vals.items() if abs(v - best) <= tol]
    return out


def summarize_table(rows: dict[str, dict], model: str = "model",
                    metrics: Iterable[str] = METRICS, width: Optional[int] = None) -> list[str]:
    """Plain-words lines that explain an evaluation table.

    Says which direction is better, which predictor wins each metric, how many the
    ``model`` wins and, for each metric another predictor wins, by how much it beats the
    model; then, where the table shows it, why: links that persist (copy-last wins
    existence metrics and its mismatch rate, the share of entries that switch between link
    and no link from one snapshot to the next, is low) or weights that fluctuate around a
    stable level (a window average beats copy-last on weight error).

    Args:
        rows: ``{predictor: {metric: {"mean": ..., "std": ...}}}`` (the evaluate table).
        model: The row of the trained model.
        metrics: Metric order.
        width: Wrap each statement at this many characters (continuation lines indented);
            ``None``: one line per statement.

    Returns:
        list[str]: Lines without trailing newlines; empty when there is nothing to compare.

    Examples:
        >>> rows = {"model": {"rmse": {"mean": 2.0}}, "ewma": {"rmse": {"mean": 1.5}}}
        >>> summarize_table(rows)[1]
        'the model wins 0 of 1 metrics; ewma wins 1 (rmse 25% lower than the model)'
    """
    best = winners(rows, list(metrics))
    if not best:
        return []
    higher = [m for m in best if m in HIGHER_IS_BETTER]
    lower = [m for m in best if m not in HIGHER_IS_BETTER]
    if higher and lower:
        direction = f"lower is better except for {', '.join(higher)} (higher is better)"
    else:
        direction = f"{'higher' if higher else 'lower'} is better for every metric"
    lines = [f"reading the table: {direction}; best: " + ", ".join(
        f"{m} {'/'.join(w)}" for m, w in best.items())]
    won = {name: [m for m, w in best.items() if name in w] for name in rows}
    parts = []
    if model in rows:
        parts.append(f"the {model} wins {len(won[model])} of {len(best)} metrics"
                     + (f" ({', '.join(won[model])})" if won[model] else ""))
    for name, ms in sorted(won.items(), key=lambda kv: -len(kv[1])):
        if name == model or not ms:
            continue
        detail, vs = [], False
        for m in ms:
            mv, bv = _mean(rows.get(model, {}).get(m)), _mean(rows[name].get(m))
            if mv is None or not mv or model in best[m]:
                detail.append(m)
            else:
                vs = True
                detail.append(f"{m} {abs(mv - bv) / abs(mv):.0%} "
                              f"{'higher' if m in HIGHER_IS_BETTER else 'lower'}")
        parts.append(f"{name} wins {len(ms)} ({', '.join(detail)}"
                     f"{f' than the {model}' if vs else ''})")
    lines.append("; ".join(parts))
    lines += _reasons(rows, best)
    if width is None:
        return lines
    return [w for line in lines for w in textwrap.wrap(line, width, subsequent_indent="    ",
                                                        break_on_hyphens=False)]


def _reasons(rows: dict, best: dict) -> list[str]:
    """The 'why' lines, each only when the numbers show it."""
    out = []
    flips = _mean(rows.get(PERSISTENCE, {}).get("mismatch_rate"))
    held = [m for m, w in best.items() if m in EXISTENCE and PERSISTENCE in w]
    if "mismatch_rate" in held and flips is not None and flips < 0.25:
        out.append(f"why {PERSISTENCE} wins {', '.join(held)}: the links persist; only "
                   f"{flips:.1%} of entries switch between link and no link from one snapshot "
                   f"to the next ({PERSISTENCE}'s mismatch_rate), so repeating the last "
                   f"snapshot gets nearly every link right")
    smooth = [m for m, w in best.items() if m in WEIGHT_ERROR and PERSISTENCE in rows
              and PERSISTENCE not in w and any(s in w for s in SMOOTHERS)]
    if smooth:
        who = sorted({s for m in smooth for s in best[m] if s in SMOOTHERS})
        out.append(f"why {'/'.join(who)} wins {', '.join(smooth)}: the weights fluctuate "
                   f"around a stable level, so averaging the window beats repeating the last "
                   f"snapshot on weight error")
    return out
