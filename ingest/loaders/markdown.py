"""Markdown: headings become section paths; the text stays readable (markers removed)."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.loaders.decode import read_text, title_from_path
from ingest.models import Block, LoadedFile

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^(```|~~~)")
SECTION_SEPARATOR = " › "


def load_markdown(path: Path) -> LoadedFile:
    """Load a Markdown file: one block per section, headings kept as the section path."""
    text = read_text(path)
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    lines: list[str] = []
    title: str | None = None
    in_fence = False

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            section = SECTION_SEPARATOR.join(name for _, name in stack) or None
            blocks.append(Block(body, section=section))
        lines.clear()

    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
            continue  # keep code readable without the fence markers
        heading = None if in_fence else _HEADING.match(line)
        if heading is None:
            lines.append(line)
            continue
        flush()
        level, name = len(heading.group(1)), heading.group(2).strip()
        if title is None and level == 1:
            title = name
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, name))
        lines.append(name)  # the heading stays searchable as the section's first line
    flush()
    return LoadedFile(title=title or title_from_path(path), blocks=blocks)
