"""The CI quality gate: measured figures against the bounds in evals/floors.json.

Each bound is a measured value on a test split with a margin of about one question; most are
floors (at least), the ones in CEILINGS are ceilings (at most). Raise a floor or lower a
ceiling when quality improves, never the other way to let a regression pass.
"""

from __future__ import annotations

import json
from pathlib import Path

FLOORS_FILE = Path(__file__).resolve().parent / "floors.json"
CEILINGS = frozenset({"false_abstention", "duplicate_citations", "heading_citations"})
GATED = (
    "answer_evidence",
    "false_abstention",
    "abstention_recall",
    "duplicate_citations",
    "heading_citations",
    "citation_validity",
)


def bounds(path: Path = FLOORS_FILE) -> dict[str, dict[str, float]]:
    """Question set name → metric → bound."""
    data: dict[str, dict[str, float]] = json.loads(path.read_text(encoding="utf-8"))["sets"]
    return data


def violations(
    metrics: dict[str, float | None], limits: dict[str, float]
) -> dict[str, tuple[float | None, float]]:
    """The metrics outside their bounds, as name → (measured, bound)."""
    out: dict[str, tuple[float | None, float]] = {}
    for name, bound in limits.items():
        value = metrics.get(name)
        if (
            value is None
            or (name in CEILINGS and value > bound)
            or (name not in CEILINGS and value < bound)
        ):
            out[name] = (value, bound)
    return out
