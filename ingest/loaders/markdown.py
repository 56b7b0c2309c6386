"""Markdown: headings become section paths; the text stays readable with the markup removed.

Inline markup goes (links keep their text, emphasis and code ticks their content); list items
keep a "- " or "1. " marker, one a line; fenced code keeps its lines without the fences; a pipe
table reads one row a line. YAML front matter is dropped (its `title:` names the document).
"""

from __future__ import annotations

import re
from pathlib import Path

from askdocs.ingest.loaders.decode import read_text, title_from_path
from askdocs.ingest.loaders.markdown_inline import strip_inline
from askdocs.ingest.models import Block, LoadedFile

SECTION_SEPARATOR = " › "

# A heading's text is group 2 less its closing hashes and spaces (`_heading_text`): the
# expression `(.*?)(?:\s+#+)?\s*$` said the same, but took time quadratic in a run of spaces.
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*)$")
_SETEXT = re.compile(r"^ {0,3}(=+|-{2,})\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_RULE = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}\s*$")
_BULLET = re.compile(r"^(\s*)[*+-]\s+")
_QUOTE = re.compile(r"^ {0,3}>\s?")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
# Possessive (`*+`): two optional runs of spaces side by side otherwise try every split of a
# long run of spaces between them, quadratic.
_TABLE_RULE = re.compile(r"^\s*+\|?\s*+:?-{2,}+:?\s*+(?:\|\s*+:?-{2,}+:?\s*+)*+\|?\s*+$")
_TITLE = re.compile(r"(?m)^title:")
_QUOTES = ('"', "'")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def load_markdown(path: Path) -> LoadedFile:
    """Load a Markdown file: one block per section, headings kept as the section path."""
    text = read_text(path)
    title = None
    front = _FRONT_MATTER.match(text)
    if front:
        title = _front_matter_title(front.group(1)) or None
        text = text[front.end() :]
    reader = _Reader()
    for line in text.splitlines():
        reader.line(line)
    reader.flush()
    return LoadedFile(title=title or reader.title or title_from_path(path), blocks=reader.blocks)


def _front_matter_title(front: str) -> str:
    """The value of the front matter's `title:`, unquoted (what the expression
    `^title:\\s*["']?(.*?)["']?\\s*$` captured, in time linear in a run of spaces)."""
    found = _TITLE.search(front)
    if not found:
        return ""
    value = front[found.end() :].lstrip()  # as `\\s*` did, this may pass a line break
    value = value[1:] if value[:1] in _QUOTES else value
    value = value.split("\n", 1)[0].rstrip()
    value = value[:-1] if value[-1:] in _QUOTES else value
    return value.strip()


def _heading_text(text: str) -> str:
    """A heading's text without its closing sequence: trailing spaces, then a run of "#" that
    follows a space."""
    text = text.rstrip()
    bare = text.rstrip("#")
    return bare.rstrip() if bare != text and bare[-1:].isspace() else text


def table_text(rows: list[list[str]]) -> str:
    """A table as readable lines: "Header: value; Header: value" per row when the first row
    names distinct columns, else the cells joined with " | "."""
    rows = [row for row in rows if any(row)]
    if not rows:
        return ""
    header = rows[0]
    named = len(rows) > 1 and len(header) > 1 and all(header) and len(set(header)) == len(header)
    lines = []
    for cells in rows[1:] if named else rows:
        if named and len(cells) == len(header):
            pairs = zip(header, cells, strict=True)
            line = "; ".join(f"{name}: {value}" for name, value in pairs if value)
        else:
            line = " | ".join(cell for cell in cells if cell)
        if line:
            lines.append(line)
    return "\n".join(lines)


class _Reader:
    """Reads lines into section blocks, tracking headings, code fences and tables."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.title: str | None = None
        self._headings: list[tuple[int, str]] = []
        self._lines: list[str] = []
        self._fence: str | None = None  # the open fence's marker
        self._table: list[list[str]] | None = None
        self._in_paragraph = False  # the last line is paragraph text (may become a heading)

    def line(self, line: str) -> None:
        if self._fence is not None:
            if line.strip().startswith(self._fence):
                self._fence = None
            else:
                self._lines.append(line.rstrip())  # code: kept as written
            return
        fence = _FENCE.match(line)
        if fence:
            self._end_table()
            self._in_paragraph = False
            self._fence = fence.group(1)[0] * 3
            return
        if self._table is not None:
            if "|" in line and line.strip():
                self._table.append(_cells(line))
                return
            self._end_table()
        heading = _HEADING.match(line)
        if heading:
            self._heading(len(heading.group(1)), _heading_text(heading.group(2)))
            return
        if _SETEXT.match(line) and self._in_paragraph:  # "Title" underlined with === or ---
            self._heading(1 if line.strip()[0] == "=" else 2, self._lines.pop())
            return
        if (
            _TABLE_RULE.match(line)
            and "|" in line
            and self._in_paragraph
            and "|" in self._lines[-1]
        ):
            self._table = [_cells(self._lines.pop())]
            return
        self._in_paragraph = False
        if _RULE.match(line) or _LINK_DEFINITION.match(line):
            return
        line = _QUOTE.sub("", line)
        bullet = _BULLET.match(line)
        line = _BULLET.sub(r"\1- ", line)
        self._lines.append(strip_inline(line))
        self._in_paragraph = bool(line.strip()) and not bullet

    def flush(self) -> None:
        self._end_table()
        body = "\n".join(self._lines).strip()
        if body:
            section = SECTION_SEPARATOR.join(name for _, name in self._headings) or None
            self.blocks.append(Block(body, section=section))
        self._lines.clear()

    def _heading(self, level: int, raw: str) -> None:
        self.flush()
        self._in_paragraph = False
        name = " ".join(strip_inline(raw).split())
        if not name:
            return
        if self.title is None and level == 1:
            self.title = name
        while self._headings and self._headings[-1][0] >= level:
            self._headings.pop()
        self._headings.append((level, name))
        self._lines.append(name)  # the heading stays searchable as the section's first line

    def _end_table(self) -> None:
        if self._table is not None:
            rows, self._table = self._table, None
            if self._lines and self._lines[-1].strip():
                self._lines.append("")
            self._lines.append(table_text(rows))
            self._in_paragraph = False


def _cells(line: str) -> list[str]:
    row = line.strip()
    row = row.removeprefix("|").removesuffix("|")
    return [" ".join(strip_inline(cell).split()) for cell in re.split(r"(?<!\\)\|", row)]
