"""Numbers the learned scorer and the abstention model read, for candidates and questions.

Nothing here decides: every feature is a measurement (similarity, weighted word overlap, where
the sentence sits, what kind of question meets what kind of sentence); the weights that turn
them into a score are fitted on dev data by `evals/train_answerer.py`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from askdocs.index.lexical import tokenize
from askdocs.service.answerer.candidates import LIST, TABLE, Candidate

# Question kinds by their opening words (English wh-words and auxiliaries). What each kind
# wants of a sentence is not written here: it is learned, as weights on kind × sentence trait.
QUESTION_KINDS = ("who", "when", "where", "how_many", "how_much", "which", "why", "how", "yes_no")
_KIND_PATTERNS = [
    ("how_many", re.compile(r"\bhow (many|long|old|often|far|large|big|tall|high)\b")),
    ("how_much", re.compile(r"\bhow much\b|\b(cost|price)\b")),
    ("when", re.compile(r"\bwhen\b|\bwhat (year|month|date|day|time|century|decade)\b")),
    ("who", re.compile(r"\bwho(m|se)?\b")),
    ("where", re.compile(r"\bwhere\b")),
    ("why", re.compile(r"\bwhy\b")),
    ("which", re.compile(r"\b(which|what)\b")),
    ("how", re.compile(r"\bhow\b")),
    (
        "yes_no",
        re.compile(
            r"^(is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|may)\b"
        ),
    ),
]
SENTENCE_TRAITS = ("digit", "year", "name", "amount")
_YEAR = re.compile(r"\b(1[5-9]|20)\d\d\b")
_DIGIT = re.compile(r"\d")
_NAME = re.compile(r"(?<=\w[\s,]) ?[A-Z][a-z]+")
_AMOUNT = re.compile(r"[$€£¥%]|\b(percent|dollars?|euros?|USD|EUR|GBP)\b")

CANDIDATE_FEATURES = (
    "similarity",
    "overlap",
    "bigram_overlap",
    "context_overlap",
    "heading_overlap",
    "heading_similarity",
    "chunk_rank",
    "chunk_score",
    "log_words",
    "list_or_table",
    "first_in_paragraph",
    "similarity_x_overlap",
    "similarity_rank",
    "overlap_rank",
    "novel_share",
    "previous_overlap",
    "next_overlap",
    "similarity_squared",
    "overlap_squared",
    *tuple(f"{k}*{t}" for k in QUESTION_KINDS for t in SENTENCE_TRAITS),
)


def question_kind(question: str) -> str:
    """The kind of a question ("when", "yes_no", ...; "other" when none fits)."""
    text = question.strip().casefold()
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(text):
            return kind
    return "other"


_AUXILIARY = re.compile(
    r"^(is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|may|must|shall)\b"
)
_LEAD_IN = re.compile(r"^(and|so|but|also|then|ok|okay|well)\b[\s,]*")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
_CONDITION = re.compile(r"^(if|when|once|after|before|while|since|unless)\b[^,?]*,\s*")


def asks_yes_or_no(question: str) -> bool:
    """Whether `question` is answered by yes or no: one of its sentences opens with an auxiliary
    verb, after an optional "And"/"So" and an optional leading clause ("If I remove someone,
    are their files deleted?", "I deleted a folder by mistake. Can I get it back?"). Wider
    than the "yes_no" kind, which a "when" inside the question overrides."""
    for sentence in _SENTENCE_BREAK.split(question.strip().casefold()):
        text = _CONDITION.sub("", _LEAD_IN.sub("", sentence))
        if _AUXILIARY.match(text):
            return True
    return False


def traits(text: str) -> np.ndarray:
    """Which of SENTENCE_TRAITS a sentence shows (0/1 each)."""
    return np.array(
        [
            bool(_DIGIT.search(text)),
            bool(_YEAR.search(text)),
            bool(_NAME.search(text)),
            bool(_AMOUNT.search(text)),
        ],
        dtype=np.float32,
    )


@dataclass(frozen=True)
class QueryTerms:
    """A query's stemmed terms with their idf weights, and its adjacent-term pairs."""

    idf: dict[str, float]
    bigrams: set[tuple[str, str]]

    @classmethod
    def of(cls, query: str, idf: dict[str, float]) -> QueryTerms:
        tokens = tokenize([query])[0]
        return cls(idf, set(itertools.pairwise(tokens)))

    @cached_property
    def total(self) -> float:
        """The query's idf mass."""
        return sum(self.idf.values())

    def share(self, terms: set[str]) -> float:
        """The share of the query's idf mass that `terms` cover."""
        total = self.total
        return sum(w for t, w in self.idf.items() if t in terms) / total if total else 0.0


def candidate_features(
    question: str,
    terms: QueryTerms,
    candidates: list[Candidate],
    similarity: np.ndarray,
    heading_similarity: np.ndarray,
) -> np.ndarray:
    """One row of CANDIDATE_FEATURES per candidate."""
    kind = question_kind(question)
    tokenised = tokenize([c.text for c in candidates])
    context_texts = [
        " ".join(x.text for x in (c.previous, c.next) if x is not None)
        + f" {c.heading} {c.hit.stored.title}"
        for c in candidates
    ]
    context_tokens = tokenize(context_texts)
    heading_tokens = tokenize(
        [f"{c.heading} {c.hit.stored.chunk.section or ''}" for c in candidates]
    )
    rows = np.zeros((len(candidates), len(CANDIDATE_FEATURES)), dtype=np.float32)
    kind_index = QUESTION_KINDS.index(kind) if kind in QUESTION_KINDS else None
    overlaps = np.array([terms.share(set(t)) for t in tokenised], dtype=np.float32)
    # Ranks within the question: a linear model cannot otherwise tell "best by far" from
    # "slightly above the rest".
    similarity_rank = _ranks(similarity)
    overlap_rank = _ranks(overlaps)
    neighbour = {id(c): set(t) for c, t in zip(candidates, tokenised, strict=True)}
    for i, c in enumerate(candidates):
        words = set(tokenised[i])
        pairs = set(zip(tokenised[i], tokenised[i][1:], strict=False))
        overlap = float(overlaps[i])
        base = [
            similarity[i],
            overlap,
            len(pairs & terms.bigrams) / len(terms.bigrams) if terms.bigrams else 0.0,
            terms.share(words | set(context_tokens[i])),
            terms.share(set(heading_tokens[i])),
            heading_similarity[i],
            1.0 / (1.0 + c.rank),
            c.hit.score,
            np.log1p(len(c.text.split())),
            float(c.kind in (LIST, TABLE)),
            float(c.first_in_paragraph),
            similarity[i] * overlap,
            1.0 / (1.0 + similarity_rank[i]),
            1.0 / (1.0 + overlap_rank[i]),
            # The answer is what the sentence adds to the question's words.
            len(words - set(terms.idf)) / len(words) if words else 0.0,
            _neighbour_share(terms, c.previous, neighbour),
            _neighbour_share(terms, c.next, neighbour),
            similarity[i] ** 2,
            overlap**2,
        ]
        rows[i, : len(base)] = base
        if kind_index is not None:
            start = len(base) + kind_index * len(SENTENCE_TRAITS)
            rows[i, start : start + len(SENTENCE_TRAITS)] = traits(c.text)
    return rows


def _ranks(values: np.ndarray) -> np.ndarray:
    """0 for the largest value, 1 for the next, ..."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float32)
    ranks[order] = np.arange(len(values), dtype=np.float32)
    return ranks


def _neighbour_share(
    terms: QueryTerms, other: Candidate | None, known: dict[int, set[str]]
) -> float:
    if other is None:
        return 0.0
    words = known.get(id(other))
    if words is None:
        words = set(tokenize([other.text])[0])
    return terms.share(words)


QUESTION_FEATURES = (
    "best_logit",
    "logit_margin",
    "best_similarity",
    "best_overlap",
    "best_context_overlap",
    "top_chunk_coverage",
    "top_chunk_score",
    "missing_rare_terms",
    "best_share",
    "max_overlap",
    "max_context_overlap",
    "max_similarity",
)


def question_features(
    logits: np.ndarray, rows: np.ndarray, terms: QueryTerms, top_passage: str, top_score: float
) -> np.ndarray:
    """The features of the abstention model, from the scored candidates."""
    order = np.argsort(-logits)
    best = int(order[0])
    margin = float(logits[best] - logits[order[1]]) if len(order) > 1 else 5.0
    passage = set(tokenize([top_passage])[0])
    # A rare query word (high idf) that the best passage lacks hints at a near-miss.
    rare = [t for t, w in terms.idf.items() if w >= max(terms.idf.values(), default=0) * 0.7]
    missing = sum(1 for t in rare if t not in passage) / len(rare) if rare else 0.0
    col = CANDIDATE_FEATURES.index
    return np.array(
        [
            logits[best],
            min(margin, 5.0),
            rows[best, col("similarity")],
            rows[best, col("overlap")],
            rows[best, col("context_overlap")],
            terms.share(passage),
            top_score,
            missing,
            float(np.exp(logits[best] - np.logaddexp.reduce(logits))),
            rows[:, col("overlap")].max(),
            rows[:, col("context_overlap")].max(),
            rows[:, col("similarity")].max(),
        ],
        dtype=np.float32,
    )
