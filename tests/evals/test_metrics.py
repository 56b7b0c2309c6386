"""Metrics: cross-checked against ranx on real BM25 runs, plus small hand-computed cases."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import bm25s
import pytest
import ranx
import Stemmer

from askdocs.evals.beir import load_dataset
from askdocs.evals.metrics import (
    Qrels,
    Run,
    evaluate,
    evaluate_per_query,
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    rank,
    recall_at_k,
)
from askdocs.evals.trec import read_run, write_run
from tests.conftest import DATASETS

# Our metric names and ranx's names for the same measure.
RANX_NAMES = {
    "ndcg@10": "ndcg@10",
    "recall@100": "recall@100",
    "mrr@10": "mrr@10",
    "hit@1": "hit_rate@1",
    "hit@10": "hit_rate@10",
}


@dataclass(frozen=True)
class BM25Run:
    name: str
    qrels: Qrels
    run: Run


@functools.cache  # built once per session, shared by the fixture and the raw-score tests
def bm25_run(name: str, depth: int = 100) -> BM25Run:
    """BM25 (bm25s, English stopwords and Snowball stemmer) over title + text, top ``depth``."""
    data = load_dataset(DATASETS / name, "test")
    stemmer = Stemmer.Stemmer("english")
    doc_ids = list(data.corpus)
    texts = [f"{d.title} {d.text}" for d in data.corpus.values()]
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    query_ids = list(data.queries)
    tokens = bm25s.tokenize(
        [data.queries[q] for q in query_ids], stopwords="en", stemmer=stemmer, show_progress=False
    )
    hits, scores = retriever.retrieve(tokens, k=depth, show_progress=False)
    run = {
        q: {doc_ids[int(d)]: float(s) for d, s in zip(hits[i], scores[i], strict=True)}
        for i, q in enumerate(query_ids)
    }
    return BM25Run(name, data.qrels, run)


# SciFact has binary judgements; NFCorpus's grades 1-2 exercise the graded gains.
@pytest.fixture(scope="module", params=["scifact", "nfcorpus"])
def bm25(request: pytest.FixtureRequest) -> BM25Run:
    return bm25_run(request.param)


@dataclass(frozen=True)
class RanxScores:
    mean: dict[str, float]  # our metric name → mean
    per_query: dict[str, dict[str, float]]  # query id → our metric name → value


def ranx_scores(qrels: Qrels, run: Run) -> RanxScores:
    """ranx's figures, keyed by our metric names.

    Plain dicts rather than ranx.Qrels/ranx.Run: those build numba typed dicts whose key type
    depends on the id lengths, so every dataset paid a fresh multi-second JIT compile.
    """
    query_ids = sorted(qrels)  # ranx pairs the two dicts' values by position
    arrays = ranx.evaluate(
        {q: qrels[q] for q in query_ids},
        {q: run[q] for q in query_ids},
        list(RANX_NAMES.values()),
        return_mean=False,
    )
    per_query = {
        q: {name: float(arrays[ranx_name][i]) for name, ranx_name in RANX_NAMES.items()}
        for i, q in enumerate(query_ids)
    }
    mean = {name: float(arrays[ranx_name].mean()) for name, ranx_name in RANX_NAMES.items()}
    return RanxScores(mean, per_query)


def untied(run: Run) -> Run:
    """The same rankings with strictly decreasing scores, in our (trec_eval's) tie order.

    ranx orders equal scores with an unstable sort, so on tied docs of different grades it can
    disagree with any fixed rule; with no ties left, both sides rank identically.
    """
    return {
        q: {d: float(len(scores) - i) for i, d in enumerate(rank(scores))}
        for q, scores in run.items()
    }


def assert_matches(
    ours_mean: dict[str, float], ours: dict[str, dict[str, float]], theirs: RanxScores
) -> None:
    assert set(ours) == set(theirs.per_query)
    for name in RANX_NAMES:
        assert ours_mean[name] == pytest.approx(theirs.mean[name], abs=1e-6), name
        for query_id, values in ours.items():
            expected = theirs.per_query[query_id][name]
            assert values[name] == pytest.approx(expected, abs=1e-6), (query_id, name)


def test_matches_ranx_mean_and_per_query(bm25: BM25Run) -> None:
    # Ours on the raw run (ties resolved by our rule); ranx on the same order made explicit.
    ours_mean = evaluate(bm25.qrels, bm25.run, list(RANX_NAMES))
    theirs = ranx_scores(bm25.qrels, untied(bm25.run))
    print(f"\n{bm25.name} BM25 ours: {ours_mean}\n{bm25.name} BM25 ranx: {theirs.mean}")
    ours = evaluate_per_query(bm25.qrels, bm25.run, list(RANX_NAMES))
    assert set(ours) == set(bm25.qrels)
    assert_matches(ours_mean, ours, theirs)


def test_matches_ranx_on_raw_scifact_scores() -> None:
    # SciFact's BM25 run has tied scores, but never between docs of different grades, so here
    # ranx's own sort must give exactly our figures.
    data = bm25_run("scifact")
    theirs = ranx_scores(data.qrels, data.run)
    ours = evaluate_per_query(data.qrels, data.run, list(RANX_NAMES))
    assert_matches(evaluate(data.qrels, data.run, list(RANX_NAMES)), ours, theirs)


def test_raw_nfcorpus_differs_from_ranx_only_at_ties() -> None:
    # NFCorpus holds duplicate abstracts, so BM25 ties docs of different grades; ranx's unstable
    # sort then orders them its own way. Every disagreement must come from such a tie.
    data = bm25_run("nfcorpus")
    theirs = ranx_scores(data.qrels, data.run)
    ours = evaluate_per_query(data.qrels, data.run, list(RANX_NAMES))
    disagreements = 0
    for query_id, values in ours.items():
        scores, qrel = data.run[query_id], data.qrels[query_id]
        for name in RANX_NAMES:
            if abs(values[name] - theirs.per_query[query_id][name]) <= 1e-6:
                continue
            disagreements += 1
            cutoff = int(name.split("@")[1])
            top = rank(scores)[:cutoff]
            grades_by_score: dict[float, set[int]] = {}
            for doc_id, score in scores.items():
                grades_by_score.setdefault(score, set()).add(qrel.get(doc_id, 0))
            assert any(len(grades_by_score[scores[d]]) > 1 for d in top), (query_id, name)
    print(f"\nnfcorpus raw BM25: {disagreements} per-query values differ from ranx, all at ties")


def test_bm25_figures_are_in_the_published_range(bm25: BM25Run) -> None:
    # Guards the fixture itself: a broken run would make the cross-check vacuous.
    published = {"scifact": 0.687, "nfcorpus": 0.321}  # bm25s, ../shared/datasets/README.md
    ndcg = evaluate(bm25.qrels, bm25.run, ["ndcg@10"])["ndcg@10"]
    assert ndcg == pytest.approx(published[bm25.name], abs=0.02)


def test_trec_run_file_round_trip_keeps_the_metrics(bm25: BM25Run, tmp_path: Path) -> None:
    path = tmp_path / "bm25.run"
    write_run(bm25.run, path, tag="bm25", depth=100)
    first = path.read_text(encoding="utf-8").splitlines()[0].split()
    assert first[1] == "Q0" and first[3] == "1" and first[5] == "bm25"
    assert read_run(path) == bm25.run
    names = list(RANX_NAMES)
    assert evaluate(bm25.qrels, read_run(path), names) == evaluate(bm25.qrels, bm25.run, names)


# Hand-computed cases -------------------------------------------------------------------------

GRADED_QREL = {"a": 2, "b": 1, "c": 0}
GRADED_SCORES = {"c": 0.9, "b": 0.8, "a": 0.7, "d": 0.6}


def test_graded_ndcg_uses_linear_gains() -> None:
    ranking = rank(GRADED_SCORES)
    assert ranking == ["c", "b", "a", "d"]
    # DCG@3 = 0/log2(2) + 1/log2(3) + 2/log2(4); ideal order is a (2), b (1).
    expected = (1 / math.log2(3) + 2 / 2) / (2 / 1 + 1 / math.log2(3))
    assert ndcg_at_k(GRADED_QREL, ranking, 3) == pytest.approx(expected)
    assert ndcg_at_k(GRADED_QREL, ranking, 1) == 0.0
    assert recall_at_k(GRADED_QREL, ranking, 2) == 0.5
    assert mrr_at_k(GRADED_QREL, ranking, 10) == 0.5
    assert hit_at_k(GRADED_QREL, ranking, 1) == 0.0
    assert hit_at_k(GRADED_QREL, ranking, 2) == 1.0


def test_graded_case_matches_ranx() -> None:
    qrels = {"q": GRADED_QREL}
    run = {"q": GRADED_SCORES}
    for k in (1, 2, 3, 10):
        ours = evaluate(qrels, run, [f"ndcg@{k}"])[f"ndcg@{k}"]
        theirs = ranx.evaluate(qrels, run, f"ndcg@{k}")
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_query_missing_from_run_or_empty_scores_zero() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    for run in ({"q1": {"a": 1.0}}, {"q1": {"a": 1.0}, "q2": {}}):
        per_query = evaluate_per_query(qrels, run, ["ndcg@10", "recall@100", "mrr@10", "hit@1"])
        assert per_query["q2"] == {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0, "hit@1": 0.0}
        assert evaluate(qrels, run, ["ndcg@10", "hit@1"]) == {"ndcg@10": 0.5, "hit@1": 0.5}


def test_queries_without_relevant_docs_are_not_averaged() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 0}}
    run = {"q1": {"a": 1.0}, "q2": {"b": 1.0}, "unjudged": {"a": 1.0}}
    assert evaluate(qrels, run, ["mrr@10"]) == {"mrr@10": 1.0}
    assert set(evaluate_per_query(qrels, run, ["mrr@10"])) == {"q1"}
    with pytest.raises(ValueError, match="no query with a relevant document"):
        evaluate({"q2": {"b": 0}}, run, ["mrr@10"])


def test_ties_are_broken_by_doc_id_descending_like_trec_eval() -> None:
    scores = {"x": 1.0, "y": 1.0, "z": 0.5, "w": 1.0}
    assert rank(scores) == ["y", "x", "w", "z"]
    qrels = {"q": {"x": 1}}
    # Dict order must not matter: the same scores inserted the other way round rank the same.
    reordered = dict(reversed(list(scores.items())))
    for run in ({"q": scores}, {"q": reordered}):
        assert evaluate(qrels, run, ["mrr@10", "hit@1", "hit@2"]) == {
            "mrr@10": 0.5,
            "hit@1": 0.0,
            "hit@2": 1.0,
        }


def test_recall_counts_only_the_cutoff() -> None:
    qrel = {"a": 1, "b": 1, "c": 1, "d": 1}
    assert recall_at_k(qrel, ["a", "x", "b", "c"], 3) == 0.5
    assert recall_at_k(qrel, ["a", "x", "b", "c"], 100) == 0.75


@pytest.mark.parametrize("name", ["ndcg", "ndcg@", "ndcg@0", "ndcg@x", "map@10", "NDCG@10"])
def test_unknown_or_malformed_metric_names_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate({"q": {"a": 1}}, {"q": {"a": 1.0}}, [name])


def test_nan_scores_are_rejected() -> None:
    with pytest.raises(ValueError, match="NaN"):
        rank({"a": float("nan")})


# TREC run files ------------------------------------------------------------------------------


def test_write_run_ranks_cuts_at_depth_and_orders_ties(tmp_path: Path) -> None:
    path = tmp_path / "small.run"
    write_run({"q2": {"b": 0.5, "a": 0.5, "c": 0.25}, "q1": {"x": 1.0}}, path, "tag", depth=2)
    assert path.read_text(encoding="utf-8").splitlines() == [
        "q1 Q0 x 1 1.0 tag",
        "q2 Q0 b 1 0.5 tag",
        "q2 Q0 a 2 0.5 tag",
    ]


@pytest.mark.parametrize(
    ("run", "tag", "depth", "message"),
    [
        ({"q": {"a": 1.0}}, "two words", 10, "run tag"),
        ({"q 1": {"a": 1.0}}, "tag", 10, "query id"),
        ({"q": {"a b": 1.0}}, "tag", 10, "doc id"),
        ({"q": {"a": 1.0}}, "tag", 0, "depth must be at least 1"),
    ],
)
def test_write_run_rejects_what_the_format_cannot_hold(
    tmp_path: Path, run: Run, tag: str, depth: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        write_run(run, tmp_path / "bad.run", tag, depth)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("q1 Q0 d2 2 0.5", "expected 6 fields"),
        ("q1 Q0 d2 two 0.5 tag", "rank must be an integer"),
        ("q1 Q0 d2 2 high tag", "score a number"),
        ("q1 Q0 d1 2 0.5 tag", "doc 'd1' listed twice"),
    ],
)
def test_read_run_bad_line_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.run"
    path.write_text(f"q1 Q0 d1 1 0.9 tag\r\n\r\n{line}\r\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        read_run(path)
    assert f"{path}:3:" in str(info.value)
