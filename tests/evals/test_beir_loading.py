"""BEIR loading: the real SciFact and NFCorpus folders, CRLF files, and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from askdocs.evals.beir import (
    BeirDoc,
    available_splits,
    load_corpus,
    load_dataset,
    load_qrels,
    load_queries,
)
from tests.conftest import DATASETS


@pytest.mark.parametrize(
    ("name", "docs", "test_queries", "splits", "grades"),
    [
        ("scifact", 5183, 300, ["test", "train"], {1}),
        ("nfcorpus", 3633, 323, ["dev", "test"], {1, 2}),
    ],
)
def test_real_datasets_load_with_the_published_counts(
    name: str, docs: int, test_queries: int, splits: list[str], grades: set[int]
) -> None:
    data = load_dataset(DATASETS / name, "test")
    assert len(data.corpus) == docs
    assert len(data.qrels) == test_queries
    assert set(data.queries) == set(data.qrels)
    assert available_splits(DATASETS / name) == splits
    assert {g for docs_ in data.qrels.values() for g in docs_.values()} == grades
    # The real qrels files use CRLF: no id may keep a stray carriage return.
    assert b"\r\n" in (DATASETS / name / "qrels" / "test.tsv").read_bytes()
    ids = [*data.qrels, *(d for docs_ in data.qrels.values() for d in docs_)]
    assert not any(i != i.strip() for i in ids)
    doc = next(iter(data.corpus.values()))
    assert isinstance(doc, BeirDoc) and doc.id and doc.text


def test_scifact_document_fields() -> None:
    corpus = load_corpus(DATASETS / "scifact")
    doc = corpus["4983"]
    assert doc.title.startswith("Microstructural development of human newborn cerebral")
    assert doc.text.startswith("Alterations of the architecture of cerebral white matter")


def write_beir(root: Path, newline: str = "\n") -> Path:
    """A three-doc BEIR folder written with the given line ends."""
    (root / "qrels").mkdir(parents=True)
    corpus = [
        {"_id": "d1", "title": "One", "text": "first text"},
        {"_id": "d2", "text": "no title"},
        {"_id": 3, "title": "Three", "text": "numeric id"},
    ]
    queries = [{"_id": "q1", "text": "query one"}, {"_id": "q2", "text": "query two"}]
    (root / "corpus.jsonl").write_bytes("".join(json.dumps(r) + newline for r in corpus).encode())
    (root / "queries.jsonl").write_bytes("".join(json.dumps(r) + newline for r in queries).encode())
    rows = ["query-id\tcorpus-id\tscore", "q1\td1\t1", "q1\td2\t0", "q2\t3\t2", ""]
    (root / "qrels" / "test.tsv").write_bytes(newline.join(rows).encode())
    return root


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_small_folder_with_lf_or_crlf(tmp_path: Path, newline: str) -> None:
    root = write_beir(tmp_path / "beir", newline)
    assert load_corpus(root) == {
        "d1": BeirDoc("d1", "One", "first text"),
        "d2": BeirDoc("d2", "", "no title"),
        "3": BeirDoc("3", "Three", "numeric id"),
    }
    assert load_queries(root) == {"q1": "query one", "q2": "query two"}
    assert load_qrels(root, "test") == {"q1": {"d1": 1, "d2": 0}, "q2": {"3": 2}}


def test_only_judged_queries_are_kept(tmp_path: Path) -> None:
    root = write_beir(tmp_path / "beir")
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq2\td1\t1\n")
    assert load_dataset(root).queries == {"q2": "query two"}


def test_qrels_naming_an_unknown_query_is_an_error(tmp_path: Path) -> None:
    root = write_beir(tmp_path / "beir")
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq9\td1\t1\n")
    with pytest.raises(ValueError, match=r"not in queries\.jsonl, first 'q9'"):
        load_dataset(root)


def replace_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("file", "line", "text", "message"),
    [
        ("corpus.jsonl", 2, '{"_id": "d2", "text": ', "invalid JSON"),
        ("corpus.jsonl", 2, '["d2", "text"]', "expected a JSON object"),
        ("corpus.jsonl", 3, '{"title": "t", "text": "x"}', "missing field '_id'"),
        ("corpus.jsonl", 1, '{"_id": "d1", "text": 5}', "field 'text' must be a string"),
        ("corpus.jsonl", 3, '{"_id": "d1", "text": "again"}', "duplicate doc id 'd1'"),
        ("queries.jsonl", 2, '{"_id": "q2"}', "missing field 'text'"),
        ("qrels/test.tsv", 3, "q1\td2", "expected 3 tab-separated fields"),
        ("qrels/test.tsv", 3, "q1\td2\thigh", "score must be an integer, got 'high'"),
        ("qrels/test.tsv", 3, "q1\td1\t2", "judged again with another score"),
    ],
)
def test_bad_line_names_file_and_line(
    tmp_path: Path, file: str, line: int, text: str, message: str
) -> None:
    root = write_beir(tmp_path / "beir")
    replace_line(root / file, line, text)
    with pytest.raises(ValueError, match=message) as info:
        load_dataset(root)
    assert f"{root / file}:{line}:" in str(info.value)


@pytest.mark.parametrize("missing", ["corpus.jsonl", "queries.jsonl"])
def test_missing_file_is_named(tmp_path: Path, missing: str) -> None:
    root = write_beir(tmp_path / "beir")
    (root / missing).unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(str(root / missing))):
        load_dataset(root)


def test_missing_split_lists_the_available_ones(tmp_path: Path) -> None:
    root = write_beir(tmp_path / "beir")
    with pytest.raises(FileNotFoundError, match=r"dev\.tsv \(available splits: test\)"):
        load_qrels(root, "dev")
    with pytest.raises(FileNotFoundError, match="qrels folder not found"):
        available_splits(tmp_path)
