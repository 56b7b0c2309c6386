"""Candidate sentences from the retrieved chunks, each knowing its place in the document.

A chunk's lines are sorted into kinds: a heading (a line that names the section, or a short line
with no closing punctuation before more text), a question line (an FAQ entry's "Can I ...?"), a
list item, a table row (as the loaders write them: "Header: value; Header: value" or cells
joined with " | ") and running text. Headings and question lines are context for the sentences
under them, never answers. A list item or table row is one candidate, whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from askdocs.index.collection import SearchHit
from askdocs.ingest.sentences import split_sentences
from askdocs.settings import AnswerConfig

HEADING = "heading"
QUESTION = "question"
LIST = "list"
TABLE = "table"
TEXT = "text"
CONTEXT_KINDS = frozenset({HEADING, QUESTION})

# A heading has no sentence-closing punctuation and is short: at most this many words
# (ASKDOCS_ANSWER__HEADING_MAX_WORDS) unless told otherwise.
_HEADING_MAX_WORDS = AnswerConfig().heading_max_words
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+\S")
_TABLE_ROW = re.compile(r"^[^:;|]{1,60}: [^;]+(?:; [^:;]{1,60}: [^;]*)+$|\S \| \S")
_CLOSING = re.compile(r"[.!?:;…\"”’')\]]$")
_WHITESPACE = re.compile(r"\s+")


@dataclass
class Candidate:
    """A sentence (or whole list item / table row) of a retrieved chunk."""

    hit: SearchHit
    rank: int  # of its chunk among the retrieved ones, 0 = best
    start: int  # offsets into the document text
    end: int
    text: str
    kind: str
    paragraph: int  # index of its paragraph (blank-line separated) within the chunk
    first_in_paragraph: bool
    heading: str = ""  # the nearest heading or question line above it, else the section
    heading_key: tuple[str, int, int] | None = None  # that line's sentence key, if in the chunk
    previous: Candidate | None = field(default=None, repr=False)
    next: Candidate | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[str, int, int]:
        """(doc id, start, end): how the store keys sentence vectors."""
        return (self.hit.stored.chunk.doc_id, self.start, self.end)

    @property
    def answerable(self) -> bool:
        """Whether this candidate may be quoted as an answer."""
        return self.kind not in CONTEXT_KINDS


def line_kind(
    line: str,
    section: str | None,
    has_more: bool,
    neighbours: tuple[str, ...] = (),
    heading_max_words: int = _HEADING_MAX_WORDS,
) -> str:
    """The kind of one line of a chunk (see the module docstring). A short unpunctuated line
    (`heading_max_words` at most) next to another such line (`neighbours`: the lines around
    it) is a row of a table whose layout was lost (PDF), not a heading."""
    text = line.strip()
    if _LIST_ITEM.match(text):
        return LIST
    if _TABLE_ROW.search(text):
        return TABLE
    if text.endswith("?"):
        return QUESTION
    parts = {p.strip().casefold() for p in (section or "").split("›")}
    if text.casefold() in parts:
        return HEADING
    if (
        has_more
        and _label_like(text, heading_max_words)
        and not any(_label_like(n.strip(), heading_max_words) for n in neighbours)
    ):
        return HEADING
    return TEXT


def _label_like(text: str, max_words: int) -> bool:
    return bool(text) and not _CLOSING.search(text) and len(text.split()) <= max_words


def gather(hits: list[SearchHit], heading_max_words: int = _HEADING_MAX_WORDS) -> list[Candidate]:
    """Candidates of `hits` in rank order; a sentence seen in an earlier chunk (chunks
    overlap) or with the same text as one seen (documents repeat) is not repeated."""
    seen_at: set[tuple[str, int]] = set()
    seen_text: set[str] = set()
    out: list[Candidate] = []
    for rank, hit in enumerate(hits):
        for candidate in _chunk_candidates(hit, rank, heading_max_words):
            norm = _WHITESPACE.sub(" ", candidate.text).casefold()
            where = (hit.stored.chunk.doc_id, candidate.start)
            if where in seen_at or norm in seen_text:
                continue
            seen_at.add(where)
            seen_text.add(norm)
            out.append(candidate)
    return out


def _chunk_candidates(hit: SearchHit, rank: int, heading_max_words: int) -> list[Candidate]:
    chunk = hit.stored.chunk
    section_name = (chunk.section or "").split("›")[-1].strip()
    out: list[Candidate] = []
    heading, heading_key = section_name, None
    lines = _lines(chunk.text)
    paragraph = 0
    for i, (lstart, lend, blank_before) in enumerate(lines):
        if blank_before and i:
            paragraph += 1
        line = chunk.text[lstart:lend]
        around = tuple(chunk.text[a:b] for a, b, _ in lines[max(i - 1, 0) : i + 2] if a != lstart)
        kind = line_kind(line, chunk.section, i + 1 < len(lines), around, heading_max_words)
        offset = chunk.start + lstart
        if kind in (LIST, TABLE) or kind in CONTEXT_KINDS:
            spans = [(offset, offset + len(line))]
        else:
            spans = split_sentences(line, offset)
        first = True
        for start, end in spans:
            text = chunk.text[start - chunk.start : end - chunk.start]
            candidate = Candidate(
                hit, rank, start, end, text, kind, paragraph, first, heading, heading_key
            )
            first = False
            if out and out[-1].paragraph == paragraph:
                out[-1].next, candidate.previous = candidate, out[-1]
            out.append(candidate)
        if kind in CONTEXT_KINDS:
            heading, heading_key = line.strip(), out[-1].key
    return out


def _lines(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, follows a blank line) of each non-empty line, whitespace trimmed."""
    out: list[tuple[int, int, bool]] = []
    pos = 0
    blank = False
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            out.append((pos + lead, pos + lead + len(stripped), blank))
            blank = False
        else:
            blank = True
        pos += len(raw) + 1
    return out
