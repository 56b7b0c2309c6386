"""Sentence boundaries with character offsets, shared by chunking and answering."""

from __future__ import annotations

import re

# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and a capital,
# digit or opening quote; a line break always ends one (scraped text has no wrapped lines).
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*[ \t]+(?=[A-Z0-9“\"'(\[])|\n+")
_ABBREVIATIONS = {
    "e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.", "prof.", "no.", "st.",
    "fig.", "al.", "inc.", "ltd.", "co.", "u.s.", "u.k.", "u.n.", "jan.", "feb.", "mar.",
    "apr.", "jun.", "jul.", "aug.", "sep.", "sept.", "oct.", "nov.", "dec.", "approx.",
}  # fmt: skip


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, shifted by `offset`, whitespace excluded."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if "\n" not in match.group() and ends_with_abbreviation(text[start : match.start()]):
            continue
        _append_trimmed(text, start, match.start(), offset, spans)
        start = match.end()
    _append_trimmed(text, start, len(text), offset, spans)
    return spans


def ends_with_abbreviation(sentence: str) -> bool:
    """Whether the last word of `sentence` is an abbreviation or an initial ("e.g.", "J.")."""
    words = sentence.rsplit(None, 1)
    if not words:
        return False
    last = words[-1].casefold()
    # Single capitals such as the "J." of "J. Smith" are initials, not sentence ends.
    return last in _ABBREVIATIONS or (len(last) == 2 and last[0].isalpha() and last[1] == ".")


def _append_trimmed(
    text: str, start: int, end: int, offset: int, spans: list[tuple[int, int]]
) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append((offset + start + lead, offset + start + lead + len(stripped)))


# Sentences shorter than this are headers, labels or dates, not answers.
MIN_ANSWER_WORDS = 5


def answer_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of the sentences of `text` long enough to be an answer, shifted by
    `offset`. The answerer quotes these; ingest embeds them ahead of time."""
    return [
        (start, end)
        for start, end in split_sentences(text, offset)
        if len(text[start - offset : end - offset].split()) >= MIN_ANSWER_WORDS
    ]
