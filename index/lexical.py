"""BM25 lexical search over chunk texts (bm25s), English stop words and Snowball stemming."""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_STEMMER = Stemmer.Stemmer("english")
_IDS_FILE = "chunk_ids.json"


def tokenize(texts: list[str]) -> list[list[str]]:
    """The BM25 tokens of each text (lower-cased words, stop words out, stemmed)."""
    tokens = bm25s.tokenize(
        texts, stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False
    )
    return tokens  # type: ignore[return-value]


class LexicalIndex:
    """A BM25 index whose rows are chunk ids."""

    def __init__(self, bm25: bm25s.BM25 | None, ids: list[int]) -> None:
        self.bm25 = bm25
        self.ids = ids

    @classmethod
    def build(cls, ids: list[int], texts: list[str]) -> LexicalIndex:
        """Index `texts`, row i belonging to chunk `ids[i]`."""
        if not texts:
            return cls(None, [])
        bm25 = bm25s.BM25()
        bm25.index(
            bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, show_progress=False),
            show_progress=False,
        )
        return cls(bm25, ids)

    def save(self, folder: Path) -> None:
        """Write the index as bm25s's JSON and .npy files (no pickle) plus the id list."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.bm25 is not None:
            self.bm25.save(str(folder), allow_pickle=False)
        (folder / _IDS_FILE).write_text(json.dumps(self.ids))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read an index written by `save`."""
        ids = json.loads((folder / _IDS_FILE).read_text())
        if not ids:
            return cls(None, [])
        return cls(bm25s.BM25.load(str(folder), allow_pickle=False, mmap=False), ids)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """The best `k` chunk ids by BM25 score (zero scores left out), best first."""
        if self.bm25 is None or k <= 0:
            return []
        tokens = tokenize([query])
        if not tokens[0]:
            return []
        docs, scores = self.bm25.retrieve(tokens, k=min(k, len(self.ids)), show_progress=False)
        return [
            (self.ids[int(d)], float(s))
            for d, s in zip(np.asarray(docs)[0], np.asarray(scores)[0], strict=True)
            if s > 0
        ]


def inverse_document_frequency(index: LexicalIndex, tokens: list[str]) -> dict[str, float]:
    """BM25's idf of each token over the indexed chunks.

    A token no chunk contains gets the highest idf: a question built on words the collection
    never uses is a question the collection likely cannot answer.
    """
    vocab: dict[str, int] = index.bm25.vocab_dict if index.bm25 is not None else {}
    indptr = np.asarray(index.bm25.scores["indptr"]) if index.bm25 is not None else None
    total = len(index.ids)
    out: dict[str, float] = {}
    for token in tokens:
        column = vocab.get(token)
        df = 0 if column is None or indptr is None else int(indptr[column + 1] - indptr[column])
        out[token] = float(np.log(1 + (total - df + 0.5) / (df + 0.5)))
    return out
