"""The extractive answerer: candidates → scorer → selector → abstention.

No language model. The retrieved chunks' sentences (`candidates`) are measured (`features`),
scored by a linear model fitted on dev data (`scorer`), the best one and what belongs to it is
chosen (`selector`), and a second fitted model gives the probability that the collection
answers at all (`abstention`); below the threshold the answer says the documents don't cover
the question. A question with a conversation is read alone and in the light of the last user
turn; the reading the documents support better wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from askdocs.index.backend import Backend
from askdocs.index.collection import SearchHit
from askdocs.index.lexical import tokenize
from askdocs.service.answerer import abstention
from askdocs.service.answerer.candidates import LIST, TABLE, Candidate, gather
from askdocs.service.answerer.features import (
    QueryTerms,
    asks_yes_or_no,
    candidate_features,
    question_features,
)
from askdocs.service.answerer.scorer import AnswerModels, load_models, softmax
from askdocs.service.answerer.selector import Selector, select
from askdocs.service.conversation import Turn, in_context, normalised, said_before
from askdocs.settings import Settings

NO_ANSWER = "The documents don't cover this question."


@dataclass(frozen=True)
class Citation:
    """A quoted excerpt: `document.text[start:end] == excerpt`."""

    n: int
    doc_id: str
    title: str
    source: str
    excerpt: str
    start: int
    end: int
    score: float
    section: str | None = None
    page: int | None = None


@dataclass(frozen=True)
class Answer:
    """An answer made of cited sentences, or an abstention."""

    answer: str
    abstained: bool
    citations: list[Citation]
    query: str
    probability: float = 0.0
    # What was retrieved for the reading answered: a generated answer's sources come from it.
    hits: list[SearchHit] = field(default_factory=list, repr=False, compare=False)


@dataclass
class Attempt:
    """One reading of a question: what was retrieved, measured and scored."""

    query: str
    hits: list[SearchHit]
    candidates: list[Candidate] = field(default_factory=list)  # the scorable ones
    rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    logits: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    question_row: np.ndarray | None = None
    probability: float = 0.0
    terms: QueryTerms | None = None


class Answerer:
    """Answers questions over one collection with the settings' answer configuration."""

    def __init__(
        self,
        collection: Backend,
        settings: Settings,
        selector: Selector = select,
        models: AnswerModels | None = None,
    ) -> None:
        self.collection = collection
        self.settings = settings
        self.config = settings.answer
        self.selector = selector
        self.models = models or (
            load_models(self.config.weights) if self.config.weights else load_models()
        )

    def answer(
        self, question: str, history: list[Turn] | None = None, top_k: int | None = None
    ) -> Answer:
        """Answer `question`; `top_k` chunks are read (default: the settings' top_k)."""
        history = history or []
        k = top_k or self.settings.top_k
        exclude = said_before(history)
        attempt = self.attempt(question, question, k, exclude)
        contextual = in_context(question, history)
        if contextual is not None:
            other = self.attempt(contextual, question, k, exclude)
            if other.probability > attempt.probability + self.config.follow_up_margin:
                attempt = other
        if not attempt.candidates or attempt.probability < self.settings.abstain_threshold:
            return Answer(NO_ANSWER, True, [], attempt.query, attempt.probability, attempt.hits)
        chosen = self.selector(
            attempt.candidates, softmax(attempt.logits), self.config, asks_yes_or_no(question)
        )
        scores = {c.key: float(s) for c, s in zip(attempt.candidates, attempt.logits, strict=True)}
        return _compose(attempt, chosen, scores)

    def attempt(self, query: str, question: str, k: int, exclude: str = "") -> Attempt:
        """Retrieve for `query` and score its candidates; `question` decides the question
        kind; sentences contained in `exclude` (the last answer) are left out."""
        hits = self.collection.search(query, k=k, mode=self.settings.search_mode)
        result = Attempt(query, hits)
        if not hits:
            return result
        scorable = [
            c
            for c in gather(hits, self.config.heading_max_words)
            if c.answerable
            and (len(c.text.split()) >= self.config.min_words or c.kind in (LIST, TABLE))
            and not (exclude and normalised(c.text) in exclude)
        ]
        if not scorable:
            return result
        query_vector = self.collection.embedder.encode_query(query)
        heading_keys = [c.heading_key for c in scorable if c.heading_key is not None]
        vectors = self._vectors(scorable, heading_keys)
        similarity = np.array([vectors[c.key] @ query_vector for c in scorable], dtype=np.float32)
        heading_similarity = np.array(
            [
                float(vectors[c.heading_key] @ query_vector) if c.heading_key in vectors else 0.0
                for c in scorable
            ],
            dtype=np.float32,
        )
        tokens = sorted(set(tokenize([query])[0]))
        terms = QueryTerms.of(query, self.collection.inverse_document_frequency(tokens))
        rows = candidate_features(question, terms, scorable, similarity, heading_similarity)
        logits = self.models.scorer(rows)
        top = hits[0].stored
        qrow = question_features(
            logits, rows, terms, f"{top.title}\n{top.chunk.text}", float(hits[0].score)
        )
        result.candidates, result.rows, result.logits = scorable, rows, logits
        result.question_row, result.terms = qrow, terms
        result.probability = abstention.probability(self.models.abstention, qrow)
        return result

    def _vectors(
        self, candidates: list[Candidate], heading_keys: list[tuple[str, int, int]]
    ) -> dict[tuple[str, int, int], np.ndarray]:
        """Vectors of the candidates and of the headings above them, in one store read.
        The store holds the answer sentences ingest cut (ingest/sentences.py); a candidate cut
        otherwise (a list item or table row quoted whole) is embedded now. A heading counts
        only where the store has it (lines of five words or more, such as FAQ questions):
        embedding every short label would cost each question."""
        wanted = list(dict.fromkeys([c.key for c in candidates] + heading_keys))
        found = self.collection.sentence_vectors(wanted)
        missing = [c for c in candidates if c.key not in found]
        if missing:
            fresh = self.collection.embedder.encode([c.text for c in missing])
            found.update(zip((c.key for c in missing), fresh, strict=True))
        return found


def _compose(
    attempt: Attempt, chosen: list[Candidate], scores: dict[tuple[str, int, int], float]
) -> Answer:
    """Quote the chosen sentences in reading order (documents by their best rank)."""
    doc_rank: dict[str, int] = {}
    for c in chosen:
        doc = c.hit.stored.chunk.doc_id
        doc_rank[doc] = min(doc_rank.get(doc, c.rank), c.rank)
    ordered = sorted(chosen, key=lambda c: (doc_rank[c.hit.stored.chunk.doc_id], c.start))
    citations: list[Citation] = []
    parts: list[str] = []
    for n, c in enumerate(ordered, start=1):
        stored = c.hit.stored
        citations.append(
            Citation(
                n=n,
                doc_id=stored.chunk.doc_id,
                title=stored.title,
                source=stored.source,
                excerpt=c.text,
                start=c.start,
                end=c.end,
                score=round(scores.get(c.key, 0.0), 4),
                section=stored.chunk.section,
                page=stored.chunk.page,
            )
        )
        parts.append(f"{c.text} [{n}]")
    return Answer(
        " ".join(parts), False, citations, attempt.query, attempt.probability, attempt.hits
    )
