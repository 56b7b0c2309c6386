"""The extractive answerer: picks the sentences that answer, cites each, or abstains.

No language model: candidate sentences come from the top retrieved chunks and are scored by
cosine similarity to the question plus the share of the question's rare words they contain
(idf-weighted). A sentence that cannot hold the kind of answer asked for ("How many ...?"
with no number in it) is not a candidate, nor is one from a passage that never names what the
question names (a question about MINUSMA is not answered from a passage about Haiti when the
collection does mention MINUSMA elsewhere). The best few are quoted verbatim with their
offsets; when even the best one scores below the abstention threshold, the answer says the
documents don't cover the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from askdocs.settings import Settings
from index.collection import Collection, SearchHit
from index.lexical import document_frequency, inverse_document_frequency, tokenize
from ingest.sentences import answer_sentences
from service.answer_types import can_answer, counted_words, expected_type
from service.conversation import Turn, contextual_query

NO_ANSWER = "The documents don't cover this question."
# Chunks whose sentences are considered.
CANDIDATE_CHUNKS = 5
# Score = SIMILARITY_WEIGHT * cosine + LEXICAL_WEIGHT * idf-weighted word overlap
#         - RANK_PENALTY * rank of the sentence's chunk. Weights measured on the bundled set.
SIMILARITY_WEIGHT = 0.5
LEXICAL_WEIGHT = 0.5
RANK_PENALTY = 0.02
# A name in the question must appear in the answer's passage when at most this share of the
# collection's chunks mention it.
NAME_MAX_SHARE = 0.1
# A sentence joins the answer when it scores within this margin of the best one.
SELECT_MARGIN = 0.1


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
        k = max(top_k or self.settings.top_k, CANDIDATE_CHUNKS)
        hits = self.collection.search(query, k=k, mode=self.settings.search_mode)
        kind = expected_type(question)
        counted = set(tokenize([counted_words(question)])[0])
        names = self.known_names(question)
        top = hits[:CANDIDATE_CHUNKS]
        naming = {hit.stored.id for hit in top if not names or names <= _passage_terms(hit)}
        candidates = [
            c
            for c in _candidates(top)
            if c.hit.stored.id in naming
            and can_answer(c.text, kind)
            and (not counted or counted.intersection(tokenize([c.text])[0]))
        ]
        if not candidates:
            return Answer(NO_ANSWER, True, [], query)
        scores = self.score(query, candidates)
        best = float(scores.max())
        if best < self.settings.abstain_threshold:
            return Answer(NO_ANSWER, True, [], query)
        chosen = [i for i in np.argsort(-scores) if scores[i] >= best - SELECT_MARGIN]
        chosen = chosen[: self.settings.max_answer_sentences]
        return _compose(query, [(candidates[i], float(scores[i])) for i in chosen])

    def known_names(self, question: str) -> set[str]:
        """Terms of the names in `question` (capitalised words, acronyms) that the collection
        uses in a few passages. A name used all over ("UN") does not single out a passage; a
        name the collection never uses says nothing about which passage
        answers: the documents may call it otherwise ("EU" for "European Union")."""
        terms = set(tokenize([" ".join(_NAME.findall(question))])[0])
        frequency = document_frequency(self.collection.lexical, sorted(terms))
        common = NAME_MAX_SHARE * len(self.collection.lexical.ids)
        return {term for term, df in frequency.items() if 0 < df <= common}

    def sentence_vectors(self, candidates: list[_Candidate]) -> np.ndarray:
        """The candidates' vectors: stored at ingest, or embedded now when the index predates
        sentence vectors."""
        keys = [(c.hit.stored.chunk.doc_id, c.start, c.end) for c in candidates]
        stored = self.collection.store.sentence_vectors(keys)
        missing = [i for i, key in enumerate(keys) if key not in stored]
        fresh = self.collection.embedder.encode([candidates[i].text for i in missing])
        vectors = np.zeros((len(candidates), self.collection.manifest.dimension), dtype=np.float32)
        for i, key in enumerate(keys):
            if key in stored:
                vectors[i] = stored[key]
        if missing:
            vectors[missing] = fresh
        return vectors

    def score(self, query: str, candidates: list[_Candidate]) -> np.ndarray:
        """Support score of each candidate sentence for `query`."""
        embedder = self.collection.embedder
        similarity = self.sentence_vectors(candidates) @ embedder.encode_query(query)
        query_terms = set(tokenize([query])[0])
        idf = inverse_document_frequency(self.collection.lexical, sorted(query_terms))
        total = sum(idf.values())
        overlap = np.array(
            [
                sum(idf[t] for t in query_terms.intersection(terms)) / total if total else 0.0
                for terms in tokenize([c.text for c in candidates])
            ]
        )
        rank = np.array([c.rank for c in candidates], dtype=np.float32)
        scores: np.ndarray = (
            SIMILARITY_WEIGHT * similarity + LEXICAL_WEIGHT * overlap - RANK_PENALTY * rank
        )
        return scores


# A capitalised word that does not open the question, or an acronym anywhere.
_NAME = re.compile(r"(?<=[\w,;:’'\"”)] )[A-Z][\w’'-]*|\b[A-Z]{2,}[\w-]*")


def _passage_terms(hit: SearchHit) -> set[str]:
    """Terms of a retrieved chunk and of its document's title."""
    return set(tokenize([f"{hit.stored.title}\n{hit.stored.chunk.text}"])[0])


def _candidates(hits: list[SearchHit]) -> list[_Candidate]:
    """Sentences of the retrieved chunks, each once (chunks overlap)."""
    seen: set[tuple[str, int]] = set()
    out: list[_Candidate] = []
    for rank, hit in enumerate(hits):
        chunk = hit.stored.chunk
        for start, end in answer_sentences(chunk.text, offset=chunk.start):
            text = chunk.text[start - chunk.start : end - chunk.start]
            key = (chunk.doc_id, start)
            if key in seen:
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
