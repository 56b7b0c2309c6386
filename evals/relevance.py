"""Text-based relevance: a passage is relevant when it contains a gold evidence span.

Both sides are compared after :func:`normalise`, so gold written by hand still matches text that
went through extraction (typographic quotes, re-wrapped lines, changed case).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from askdocs.ingest.clean import comparable


def normalise(text: str) -> str:
    """Quotes straightened, whitespace runs collapsed, casefolded, stripped: the form ingest
    compares passages in (`ingest.clean.comparable`)."""
    return comparable(text)


def _normalised_spans(spans: Iterable[str]) -> list[str]:
    # An empty span would be "contained" in every passage; it is gold-data noise, not evidence.
    return [n for n in (normalise(s) for s in spans) if n]


def contains_evidence(passage: str, spans: Iterable[str]) -> bool:
    """True when the passage contains at least one of the evidence spans, after normalising."""
    normalised = normalise(passage)
    return any(span in normalised for span in _normalised_spans(spans))


def first_relevant_rank(passages: Sequence[str], spans: Iterable[str]) -> int | None:
    """1-based rank of the first passage containing evidence, or None when none does."""
    needles = _normalised_spans(spans)
    if not needles:
        return None
    for position, passage in enumerate(passages, start=1):
        normalised = normalise(passage)
        if any(span in normalised for span in needles):
            return position
    return None
