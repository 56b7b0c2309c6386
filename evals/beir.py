"""Load a dataset in the BEIR layout.

    DIR/corpus.jsonl        {"_id", "title", "text"} a line
    DIR/queries.jsonl       {"_id", "text"} a line
    DIR/qrels/<split>.tsv   query-id <TAB> corpus-id <TAB> score, after a header line

Line ends may be LF or CRLF. A bad line raises ValueError naming the file and the line number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from askdocs.evals.jsonl import json_records, numbered_lines
from askdocs.evals.metrics import Qrels


@dataclass(frozen=True, slots=True)
class BeirDoc:
    """One corpus document."""

    id: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class BeirDataset:
    """A split ready to evaluate: the corpus, the split's queries and their judgements."""

    corpus: dict[str, BeirDoc]
    queries: dict[str, str]
    qrels: Qrels


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"BEIR {what} not found: {path}")
    return path


def _field(record: dict[str, Any], key: str, path: Path, number: int, default: str | None) -> str:
    value = record.get(key, default)
    if key == "_id" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # some exports write numeric ids unquoted
    if value is None:
        raise ValueError(f"{path}:{number}: missing field {key!r}")
    if not isinstance(value, str):
        raise ValueError(f"{path}:{number}: field {key!r} must be a string")
    if key == "_id" and not value:
        raise ValueError(f"{path}:{number}: empty '_id'")
    return value


def _by_id(path: Path, kind: str) -> Iterator[tuple[str, dict[str, Any], int]]:
    """(id, record, line number) of each line, refusing a repeated `_id`."""
    seen: set[str] = set()
    for number, record in json_records(path):
        record_id = _field(record, "_id", path, number, None)
        if record_id in seen:
            raise ValueError(f"{path}:{number}: duplicate {kind} id {record_id!r}")
        seen.add(record_id)
        yield record_id, record, number


def load_corpus(directory: str | Path) -> dict[str, BeirDoc]:
    """Doc id → document, from ``corpus.jsonl``; a missing title reads as ""."""
    path = _require(Path(directory) / "corpus.jsonl", "corpus")
    return {
        doc_id: BeirDoc(
            doc_id,
            _field(record, "title", path, number, ""),
            _field(record, "text", path, number, None),
        )
        for doc_id, record, number in _by_id(path, "doc")
    }


def load_queries(directory: str | Path) -> dict[str, str]:
    """Query id → query text, from ``queries.jsonl`` (every split's queries)."""
    path = _require(Path(directory) / "queries.jsonl", "queries")
    return {
        query_id: _field(record, "text", path, number, None)
        for query_id, record, number in _by_id(path, "query")
    }


def available_splits(directory: str | Path) -> list[str]:
    """Names of the splits that have a ``qrels/<split>.tsv``, sorted."""
    qrels_dir = Path(directory) / "qrels"
    if not qrels_dir.is_dir():
        raise FileNotFoundError(f"BEIR qrels folder not found: {qrels_dir}")
    return sorted(p.stem for p in qrels_dir.glob("*.tsv") if p.is_file())


def load_qrels(directory: str | Path, split: str = "test") -> Qrels:
    """Query id → doc id → grade, from ``qrels/<split>.tsv``; grade-0 rows are kept."""
    path = Path(directory) / "qrels" / f"{split}.tsv"
    if not path.is_file():
        splits = ", ".join(available_splits(directory)) or "none"
        raise FileNotFoundError(f"BEIR qrels not found: {path} (available splits: {splits})")
    qrels: Qrels = {}
    for index, (number, line) in enumerate(numbered_lines(path)):
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) != 3:
            raise ValueError(
                f"{path}:{number}: expected 3 tab-separated fields "
                f"(query-id, corpus-id, score), got {len(fields)}"
            )
        query_id, doc_id, grade_text = fields
        try:
            grade = int(grade_text)
        except ValueError:
            if index == 0:
                continue  # the header line
            raise ValueError(
                f"{path}:{number}: score must be an integer, got {grade_text!r}"
            ) from None
        if not query_id or not doc_id:
            raise ValueError(f"{path}:{number}: empty query id or corpus id")
        docs = qrels.setdefault(query_id, {})
        if docs.get(doc_id, grade) != grade:
            raise ValueError(
                f"{path}:{number}: {query_id!r}/{doc_id!r} judged again with another score"
            )
        docs[doc_id] = grade
    return qrels


def load_dataset(directory: str | Path, split: str = "test") -> BeirDataset:
    """Corpus, qrels of ``split``, and only the queries those qrels judge."""
    qrels = load_qrels(directory, split)
    all_queries = load_queries(directory)
    missing = sorted(set(qrels) - set(all_queries))
    if missing:
        raise ValueError(
            f"{Path(directory) / 'qrels' / f'{split}.tsv'}: {len(missing)} query ids not in "
            f"queries.jsonl, first {missing[0]!r}"
        )
    queries = {q: all_queries[q] for q in qrels}
    return BeirDataset(load_corpus(directory), queries, qrels)
