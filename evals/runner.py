"""Run a question set through the service's retriever and answerer, and score it.

For each question the runner asks the `Answerer` itself, then scores retrieval for the query
the answerer settled on (the question alone, or read with the conversation) in the configured
search mode. Gold is text: a chunk is relevant when it contains an evidence span
(`evals.relevance`), and the qrels behind nDCG and recall come from scanning every chunk of the
collection for the evidence, so the figures hold for any chunking or model.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from askdocs.evals.metrics import score_ranking
from askdocs.evals.percentiles import percentile
from askdocs.evals.questions import Question
from askdocs.evals.relevance import contains_evidence, normalise
from askdocs.index.backend import Backend
from askdocs.service.answerer import Answer, Answerer
from askdocs.service.answerer.candidates import CONTEXT_KINDS, line_kind
from askdocs.settings import Settings

# How deep the retrieval metrics look (hit@10, MRR@10, nDCG@10, recall@10).
RETRIEVAL_DEPTH = 10
RETRIEVAL_METRICS = (
    "hit@1",
    "hit@3",
    "hit@5",
    "hit@10",
    "mrr@10",
    "ndcg@10",
    "recall@5",
    "recall@10",
)
ANSWER_METRICS = (
    "answer_evidence",
    "abstention_precision",
    "abstention_recall",
    "false_abstention",
    "citation_validity",
    "duplicate_citations",
    "heading_citations",
    "answer_words_p50",
)
LATENCY_METRICS = ("search_p50_ms", "search_p95_ms", "answer_p50_ms", "answer_p95_ms")
METRICS = RETRIEVAL_METRICS + ANSWER_METRICS + LATENCY_METRICS
# An answer counts as correct when its text or one of its first citations holds the evidence.
EVIDENCE_CITATIONS = 3

_MARKER = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class Retrieved:
    """One retrieved chunk, as recorded for a question."""

    chunk_id: int
    doc_id: str
    start: int
    end: int
    score: float
    relevant: bool


@dataclass
class QuestionResult:
    """Everything measured for one question."""

    id: str
    question: str
    query: str
    answerable: bool
    relevant_chunks: int  # chunks of the collection that hold evidence
    first_relevant: int | None  # 1-based rank within RETRIEVAL_DEPTH
    retrieval: dict[str, float]  # RETRIEVAL_METRICS; empty for unanswerable questions
    retrieved: list[Retrieved]
    answer: str
    abstained: bool
    answer_evidence: bool | None  # None for unanswerable questions
    citations: int
    invalid_citations: int
    duplicate_citations: int  # citations whose text another citation of the answer repeats
    heading_citations: int  # citations that quote a heading or a question line
    answer_words: int
    search_ms: float
    answer_ms: float


@dataclass
class RunResult:
    """A question set run under one configuration."""

    label: str
    config: dict[str, Any]
    metrics: dict[str, float | None]
    questions: list[QuestionResult]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self, with_questions: bool = False) -> dict[str, Any]:
        """A JSON-ready dict; per-question records only when asked."""
        data: dict[str, Any] = {
            "label": self.label,
            "config": self.config,
            "metrics": self.metrics,
            "counts": self.counts,
            "seconds": round(self.seconds, 3),
        }
        if with_questions:
            data["questions"] = [asdict(q) for q in self.questions]
        return data


def config_of(settings: Settings) -> dict[str, Any]:
    """The settings a run depends on."""
    return {
        "mode": settings.search_mode,
        "top_k": settings.top_k,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "abstain_threshold": settings.abstain_threshold,
        "model": settings.model,
    }


# --- running ----------------------------------------------------------------------------------


class Judge:
    """Which chunks of a collection hold each question's evidence, and the document texts
    citations are checked against."""

    def __init__(self, collection: Backend) -> None:
        self.collection = collection
        self._chunks: list[tuple[int, str]] = []
        for ids, texts, _ in collection.iter_chunks():
            self._chunks.extend((int(i), normalise(t)) for i, t in zip(ids, texts, strict=True))
        self._documents: dict[str, str] = {}

    def relevant(self, spans: Sequence[str]) -> set[int]:
        """Ids of the chunks that contain one of `spans` (after normalising both)."""
        needles = [n for n in (normalise(s) for s in spans) if n]
        return {cid for cid, text in self._chunks if any(n in text for n in needles)}

    def document_text(self, doc_id: str) -> str:
        """The stored text of a document (cached)."""
        if doc_id not in self._documents:
            self._documents[doc_id] = self.collection.get_document(doc_id).text
        return self._documents[doc_id]

    def heading_citations(self, answer: Answer) -> int:
        """Citations that quote a whole heading or question line of their document."""
        count = 0
        for c in answer.citations:
            text = self.document_text(c.doc_id)
            line_start = text.rfind("\n", 0, c.start) + 1
            line_end = text.find("\n", c.end)
            line_end = len(text) if line_end < 0 else line_end
            line = text[line_start:line_end].strip()
            whole_line = line == c.excerpt.strip()
            has_more = line_end < len(text)
            before = text[text.rfind("\n", 0, max(line_start - 1, 0)) + 1 : max(line_start - 1, 0)]
            after_end = text.find("\n", line_end + 1)
            after = text[line_end + 1 : len(text) if after_end < 0 else after_end]
            kind = line_kind(line, c.section, has_more, (before, after))
            if c.excerpt.rstrip().endswith("?") or (whole_line and kind in CONTEXT_KINDS):
                count += 1
        return count

    def invalid_citations(self, answer: Answer) -> int:
        """Citations whose excerpt is not the document text at their offsets."""
        return sum(
            1
            for c in answer.citations
            if self.document_text(c.doc_id)[c.start : c.end] != c.excerpt
        )


def run_questions(
    collection: Backend,
    settings: Settings,
    questions: Sequence[Question],
    label: str = "",
    on_question: Callable[[QuestionResult], None] | None = None,
    answerer: Answerer | None = None,
) -> RunResult:
    """Run every question; `on_question` is called after each (e.g. to advance a progress
    bar). `answerer` replaces the service's own (to measure a variant of it)."""
    started = time.perf_counter()
    judge = Judge(collection)
    answerer = answerer or Answerer(collection, settings)
    results: list[QuestionResult] = []
    for question in questions:
        result = _run_one(collection, settings, answerer, judge, question)
        results.append(result)
        if on_question is not None:
            on_question(result)
    metrics, counts = aggregate(results)
    return RunResult(
        label or settings.search_mode,
        config_of(settings),
        metrics,
        results,
        counts,
        time.perf_counter() - started,
    )


def _run_one(
    collection: Backend,
    settings: Settings,
    answerer: Answerer,
    judge: Judge,
    question: Question,
) -> QuestionResult:
    relevant = judge.relevant(question.answers) if question.answerable else set()

    # Time each call with the question not yet embedded: the embedder remembers recent queries,
    # and a user's question is new to it.
    collection.embedder.forget_queries()
    t0 = time.perf_counter()
    answer = answerer.answer(question.question, question.history)
    answer_ms = (time.perf_counter() - t0) * 1000
    query = answer.query
    collection.embedder.forget_queries()
    t0 = time.perf_counter()
    hits = collection.search(query, k=RETRIEVAL_DEPTH, mode=settings.search_mode)
    search_ms = (time.perf_counter() - t0) * 1000

    retrieved = [
        Retrieved(
            h.stored.id,
            h.stored.chunk.doc_id,
            h.stored.chunk.start,
            h.stored.chunk.end,
            round(h.score, 6),
            h.stored.id in relevant,
        )
        for h in hits
    ]
    first = next((i for i, r in enumerate(retrieved, start=1) if r.relevant), None)
    retrieval: dict[str, float] = {}
    if question.answerable:
        ranking = [str(r.chunk_id) for r in retrieved]
        retrieval = score_ranking({str(c): 1 for c in relevant}, ranking, RETRIEVAL_METRICS)
    return QuestionResult(
        id=question.id,
        question=question.question,
        query=query,
        answerable=question.answerable,
        relevant_chunks=len(relevant),
        first_relevant=first,
        retrieval=retrieval,
        retrieved=retrieved,
        answer=answer.answer,
        abstained=answer.abstained,
        answer_evidence=_has_evidence(answer, question.answers) if question.answerable else None,
        citations=len(answer.citations),
        invalid_citations=judge.invalid_citations(answer),
        duplicate_citations=_duplicates(answer),
        heading_citations=judge.heading_citations(answer),
        answer_words=0 if answer.abstained else len(_MARKER.sub("", answer.answer).split()),
        search_ms=round(search_ms, 3),
        answer_ms=round(answer_ms, 3),
    )


def _duplicates(answer: Answer) -> int:
    texts = [normalise(c.excerpt) for c in answer.citations]
    return len(texts) - len(set(texts))


def _has_evidence(answer: Answer, spans: Sequence[str]) -> bool:
    if answer.abstained:
        return False
    if contains_evidence(_MARKER.sub("", answer.answer), spans):
        return True
    return any(contains_evidence(c.excerpt, spans) for c in answer.citations[:EVIDENCE_CITATIONS])


# --- aggregating ------------------------------------------------------------------------------


def aggregate(results: Sequence[QuestionResult]) -> tuple[dict[str, float | None], dict[str, int]]:
    """Mean metrics over a run's questions, and the counts behind them.

    Retrieval and answer-evidence figures average over answerable questions; abstention
    precision is None when nothing was abstained on, and recall None without unanswerable
    questions.
    """
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    abstained = [r for r in results if r.abstained]
    metrics: dict[str, float | None] = {}
    for name in RETRIEVAL_METRICS:
        metrics[name] = _mean([r.retrieval[name] for r in answerable])
    metrics["answer_evidence"] = _mean([float(bool(r.answer_evidence)) for r in answerable])
    correct_abstentions = sum(1 for r in abstained if not r.answerable)
    metrics["abstention_precision"] = correct_abstentions / len(abstained) if abstained else None
    metrics["abstention_recall"] = correct_abstentions / len(unanswerable) if unanswerable else None
    metrics["false_abstention"] = _mean([float(r.abstained) for r in answerable])
    citations = sum(r.citations for r in results)
    invalid = sum(r.invalid_citations for r in results)
    metrics["citation_validity"] = (citations - invalid) / citations if citations else 1.0
    metrics["duplicate_citations"] = float(sum(r.duplicate_citations for r in results))
    metrics["heading_citations"] = float(sum(r.heading_citations for r in results))
    words = [r.answer_words for r in results if not r.abstained]
    metrics["answer_words_p50"] = float(percentile(words, 50)) if words else None
    for kind in ("search", "answer"):
        times = [getattr(r, f"{kind}_ms") for r in results]
        for p in (50, 95):
            metrics[f"{kind}_p{p}_ms"] = percentile(times, p) if times else None
    counts = {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "abstained": len(abstained),
        "citations": citations,
        "invalid_citations": invalid,
        "evidence_in_no_chunk": sum(1 for r in answerable if r.relevant_chunks == 0),
    }
    return metrics, counts


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None
