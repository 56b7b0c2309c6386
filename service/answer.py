"""The extractive answerer: picks the sentences that answer, cites each, or abstains.

No language model: candidate sentences come from the top retrieved chunks, are scored by
cosine similarity to the question (plus a little for shared words), and the best few are
quoted verbatim with their offsets. When even the best sentence is not similar enough, the
answer says the documents don't cover the question.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from askdocs.settings import Settings
from index.collection import Collection, SearchHit
from index.lexical import tokenize
from ingest.sentences import split_sentences
from service.conversation import Turn, contextual_query

NO_ANSWER = "The documents don't cover this question."
# Sentences shorter than this are headers or dates, not answers.
MIN_SENTENCE_WORDS = 4
# Chunks whose sentences are considered.
CANDIDATE_CHUNKS = 4
# A sentence joins the answer when it scores within this margin of the best one.
SELECT_MARGIN = 0.08
LEXICAL_WEIGHT = 0.15


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


@dataclass(frozen=True)
class _Candidate:
    hit: SearchHit
    rank: int
    start: int
    end: int
    text: str


class Answerer:
    """Answers questions over one collection with the settings' thresholds."""

    def __init__(self, collection: Collection, settings: Settings) -> None:
        self.collection = collection
        self.settings = settings

    def answer(
        self, question: str, history: list[Turn] | None = None, top_k: int | None = None
    ) -> Answer:
        """Answer `question` (a follow-up is read in the light of `history`)."""
        query = contextual_query(question, history or [])
        k = top_k or self.settings.top_k
        hits = self.collection.search(query, k=k, mode=self.settings.search_mode)
        candidates = _candidates(hits[: max(CANDIDATE_CHUNKS, 1)])
        if not candidates:
            return Answer(NO_ANSWER, True, [], query)
        scores, similarity = self._score(query, candidates)
        best = int(np.argmax(scores))
        if similarity[best] < self.settings.abstain_threshold:
            return Answer(NO_ANSWER, True, [], query)
        chosen = [
            i
            for i in np.argsort(-scores)
            if scores[i] >= scores[best] - SELECT_MARGIN
            and similarity[i] >= self.settings.abstain_threshold
        ][: self.settings.max_answer_sentences]
        return _compose(query, [(candidates[i], float(scores[i])) for i in chosen])

    def _score(
        self, query: str, candidates: list[_Candidate]
    ) -> tuple[np.ndarray, np.ndarray]:
        embedder = self.collection.embedder
        vectors = embedder.encode([c.text for c in candidates])
        similarity = vectors @ embedder.encode_query(query)
        query_terms = set(tokenize([query])[0])
        overlap = np.array(
            [
                len(query_terms & set(terms)) / len(query_terms) if query_terms else 0.0
                for terms in tokenize([c.text for c in candidates])
            ]
        )
        return similarity + LEXICAL_WEIGHT * overlap, similarity


def _candidates(hits: list[SearchHit]) -> list[_Candidate]:
    """Sentences of the retrieved chunks, each once (chunks overlap)."""
    seen: set[tuple[str, int]] = set()
    out: list[_Candidate] = []
    for rank, hit in enumerate(hits):
        chunk = hit.stored.chunk
        for start, end in split_sentences(chunk.text, offset=chunk.start):
            text = chunk.text[start - chunk.start : end - chunk.start]
            key = (chunk.doc_id, start)
            if key in seen or len(text.split()) < MIN_SENTENCE_WORDS:
                continue
            seen.add(key)
            out.append(_Candidate(hit, rank, start, end, text))
    return out


def _compose(query: str, chosen: list[tuple[_Candidate, float]]) -> Answer:
    """Order the sentences as they read in their documents (documents by best rank)."""
    doc_rank: dict[str, int] = {}
    for candidate, _ in chosen:
        doc_id = candidate.hit.stored.chunk.doc_id
        doc_rank[doc_id] = min(doc_rank.get(doc_id, candidate.rank), candidate.rank)
    ordered = sorted(
        chosen, key=lambda pair: (doc_rank[pair[0].hit.stored.chunk.doc_id], pair[0].start)
    )
    citations: list[Citation] = []
    parts: list[str] = []
    for n, (candidate, score) in enumerate(ordered, start=1):
        stored = candidate.hit.stored
        citations.append(
            Citation(
                n=n,
                doc_id=stored.chunk.doc_id,
                title=stored.title,
                source=stored.source,
                excerpt=candidate.text,
                start=candidate.start,
                end=candidate.end,
                score=round(score, 4),
                section=stored.chunk.section,
                page=stored.chunk.page,
            )
        )
        parts.append(f"{candidate.text} [{n}]")
    return Answer(" ".join(parts), False, citations, query)
