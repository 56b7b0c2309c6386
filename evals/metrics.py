"""Retrieval metrics over BEIR-shaped qrels and runs.

``qrels`` maps query id → doc id → graded relevance; a doc is relevant when its grade is >= 1
(ranx's and trec_eval's default relevance level). ``run`` maps query id → doc id → score, higher
first. Values agree with ranx (``ndcg``, ``recall``, ``mrr``, ``hit_rate``), cross-checked in
tests/evals/test_metrics.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]

RELEVANCE_LEVEL = 1


def rank(scores: Mapping[str, float]) -> list[str]:
    """Doc ids by score descending; ties by doc id descending, as trec_eval orders them."""
    for doc_id, score in scores.items():
        if math.isnan(score):
            raise ValueError(f"score of {doc_id!r} is NaN")
    # ranx breaks ties by an unstable sort, so no rule can match it everywhere; trec_eval's rule
    # (and so pytrec_eval's, which BEIR's published figures use) is deterministic: follow it.
    return sorted(scores, key=lambda doc_id: (scores[doc_id], doc_id), reverse=True)


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")


def ndcg_at_k(qrel: Mapping[str, int], ranking: Sequence[str], k: int) -> float:
    """nDCG@k with linear gains (rel / log2(rank + 1)), like ranx's ``ndcg`` and trec_eval."""
    _check_k(k)
    dcg = sum(
        qrel.get(doc_id, 0) / math.log2(i + 2)
        for i, doc_id in enumerate(ranking[:k])
        if qrel.get(doc_id, 0) >= RELEVANCE_LEVEL
    )
    ideal = sorted((g for g in qrel.values() if g >= RELEVANCE_LEVEL), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(qrel: Mapping[str, int], ranking: Sequence[str], k: int) -> float:
    """Share of the query's relevant docs found in the top k."""
    _check_k(k)
    relevant = {d for d, g in qrel.items() if g >= RELEVANCE_LEVEL}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def mrr_at_k(qrel: Mapping[str, int], ranking: Sequence[str], k: int) -> float:
    """Reciprocal rank of the first relevant doc in the top k, else 0."""
    _check_k(k)
    for i, doc_id in enumerate(ranking[:k]):
        if qrel.get(doc_id, 0) >= RELEVANCE_LEVEL:
            return 1.0 / (i + 1)
    return 0.0


def hit_at_k(qrel: Mapping[str, int], ranking: Sequence[str], k: int) -> float:
    """1.0 when any relevant doc is in the top k, else 0.0."""
    _check_k(k)
    return 1.0 if any(qrel.get(d, 0) >= RELEVANCE_LEVEL for d in ranking[:k]) else 0.0


MetricFn = Callable[[Mapping[str, int], Sequence[str], int], float]

METRICS: dict[str, MetricFn] = {
    "ndcg": ndcg_at_k,
    "recall": recall_at_k,
    "mrr": mrr_at_k,
    "hit": hit_at_k,
}


def parse_metric(name: str) -> tuple[MetricFn, int]:
    """Split a name such as ``"ndcg@10"`` into its function and cutoff."""
    base, sep, cutoff = name.partition("@")
    if base not in METRICS or not sep or not cutoff.isdigit() or int(cutoff) < 1:
        known = ", ".join(f"{m}@K" for m in METRICS)
        raise ValueError(f"unknown metric {name!r}; expected one of {known} with K >= 1")
    return METRICS[base], int(cutoff)


def score_ranking(
    qrel: Mapping[str, int], ranking: Sequence[str], metrics: Sequence[str]
) -> dict[str, float]:
    """Metric name → value of one query's ranking, best first."""
    parsed = [(name, *parse_metric(name)) for name in metrics]
    return {name: fn(qrel, ranking, k) for name, fn, k in parsed}


def judged_queries(qrels: Mapping[str, Mapping[str, int]]) -> list[str]:
    """Query ids with at least one relevant doc, sorted; the ones metrics average over."""
    return sorted(
        q for q, docs in qrels.items() if any(g >= RELEVANCE_LEVEL for g in docs.values())
    )


def evaluate_per_query(
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Mapping[str, float]],
    metrics: Sequence[str],
) -> dict[str, dict[str, float]]:
    """Query id → metric name → value, for every judged query; a query missing from the run
    scores 0. Run queries absent from the qrels are ignored."""
    for name in metrics:
        parse_metric(name)  # an unknown name fails even when nothing is judged
    return {
        query_id: score_ranking(qrels[query_id], rank(run.get(query_id, {})), metrics)
        for query_id in judged_queries(qrels)
    }


def evaluate(
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Mapping[str, float]],
    metrics: Sequence[str],
) -> dict[str, float]:
    """Metric name → mean over judged queries, e.g. ``evaluate(qrels, run, ["ndcg@10"])``."""
    per_query = evaluate_per_query(qrels, run, metrics)
    if not per_query:
        raise ValueError("the qrels have no query with a relevant document")
    return {
        name: math.fsum(values[name] for values in per_query.values()) / len(per_query)
        for name in metrics
    }
