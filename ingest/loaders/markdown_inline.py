"""Inline Markdown removal in linear time.

`strip_inline` removes comments, images, links, autolinks, code ticks, emphasis, strikethrough
and backslash escapes, one kind after the other. Each pass makes the same replacements as the
regular expression named in its docstring would with `re.sub`, but the expressions whose
closing part can lie anywhere further on (`~~a ~~a ~~a ...` never closes) made `re.sub` search
to the end of the line from every opening: 11 s for 48 KB. Here each pass remembers where the
next closing part is, so every line is searched through once per pass.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

# A candidate match: given where the opening starts and ends, (end of match, replacement) or None.
_MatchAt = Callable[[int, int], "tuple[int, str] | None"]

_COMMENT_OPEN = re.compile(r"<!--")
_IMAGE_OPEN = re.compile(r"!\[")
_LINK_OPEN = re.compile(r"\[")
_AUTOLINK_OPEN = re.compile(r"<(?:https?|mailto):")
_TICK = re.compile(r"`")
_STRONG_OPEN = re.compile(r"\*\*|__")
_STRIKE_OPEN = re.compile(r"~~")
_COMMENT_CLOSE = re.compile(r"-->")
_NEWLINE = re.compile(r"\n")
_BRACKET_CLOSE = re.compile(r"\]")
_PAREN_CLOSE = re.compile(r"\)")
_AUTOLINK_STOP = re.compile(r"[>\s]")
_NOT_TICK = re.compile(r"[^`]")
_TICK_OR_NEWLINE = re.compile(r"[`\n]")
# A closing delimiter right after a non-space character.
_CLOSE_AFTER_TEXT = {d: re.compile(r"(?<=\S)" + re.escape(d)) for d in ("**", "__", "~~")}
# These close within a bounded stretch ([^*\n] cannot pass the next "*"), so stay expressions.
_EMPHASIS_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=\S)_(?![\w_])")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


def strip_inline(text: str) -> str:
    """Text without inline Markdown: links keep their text, emphasis and code their content."""
    text = _comments(text)
    text = _images(text)
    text = _links(text)
    text = _reference_links(text)
    text = _autolinks(text)
    text = _code(text)
    text = _delimited(text, _STRONG_OPEN)
    text = _EMPHASIS_STAR.sub(r"\1", text)
    text = _EMPHASIS_UNDERSCORE.sub(r"\1", text)
    text = _delimited(text, _STRIKE_OPEN)
    return _ESCAPE.sub(r"\1", text)


class _Next:
    """Where `pattern` next matches in `text`, asked for positions that (mostly) only grow.

    The last answer stands while it still lies at or after the position asked, so a pass over
    a text searches it once, not once per question.
    """

    __slots__ = ("_asked", "_found", "_pattern", "_text")

    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        self._pattern = pattern
        self._text = text
        self._asked = sys.maxsize  # nothing asked yet
        self._found = -1

    def __call__(self, start: int) -> int:
        """The first match's start at or after `start`, or -1 when there is none."""
        if not (self._asked <= start and (self._found < 0 or self._found >= start)):
            match = self._pattern.search(self._text, start)
            self._asked, self._found = start, match.start() if match else -1
        return self._found


def _replace(text: str, opening: re.Pattern[str], match_at: _MatchAt) -> str:
    """`re.sub` driven by hand: try each place `opening` matches, left to right, resuming after
    a replacement, or one character on when `match_at` finds no match there."""
    pieces: list[str] = []
    done = position = 0
    while (found := opening.search(text, position)) is not None:
        start = found.start()
        result = match_at(start, found.end())
        if result is None:
            position = start + 1
            continue
        end, replacement = result
        pieces += (text[done:start], replacement)
        done = position = end
    pieces.append(text[done:])
    return "".join(pieces)


def _comments(text: str) -> str:
    """`<!--.*?-->` removed."""
    close, newline = _Next(_COMMENT_CLOSE, text), _Next(_NEWLINE, text)

    def match_at(start: int, after: int) -> tuple[int, str] | None:
        end, line_end = close(after), newline(after)
        if end < 0 or 0 <= line_end < end:
            return None
        return end + 3, ""

    return _replace(text, _COMMENT_OPEN, match_at)


def _label_then_target(
    text: str,
    opener: re.Pattern[str],
    target_open: str,
    target_close: re.Pattern[str],
    empty_label: bool,
) -> str:
    """`[label]` followed at once by `target_open ... target_close`, replaced by the label
    (images, inline links and reference links differ only in these parts)."""
    label, target = _Next(_BRACKET_CLOSE, text), _Next(target_close, text)

    def match_at(start: int, after: int) -> tuple[int, str] | None:
        label_end = label(after)
        shortest = after if empty_label else after + 1
        if label_end < shortest or not text.startswith(target_open, label_end + 1):
            return None
        end = target(label_end + 2)
        return None if end < 0 else (end + 1, text[after:label_end])

    return _replace(text, opener, match_at)


def _images(text: str) -> str:
    """`!\\[([^\\]]*)\\]\\([^)]*\\)` replaced by its alt text."""
    return _label_then_target(text, _IMAGE_OPEN, "(", _PAREN_CLOSE, empty_label=True)


def _links(text: str) -> str:
    """`\\[([^\\]]+)\\]\\([^)]*\\)` replaced by the link text."""
    return _label_then_target(text, _LINK_OPEN, "(", _PAREN_CLOSE, empty_label=False)


def _reference_links(text: str) -> str:
    """`\\[([^\\]]+)\\]\\[[^\\]]*\\]` replaced by the link text."""
    return _label_then_target(text, _LINK_OPEN, "[", _BRACKET_CLOSE, empty_label=False)


def _autolinks(text: str) -> str:
    """`<((?:https?|mailto):[^>\\s]+)>` replaced by the address."""
    stop = _Next(_AUTOLINK_STOP, text)

    def match_at(start: int, after: int) -> tuple[int, str] | None:
        end = stop(after)
        if end <= after or text[end] != ">":
            return None
        return end + 1, text[start + 1 : end]

    return _replace(text, _AUTOLINK_OPEN, match_at)


def _code(text: str) -> str:
    """`` `+([^`\\n]+?)`+ `` replaced by the code."""
    opened, closing = _Next(_NOT_TICK, text), _Next(_TICK_OR_NEWLINE, text)
    closed = _Next(_NOT_TICK, text)

    def match_at(start: int, after: int) -> tuple[int, str] | None:
        code = opened(start)  # past the whole run of opening ticks
        if code < 0 or text[code] == "\n":
            return None
        code_end = closing(code)
        if code_end < 0 or text[code_end] == "\n":
            return None
        end = closed(code_end)
        return (len(text) if end < 0 else end), text[code:code_end]

    return _replace(text, _TICK, match_at)


def _delimited(text: str, opening: re.Pattern[str]) -> str:
    """`(\\*\\*|__)(?=\\S)(.+?)(?<=\\S)\\1` (or the same with `~~`) replaced by its content."""
    closes = {d: _Next(pattern, text) for d, pattern in _CLOSE_AFTER_TEXT.items()}
    newline = _Next(_NEWLINE, text)

    def match_at(start: int, after: int) -> tuple[int, str] | None:
        if after >= len(text) or text[after].isspace():
            return None
        end = closes[text[start:after]](after + 1)  # the content is at least one character
        line_end = newline(after)
        if end < 0 or 0 <= line_end < end:
            return None
        return end + 2, text[after:end]

    return _replace(text, opening, match_at)
