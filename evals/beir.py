"""Load a dataset in the BEIR layout.

    DIR/corpus.jsonl        {"_id", "title", "text"} a line
    DIR/queries.jsonl       {"_id", "text"} a line
    DIR/qrels/<split>.tsv   query-id <TAB> corpus-id <TAB> score, after a header line

Line ends may be LF or CRLF. A bad line raises ValueError naming the file and the line number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers; universal newlines drop any CR."""
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if line.strip():
                yield number, line


def _json_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in _lines(path):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: invalid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise ValueError(f"{path}:{number}: expected a JSON object")
        yield number, record


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


def load_corpus(directory: str | Path) -> dict[str, BeirDoc]:
    """Doc id → document, from ``corpus.jsonl``; a missing title reads as ""."""
    path = _require(Path(directory) / "corpus.jsonl", "corpus")
    corpus: dict[str, BeirDoc] = {}
    for number, record in _json_records(path):
        doc_id = _field(record, "_id", path, number, None)
        if doc_id in corpus:
            raise ValueError(f"{path}:{number}: duplicate doc id {doc_id!r}")
        title = _field(record, "title", path, number, "")
        corpus[doc_id] = BeirDoc(doc_id, title, _field(record, "text", path, number, None))
    return corpus


def load_queries(directory: str | Path) -> dict[str, str]:
    """Query id → query text, from ``queries.jsonl`` (every split's queries)."""
    path = _require(Path(directory) / "queries.jsonl", "queries")
    queries: dict[str, str] = {}
    for number, record in _json_records(path):
        query_id = _field(record, "_id", path, number, None)
        if query_id in queries:
            raise ValueError(f"{path}:{number}: duplicate query id {query_id!r}")
        queries[query_id] = _field(record, "text", path, number, None)
    return queries


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
    for index, (number, line) in enumerate(_lines(path)):
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
