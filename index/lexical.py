"""BM25 lexical search over chunk texts (bm25s), English stop words and Snowball stemming.

A chunk's score is its own BM25 score plus `document_weight` (ASKDOCS_LEXICAL_DOCUMENT_WEIGHT)
times the BM25 score of its whole document (the concatenation of the document's chunks, in a
second index). A long document cut into chunks loses the words its other chunks hold (an
abstract's title, the topic named once at the top); the document score puts them back, so a
passage of a document that is about the query outranks a look-alike passage elsewhere.
Measured in evals/README.md: +0.02 to +0.03 nDCG@10 for BM25 on SciFact and NFCorpus, about
+0.01 in hybrid.

Both indexes are bm25s score matrices, made from term counts that each version keeps
(index/lexical_terms.py), so the writer updates them after a change without re-reading the
unchanged chunks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import _infer_stopwords

from askdocs.index.fusion import Ranking
from askdocs.index.lexical_terms import TERMS_DIR, TermCounts

_STEMMER = Stemmer.Stemmer("english")
_IDS_FILE = "chunk_ids.json"
_DOCUMENTS_DIR = "documents"  # the document-level index, beside the chunk-level one
_OWNERS_FILE = "chunk_documents.json"  # row of each chunk's document in that index
# The default of `search`'s document_weight; collections pass ASKDOCS_LEXICAL_DOCUMENT_WEIGHT.
DOCUMENT_WEIGHT = 2.0
# How texts become BM25 tokens, recorded in the manifest: a query must be read as the index was.
TOKENIZER = "bm25s words of 2+ characters, lower-cased, English stop words out, Snowball English"


# bm25s's own tokenisation, redone: calling bm25s.tokenize costs ~3 ms a call in set-up
# (progress bars, vocabularies), which the answerer paid a dozen times per question. Indexes
# are built with it too (index/lexical_terms.py); tests/index/test_lexical.py checks it agrees
# with bm25s.tokenize.
_WORD = re.compile(r"(?u)\b\w\w+\b")
_STOPWORDS = frozenset(_infer_stopwords("en"))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def tokenize(texts: list[str]) -> list[list[str]]:
    """The BM25 tokens of each text (lower-cased words, stop words out, stemmed)."""
    return [
        [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS] for text in texts
    ]


class LexicalIndex:
    """A BM25 index whose rows are chunk ids, with a document-level index beside it."""

    def __init__(
        self,
        bm25: bm25s.BM25 | None,
        ids: list[int],
        documents: bm25s.BM25 | None,
        owners: np.ndarray,
        terms: TermCounts | None = None,
    ) -> None:
        self.bm25 = bm25  # None (and `documents` too) when no chunk is indexed
        self.ids = ids
        self._id_array = np.asarray(ids, dtype=np.int64)  # ids[row], for array lookups
        self.documents = documents
        self.owners = owners  # owners[row] = row of that chunk's document in `documents`
        # The term counts the index was made from (index/lexical_terms.py); kept by the writer
        # to update the next version, not loaded for searching.
        self.terms = terms

    @classmethod
    def build(cls, ids: list[int], texts: list[str], doc_ids: Sequence[str]) -> LexicalIndex:
        """Index `texts`, row i belonging to chunk `ids[i]` of document `doc_ids[i]`."""
        if len(doc_ids) != len(texts):
            raise ValueError("doc_ids must name the document of every text")
        return cls.from_terms(TermCounts.of(ids, tokenize(texts), doc_ids))

    @classmethod
    def from_terms(cls, terms: TermCounts) -> LexicalIndex:
        """The index of chunks counted in `terms`: chunk rows, and each chunk's document (the
        concatenation of its chunks) in the document-level index."""
        ids = [int(i) for i in terms.ids]
        if not ids:
            return cls(None, [], None, np.zeros(0, dtype=np.int64), terms)
        documents, owners = terms.by_document()
        return cls(terms.bm25(), ids, documents.bm25(), owners, terms)

    def save(self, folder: Path) -> None:
        """Write the index as bm25s's JSON and .npy files (no pickle) plus the id lists."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / _IDS_FILE).write_text(json.dumps(self.ids))
        if self.bm25 is not None and self.documents is not None:
            self.bm25.save(str(folder), allow_pickle=False)
            self.documents.save(str(folder / _DOCUMENTS_DIR), allow_pickle=False)
            (folder / _OWNERS_FILE).write_text(json.dumps(self.owners.tolist()))
        if self.terms is not None:
            self.terms.save(folder / TERMS_DIR)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read an index written by `save`."""
        ids = json.loads((folder / _IDS_FILE).read_text())
        if not ids:
            return cls(None, [], None, np.zeros(0, dtype=np.int64))
        bm25 = bm25s.BM25.load(str(folder), allow_pickle=False, mmap=False)
        documents = bm25s.BM25.load(str(folder / _DOCUMENTS_DIR), allow_pickle=False, mmap=False)
        owners = np.asarray(json.loads((folder / _OWNERS_FILE).read_text()), dtype=np.int64)
        return cls(bm25, ids, documents, owners)

    def search(
        self, query: str, k: int, document_weight: float = DOCUMENT_WEIGHT
    ) -> list[tuple[int, float]]:
        """The best `k` chunk ids by score (zero scores left out), best first, ties by id (also
        at the cut: of chunks tying for the last place, the lowest ids); a chunk's score is its
        own plus `document_weight` times its document's."""
        return self.search_arrays(query, k, document_weight).pairs()

    def search_arrays(
        self, query: str, k: int, document_weight: float = DOCUMENT_WEIGHT
    ) -> Ranking:
        """`search` as arrays, without a Python object per candidate."""
        if self.bm25 is None or self.documents is None or k <= 0:
            return Ranking.empty()
        tokens = tokenize([query])[0]
        if not tokens:
            return Ranking.empty()
        scores = np.asarray(self.bm25.get_scores(tokens), dtype=np.float64)
        document_scores = np.asarray(self.documents.get_scores(tokens), dtype=np.float64)
        scores += document_weight * document_scores[self.owners]
        # Most chunks hold none of the query's words: the cut is made among the others only.
        rows = np.flatnonzero(scores > 0)
        if len(rows) > k:
            kth = np.partition(scores[rows], len(rows) - k)[len(rows) - k]
            rows = rows[scores[rows] >= kth]  # more than k when several tie at the cut
        ids, values = self._id_array[rows], scores[rows]
        order = np.lexsort((ids, -values))[:k]
        return Ranking(ids[order], values[order])


def document_frequency(index: LexicalIndex, tokens: list[str]) -> dict[str, int]:
    """How many indexed chunks contain each (already tokenized) token."""
    if index.bm25 is None:
        return dict.fromkeys(tokens, 0)
    vocab: dict[str, int] = index.bm25.vocab_dict
    indptr = np.asarray(index.bm25.scores["indptr"])
    out: dict[str, int] = {}
    for token in tokens:
        column = vocab.get(token)
        out[token] = 0 if column is None else int(indptr[column + 1] - indptr[column])
    return out


def inverse_document_frequency(index: LexicalIndex, tokens: list[str]) -> dict[str, float]:
    """BM25's idf of each token over the indexed chunks.

    A token no chunk contains gets the highest idf: a question built on words the collection
    never uses is a question the collection likely cannot answer.
    """
    total = len(index.ids)
    return {
        token: float(np.log(1 + (total - df + 0.5) / (df + 0.5)))
        for token, df in document_frequency(index, tokens).items()
    }
