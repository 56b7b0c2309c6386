"""Cleaning: normalise whitespace and drop what scraped pages repeat.

Scraped pages show a truncated teaser ending in "View More" before the full paragraph, and
toggle labels ("Hide") glued to the next word. A teaser, or a passage that repeats another one
of the same document, must not become a chunk of its own: it would crowd the real paragraph
out of the results and cite half a sentence.
"""

from __future__ import annotations

import re
import unicodedata

from askdocs.ingest.models import Block

TEASER_MARKERS = ("View More", "Read More", "Show More", "See More")
TOGGLE_LABELS = ("Hide", "Show Less")
# Lines shorter than this are headings or dates ("Feb 2017 - Apr 2018 | DPKO") that may
# legitimately repeat; longer repeats are duplicated passages.
MIN_DUPLICATE_CHARS = 40
# How far back from a marker a teaser may start.
MAX_TEASER_CHARS = 2000

_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# Markers end a line in scraped pages; the same words inside a sentence are prose.
_MARKER = re.compile(r"(?m)[ \t]*\b(?:" + "|".join(map(re.escape, TEASER_MARKERS)) + r")[ \t]*$")
_TOGGLE_ALONE = re.compile(
    r"(?m)^[ \t]*(?:" + "|".join(map(re.escape, TOGGLE_LABELS)) + r")[ \t]*$\n?"
)
# A label glued to the next word: "HideGender unit" -> "Gender unit".
_TOGGLE_GLUED = re.compile(
    r"(?m)^[ \t]*(?:" + "|".join(map(re.escape, TOGGLE_LABELS)) + r")(?=[A-Z0-9“\"'(])"
)
# Typographic quotes and their straight forms (single: ‘ ’ ‚ ‛, double: “ ” „ ‟).
_QUOTES = str.maketrans(
    dict.fromkeys("\u2018\u2019\u201a\u201b", "'") | dict.fromkeys("\u201c\u201d\u201e\u201f", '"')
)


def normalise_whitespace(text: str) -> str:
    """Unify line ends and spaces, strip lines, keep at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def comparable(text: str) -> str:
    """A form for comparing passages: case-folded, quotes straightened, whitespace runs (Unicode
    spaces included) collapsed to one space, stripped. Evals compare evidence in it too."""
    return " ".join(text.translate(_QUOTES).casefold().split())


def remove_teasers(text: str) -> str:
    """Drop each "teaser … View More" whose words open the passage that follows the marker."""
    out: list[str] = []
    pos = 0
    for match in _MARKER.finditer(text):
        before = text[pos : match.start()]
        after = comparable(text[match.end() : match.end() + MAX_TEASER_CHARS + 200])
        teaser_start = _teaser_start(before, after)
        if teaser_start is None:
            out.append(text[pos : match.end()])
        else:
            out.append(before[:teaser_start])
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def _teaser_start(before: str, after: str) -> int | None:
    """Offset in `before` where a teaser begins, or None when the text is no teaser.

    A teaser starts at a line start and, compared loosely, is a prefix of what follows the
    marker. The shortest such tail wins; a tail under 20 characters is too short to be sure.
    """
    cut = len(before)
    floor = max(0, len(before) - MAX_TEASER_CHARS)
    while cut > floor:
        line_start = before.rfind("\n", floor, cut - 1) + 1 if cut > 1 else 0
        if line_start < floor:
            line_start = floor
        candidate = comparable(before[line_start:])
        if len(candidate) >= 20 and after.startswith(candidate):
            return line_start
        if line_start <= floor:
            break
        cut = line_start - 1
    return None


def clean_block_text(text: str) -> str:
    """Clean one block: whitespace, toggle labels and teasers."""
    text = normalise_whitespace(text)
    text = _TOGGLE_ALONE.sub("", text)
    text = _TOGGLE_GLUED.sub("", text)
    text = remove_teasers(text)
    text = normalise_whitespace(_MARKER.sub(" ", text))
    return text


def drop_repeats(blocks: list[Block]) -> list[Block]:
    """Remove lines that repeat, or are a truncated copy of, another line of the document."""
    lines = [(i, line) for i, block in enumerate(blocks) for line in block.text.split("\n")]
    keys = [comparable(line) for _, line in lines]
    seen: set[str] = set()
    by_prefix: dict[str, list[str]] = {}
    for key in keys:
        if len(key) >= MIN_DUPLICATE_CHARS:
            by_prefix.setdefault(key[:MIN_DUPLICATE_CHARS], []).append(key)
    kept: dict[int, list[str]] = {}
    for (i, line), key in zip(lines, keys, strict=True):
        if len(key) >= MIN_DUPLICATE_CHARS:
            if key in seen:
                continue
            longer = by_prefix.get(key[:MIN_DUPLICATE_CHARS], [])
            if any(other != key and other.startswith(key) for other in longer):
                continue
            seen.add(key)
        kept.setdefault(i, []).append(line)
    result = []
    for i, block in enumerate(blocks):
        text = normalise_whitespace("\n".join(kept.get(i, [])))
        if text:
            result.append(Block(text, section=block.section, page=block.page))
    return result


def clean_blocks(blocks: list[Block]) -> list[Block]:
    """Clean every block and drop empty and repeated passages."""
    cleaned = [Block(clean_block_text(b.text), section=b.section, page=b.page) for b in blocks]
    return drop_repeats([b for b in cleaned if b.text])
