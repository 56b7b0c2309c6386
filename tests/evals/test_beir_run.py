"""A small real BEIR run through askdocs's own index and retriever: SciFact restricted to the
documents 20 test queries judge plus distractors (120 in all). The run must be a valid TREC run
file and our metrics must equal ranx's on it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import ranx

from askdocs.evals.beir import load_dataset
from askdocs.evals.beir_eval import BEIR_METRICS, RUN_DEPTH, beir_document, beir_documents, retrieve
from askdocs.evals.cli import EvalOptions, run_eval
from askdocs.evals.indexing import eval_collection
from askdocs.evals.metrics import Qrels, Run, evaluate, evaluate_per_query, rank
from askdocs.evals.trec import read_run, write_run
from askdocs.index.embedder import Embedder
from askdocs.settings import Settings
from tests.conftest import DATASETS

SCIFACT = DATASETS / "scifact"
QUERIES = 20
DOCS = 120
RANX_NAMES = {"ndcg@10": "ndcg@10", "recall@100": "recall@100", "mrr@10": "mrr@10"}


@pytest.fixture(scope="module")
def subset_run(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> tuple[Qrels, Run, int]:
    """Hybrid run of the first QUERIES test queries over ~DOCS SciFact documents."""
    data = load_dataset(SCIFACT, "test")
    query_ids = sorted(data.qrels)[:QUERIES]
    qrels = {q: data.qrels[q] for q in query_ids}
    judged = {d for q in query_ids for d in qrels[q]}
    distractors = [d for d in data.corpus if d not in judged][: DOCS - len(judged)]
    corpus = {d: data.corpus[d] for d in sorted(judged) + distractors}
    settings = Settings(index=tmp_path_factory.mktemp("beir") / "index")
    documents = beir_documents(SCIFACT, corpus.values())
    with eval_collection(documents, settings, embedder, settings.index) as collection:
        stored, chunks = collection.count()
        assert stored == len(corpus) and chunks > stored  # long abstracts are split
        run = retrieve(collection, {q: data.queries[q] for q in query_ids}, "hybrid")
    return qrels, run, len(corpus)


def untied(run: Run) -> Run:
    """Same rankings, strictly decreasing scores in our (trec_eval's) order, for ranx."""
    return {q: {d: float(len(s) - i) for i, d in enumerate(rank(s))} for q, s in run.items()}


def test_run_file_is_standard_trec(subset_run: tuple[Qrels, Run, int], tmp_path: Path) -> None:
    qrels, run, documents = subset_run
    path = tmp_path / "hybrid.run"
    write_run(run, path, tag="askdocs-hybrid", depth=RUN_DEPTH)
    lines = path.read_text(encoding="utf-8").splitlines()
    per_query: dict[str, list[list[str]]] = {}
    for line in lines:
        fields = line.split(" ")
        assert len(fields) == 6 and fields[1] == "Q0" and fields[5] == "askdocs-hybrid"
        per_query.setdefault(fields[0], []).append(fields)
    assert set(per_query) == set(qrels)
    for rows in per_query.values():
        assert len(rows) == min(RUN_DEPTH, documents)  # 100 documents a query
        assert [int(r[3]) for r in rows] == list(range(1, len(rows) + 1))
        scores = [float(r[4]) for r in rows]
        assert scores == sorted(scores, reverse=True)
        assert len({r[2] for r in rows}) == len(rows)
    assert read_run(path) == run


def test_metrics_equal_ranx_on_our_run(subset_run: tuple[Qrels, Run, int]) -> None:
    qrels, run, _ = subset_run
    ours = evaluate(qrels, run, list(BEIR_METRICS))
    ours_per_query = evaluate_per_query(qrels, run, list(BEIR_METRICS))
    query_ids = sorted(qrels)
    theirs = ranx.evaluate(
        {q: qrels[q] for q in query_ids},
        {q: untied(run)[q] for q in query_ids},
        list(RANX_NAMES.values()),
        return_mean=False,
    )
    print(f"\nscifact subset hybrid: {ours}")
    for name, ranx_name in RANX_NAMES.items():
        assert ours[name] == pytest.approx(float(theirs[ranx_name].mean()), abs=1e-6), name
        for i, query_id in enumerate(query_ids):
            expected = float(theirs[ranx_name][i])
            assert ours_per_query[query_id][name] == pytest.approx(expected, abs=1e-6)
    # A retriever this small corpus cannot fool: a sanity floor, not a quality claim.
    assert ours["ndcg@10"] > 0.6


def test_title_is_part_of_the_indexed_text() -> None:
    data = load_dataset(SCIFACT, "test")
    doc = beir_document(data.corpus["4983"], "scifact#4983")
    assert doc.id == "4983"
    assert doc.title.startswith("Microstructural development of human newborn cerebral")
    assert doc.text.startswith(doc.title + "\n\n")
    assert doc.text.endswith(data.corpus["4983"].text.strip())


def write_tiny_beir(root: Path) -> Path:
    (root / "qrels").mkdir(parents=True)
    corpus = [
        {"_id": "d1", "title": "Coffee", "text": "Caffeine in coffee keeps people awake."},
        {"_id": "d2", "title": "Sleep", "text": "Adults need seven to nine hours of sleep."},
        {"_id": "d3", "title": "Tides", "text": "The moon's gravity drives ocean tides."},
    ]
    queries = [{"_id": "q1", "text": "what keeps you awake"}, {"_id": "q2", "text": "ocean tides"}]
    (root / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus))
    (root / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in queries))
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n")
    return root


def test_eval_beir_with_run_file_and_report(
    tmp_path: Path, embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tiny_beir(tmp_path / "tiny")
    options = EvalOptions(beir=root, index=tmp_path / "index", out=tmp_path / "r")
    compared = replace(options, compare="mode=dense,lexical,hybrid", run_out=tmp_path / "t.run")
    run_eval(compared, lambda _settings: embedder)
    assert "tiny (test): 2 queries, 3 documents" in capsys.readouterr().out
    for mode in ("dense", "lexical", "hybrid"):
        run = read_run(tmp_path / f"t.{mode}.run")
        assert rank(run["q2"])[0] == "d3"
        assert (tmp_path / "r" / "runs" / f"{mode}.trec").is_file()
    assert (tmp_path / "r" / "chart.png").read_bytes()[:4] == b"\x89PNG"
    run_eval(replace(options, out=None, mode="lexical", as_json=True), lambda _s: embedder)
    [only] = json.loads(capsys.readouterr().out)["results"]
    assert only["mode"] == "lexical" and only["metrics"]["ndcg@10"] == 1.0
    assert only["documents"] == 3 and only["queries"] == 2
