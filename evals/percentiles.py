"""Percentiles, one definition for every figure askdocs prints: `askdocs eval` (search and
answer latency, answer length), `askdocs bench`, and the load and attack scripts.

Nearest rank: the q-th percentile of n values is the ceil(q/100 · n)-th smallest. Every figure
is then a value that was observed (no interpolation between two requests), p50 of an even count
is the lower middle value, and p99 of fewer than 100 values is the largest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0 < q <= 100) of `values` by nearest rank; 0.0 when there are none."""
    if not 0 < q <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {q}")
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(q * len(ordered) / 100))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Percentiles:
    """p50, p95 and p99 of one series (milliseconds wherever askdocs uses it)."""

    p50: float
    p95: float
    p99: float

    @classmethod
    def of(cls, values: Iterable[float], digits: int = 2) -> Percentiles:
        """The series' percentiles, rounded to `digits` decimals."""
        series = list(values)  # `percentile` sorts it
        return cls(*(round(percentile(series, q), digits) for q in (50, 95, 99)))
