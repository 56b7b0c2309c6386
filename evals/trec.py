"""TREC run files: ``qid Q0 docid rank score tag``, one retrieved document a line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from askdocs.evals.metrics import Run, rank


def _check_token(value: str, what: str) -> None:
    # Fields are whitespace-separated, so a space inside one would shift every later column.
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"{what} {value!r} must be non-empty and free of whitespace")


def write_run(
    run: Mapping[str, Mapping[str, float]], path: str | Path, tag: str, depth: int = 100
) -> None:
    """Write ``run`` as a TREC run file: queries by id, at most ``depth`` docs each, ranked
    by score descending (ties as in :func:`evals.metrics.rank`), ranks from 1."""
    _check_token(tag, "run tag")
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    lines: list[str] = []
    for query_id in sorted(run):
        _check_token(query_id, "query id")
        scores = run[query_id]
        for position, doc_id in enumerate(rank(scores)[:depth], start=1):
            _check_token(doc_id, f"doc id (query {query_id!r})")
            # repr() round-trips the float exactly, so reading back cannot reorder ties.
            lines.append(f"{query_id} Q0 {doc_id} {position} {float(scores[doc_id])!r} {tag}\n")
    Path(path).write_text("".join(lines), encoding="utf-8")


def read_run(path: str | Path) -> Run:
    """Query id → doc id → score from a TREC run file; the rank column is checked, not used."""
    path = Path(path)
    run: Run = {}
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 6:
                raise ValueError(
                    f"{path}:{number}: expected 6 fields (qid Q0 docid rank score tag), "
                    f"got {len(fields)}"
                )
            query_id, _, doc_id, rank_text, score_text, _ = fields
            try:
                int(rank_text)
                score = float(score_text)
            except ValueError:
                raise ValueError(
                    f"{path}:{number}: rank must be an integer and score a number"
                ) from None
            docs = run.setdefault(query_id, {})
            if doc_id in docs:
                raise ValueError(f"{path}:{number}: doc {doc_id!r} listed twice for {query_id!r}")
            docs[doc_id] = score
    return run
