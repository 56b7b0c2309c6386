"""The model's answer cut into sentences as it streams in, each with its `[n]` markers.

A sentence is complete once the next one has begun: its closing `.`, `!` or `?` (and the
markers after it, "… USD. [1]") are followed by white space and a character that is not an
opening bracket, or a line break is followed by more text. So a sentence is handed on whole,
never half, and cutting the same text into pieces differently gives the same sentences.
"""

from __future__ import annotations

import re

from askdocs.ingest.sentences import ends_with_abbreviation

# One marker group: [1], [1, 2] or [1; 2].
MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_MARKERS = r"(?:[ \t]*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\])*"
# End of a sentence: closing punctuation (with closing quotes/brackets and markers after it)
# followed by a space and the start of the next; or a line break followed by more text.
_BOUNDARY = re.compile(
    r"[.!?…][\"'”’)]*" + _MARKERS + r"(?=[ \t]+[^\s\[])|" + _MARKERS + r"[ \t]*(?=\n+\s*\S)"
)
# List bullets, emphasis and tags (small models echo the prompt's "<sources>") the model may
# add: not part of the sentence shown.
_TAG = re.compile(r"</?\s*[A-Za-z_][\w-]*\s*/?>")
_BULLET = re.compile(r"^(?:[-*+•]|\d{1,2}[.)])\s+|^#+\s+")
_EMPHASIS = re.compile(r"\*\*|__")


def markers(sentence: str) -> list[int]:
    """The source numbers a sentence cites, in order, without repeats."""
    found: list[int] = []
    for group in MARKER.findall(sentence):
        for part in re.split(r"[,;]", group):
            n = int(part)
            if n not in found:
                found.append(n)
    return found


def without_markers(sentence: str) -> str:
    """The sentence with its `[n]` markers taken out."""
    return re.sub(r"\s+", " ", MARKER.sub(" ", sentence)).strip()


def tidy(sentence: str) -> str:
    """A sentence as shown: tags, bullets and bold marks dropped, white space collapsed, marker
    groups written one number each ("[1, 2]" → "[1] [2]")."""
    text = _EMPHASIS.sub("", _BULLET.sub("", _TAG.sub(" ", sentence).strip()))
    text = MARKER.sub(lambda m: " ".join(f"[{n}]" for n in markers(m.group())), text)
    return re.sub(r"\s+", " ", text).strip()


class SentenceSplitter:
    """Cuts text fed piece by piece into complete sentences."""

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, text: str) -> list[str]:
        """Add `text`; the sentences it completed (tidied, non-empty)."""
        self._buffer += text
        out: list[str] = []
        start = 0
        for match in _BOUNDARY.finditer(self._buffer):
            end = match.end()
            piece = self._buffer[start:end]
            # "e.g. The" and "J. Smith" do not end a sentence.
            if (
                match.group()[:1] in (".", "!", "?")
                and "\n" not in piece
                and ends_with_abbreviation(self._buffer[start : match.start() + 1])
            ):
                continue
            out.append(piece)
            start = end
        self._buffer = self._buffer[start:]
        return [s for s in (tidy(p) for p in out) if s]

    def flush(self) -> list[str]:
        """The rest of the text, once the stream has ended."""
        rest, self._buffer = tidy(self._buffer), ""
        return [rest] if rest else []


def split(text: str) -> list[str]:
    """All the sentences of a whole text."""
    splitter = SentenceSplitter()
    return splitter.feed(text) + splitter.flush()
