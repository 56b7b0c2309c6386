"""BM25 term counts: each indexed chunk's tokens, kept with a version so its BM25 indexes can be
remade after a change without reading or tokenizing the unchanged chunks again.

BM25 has no incremental update: a chunk's score for a term depends on the term's document
frequency and on the average chunk length, both over the whole collection, so adding one
chunk changes every score a little. A delta index searched beside the old one would score
with stale statistics. What is expensive in a rebuild, though, is not the scores but reading
and tokenizing every text (about 3 s of the 5 s bm25s took at 20,000 chunks; its own
build from token ids loops in Python per chunk). So each version keeps the term counts
(`bm25/terms/`), a change drops the rows of removed chunks and appends the rows of new ones,
and the score matrices are recomputed from the counts with numpy in a fraction of a second:
the very matrices a from-scratch build makes (tests/index/test_lexical_terms.py checks them
against bm25s's own `index`).

Scoring is bm25s's default, "lucene": idf = ln(1 + (N - df + 0.5) / (df + 0.5)), term part
tf / (tf + k1 (1 - b + b·len/avg_len)), k1 = 1.5, b = 0.75; stored as bm25s stores it (a CSC
matrix of float32 scores, chunks × terms), so bm25s loads and searches it unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

TERMS_DIR = "terms"
K1 = 1.5
B = 0.75
_ROW_SHIFT = np.int64(32)  # a (row, term) pair packed in one int64: row << 32 | term


@dataclass
class TermCounts:
    """Row i is chunk `ids[i]` of document `doc_ids[i]`; its terms are
    `terms[indptr[i]:indptr[i + 1]]` (ids into `vocab`), each occurring `counts[...]` times."""

    vocab: list[str]
    ids: np.ndarray  # int64, one per row
    doc_ids: list[str]
    indptr: np.ndarray  # int64, rows + 1
    terms: np.ndarray  # int32
    counts: np.ndarray  # int32

    @classmethod
    def of(cls, ids: Sequence[int], tokens: list[list[str]], doc_ids: Sequence[str]) -> TermCounts:
        """The counts of already tokenized texts (index/lexical.py's `tokenize`)."""
        if not len(ids) == len(tokens) == len(doc_ids):
            raise ValueError("ids, tokens and doc_ids must have one entry per text")
        vocab: dict[str, int] = {}
        flat = [vocab.setdefault(token, len(vocab)) for row in tokens for token in row]
        rows = np.repeat(np.arange(len(tokens), dtype=np.int64), [len(row) for row in tokens])
        keys = (rows << _ROW_SHIFT) | np.asarray(flat, dtype=np.int64)
        return cls._from_pairs(list(vocab), np.asarray(ids, np.int64), list(doc_ids), keys, None)

    @classmethod
    def _from_pairs(
        cls,
        vocab: list[str],
        ids: np.ndarray,
        doc_ids: list[str],
        keys: np.ndarray,
        weights: np.ndarray | None,
    ) -> TermCounts:
        """Counts from packed (row, term) keys, each occurring once per token (or `weights`
        times): summed per pair, rows in order."""
        unique, inverse = np.unique(keys, return_inverse=True)
        counts = np.bincount(inverse, weights=weights, minlength=len(unique))
        rows = unique >> _ROW_SHIFT
        indptr = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(ids)), out=indptr[1:])
        terms = (unique & np.int64(0xFFFFFFFF)).astype(np.int32)
        return cls(vocab, ids, doc_ids, indptr, terms, counts.astype(np.int32))

    def __len__(self) -> int:
        return len(self.ids)

    def _row_of_each_pair(self) -> np.ndarray:
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.indptr))

    def replaced(self, removed: set[int] | np.ndarray, added: TermCounts) -> TermCounts:
        """These counts without the chunks `removed` (ids), with the rows of `added` after them;
        terms no chunk holds any more leave the vocabulary."""
        keep = ~np.isin(self.ids, np.asarray(list(removed), dtype=np.int64))
        return TermCounts.concatenated([self._rows(keep), added]).compacted()

    def _rows(self, keep: np.ndarray) -> TermCounts:
        """The rows where `keep` (a boolean per row) is set."""
        lengths = np.diff(self.indptr)
        pairs = np.repeat(keep, lengths)
        indptr = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
        np.cumsum(lengths[keep], out=indptr[1:])
        doc_ids = [d for d, k in zip(self.doc_ids, keep, strict=True) if k]
        return TermCounts(
            self.vocab, self.ids[keep], doc_ids, indptr, self.terms[pairs], self.counts[pairs]
        )

    @classmethod
    def concatenated(cls, parts: Sequence[TermCounts]) -> TermCounts:
        """The rows of `parts`, one part after the other, over one vocabulary (the first
        part's, then the terms new in each next part)."""
        position: dict[str, int] = {}
        vocab: list[str] = []
        terms, indptrs = [], [np.zeros(1, dtype=np.int64)]
        for part in parts:
            for token in part.vocab:
                if token not in position:
                    position[token] = len(vocab)
                    vocab.append(token)
            remap = np.asarray([position[t] for t in part.vocab], dtype=np.int32)
            terms.append(remap[part.terms] if len(part.terms) else part.terms)
            indptrs.append(part.indptr[1:] + indptrs[-1][-1])
        return cls(
            vocab,
            np.concatenate([np.zeros(0, np.int64), *(p.ids for p in parts)]),
            [d for p in parts for d in p.doc_ids],
            np.concatenate(indptrs),
            np.concatenate([np.zeros(0, np.int32), *terms]).astype(np.int32),
            np.concatenate([np.zeros(0, np.int32), *(p.counts for p in parts)]).astype(np.int32),
        )

    def compacted(self) -> TermCounts:
        """The same counts with unused terms out of the vocabulary (kept in their order)."""
        used = np.bincount(self.terms, minlength=len(self.vocab)) > 0
        if used.all():
            return self
        renumber = np.cumsum(used) - 1
        vocab = [t for t, u in zip(self.vocab, used, strict=True) if u]
        terms = renumber[self.terms].astype(np.int32)
        return TermCounts(vocab, self.ids, self.doc_ids, self.indptr, terms, self.counts)

    def by_document(self) -> tuple[TermCounts, np.ndarray]:
        """The counts of whole documents (each the sum of its chunks' rows, documents in order
        of first appearance), and each chunk row's document row."""
        first: dict[str, int] = {}
        owners = np.asarray([first.setdefault(d, len(first)) for d in self.doc_ids], np.int64)
        keys = (owners[self._row_of_each_pair()] << _ROW_SHIFT) | self.terms.astype(np.int64)
        documents = TermCounts._from_pairs(
            self.vocab,
            np.arange(len(first), dtype=np.int64),
            list(first),
            keys,
            self.counts.astype(np.float64),
        )
        return documents, owners

    def bm25(self) -> bm25s.BM25:
        """A bm25s index scoring these rows, as `bm25s.BM25().index` would build it."""
        n, vocabulary = len(self), len(self.vocab)
        rows = self._row_of_each_pair()
        lengths = np.bincount(rows, weights=self.counts, minlength=n)
        average = lengths.mean() if n else 1.0
        frequency = np.bincount(self.terms, minlength=vocabulary)
        idf = np.log(1 + (n - frequency + 0.5) / (frequency + 0.5)).astype(np.float32)
        tf = self.counts.astype(np.float32)
        # As bm25s: float32 idf times the term part computed against a float64 average.
        part = tf / (K1 * ((1 - B) + B * lengths[rows] / average) + tf)
        scores = (idf[self.terms] * part).astype(np.float32)
        order = np.argsort(self.terms, kind="stable")  # by term, rows ascending within
        indptr = np.zeros(vocabulary + 1, dtype=np.int64)
        np.cumsum(frequency, out=indptr[1:])
        index = bm25s.BM25(k1=K1, b=B, method="lucene")
        index.scores = {
            "data": scores[order],
            "indices": rows[order].astype(np.int32),
            "indptr": indptr,
            "num_docs": n,
        }
        index.vocab_dict = {token: i for i, token in enumerate(self.vocab)}
        index.unique_token_ids_set = set(index.vocab_dict.values())
        index.nonoccurrence_array = None
        return index

    def save(self, folder: Path) -> None:
        """Write the counts into `folder` (JSON and .npy files, no pickle)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), "utf-8")
        (folder / "doc_ids.json").write_text(json.dumps(self.doc_ids, ensure_ascii=False), "utf-8")
        for name in ("ids", "indptr", "terms", "counts"):
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> TermCounts | None:
        """Counts written by `save`, or None when `folder` has none (a version written before
        askdocs kept them)."""
        if not (folder / "vocab.json").is_file():
            return None
        arrays = {
            name: np.load(folder / f"{name}.npy", allow_pickle=False)
            for name in ("ids", "indptr", "terms", "counts")
        }
        return cls(
            json.loads((folder / "vocab.json").read_text("utf-8")),
            doc_ids=json.loads((folder / "doc_ids.json").read_text("utf-8")),
            **arrays,
        )
