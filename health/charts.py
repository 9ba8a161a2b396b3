"""The 14-day trend as plain HTML bars (no script, readable on a phone): for each day the
check-ins stacked by status over the roster, the missing part in grey."""

from __future__ import annotations

from typing import Any

from health.selectors import TrendPoint


def trend_bars(points: list[TrendPoint]) -> dict[str, Any]:
    """Heights in percent of the highest day, per status, for `health/_trend.html`."""
    scale = max([max(p.counts.roster, p.counts.submitted) for p in points] + [1])

    def pct(value: int) -> float:
        return round(100 * value / scale, 1)

    bars = []
    for point in points:
        counts = point.counts
        bars.append(
            {
                "day": point.day,
                "counts": counts,
                "normal": pct(counts.normal),
                "attention": pct(counts.attention),
                "abnormal": pct(counts.abnormal),
                "missing": pct(counts.missing),
            }
        )
    return {
        "bars": bars,
        "scale": scale,
        "has_data": any(p.counts.roster or p.counts.submitted for p in points),
    }
