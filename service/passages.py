"""A cited passage with a little of its paragraph around it, cut at word boundaries, so the
chat page and the widget can show context without fetching whole documents."""

from __future__ import annotations

ELLIPSIS = "\u2026"


def around(text: str, start: int, end: int, chars: int) -> tuple[str, str]:
    """Up to `chars` characters of `text` on each side of `text[start:end]`, within its
    paragraph (the lines around it), with an ellipsis where the paragraph was cut."""
    first = text.rfind("\n", 0, start) + 1
    newline = text.find("\n", end)
    last = len(text) if newline < 0 else newline
    begin = max(first, start - chars)
    stop = min(last, end + chars)
    if begin > first:
        # Start after the first space so no word is shown cut in half.
        space = text.find(" ", begin, start)
        begin = start if space < 0 else space + 1
    if stop < last:
        space = text.rfind(" ", end, stop)
        stop = end if space < 0 else space
    before = (ELLIPSIS if begin > first else "") + text[begin:start]
    after = text[end:stop] + (ELLIPSIS if stop < last else "")
    return before, after
