"""Conversations: the turns a question may lean on, and what a follow-up may not repeat.

Whether a question is a follow-up is not guessed from its wording here: the answerer reads it
alone and in the light of the last user turn, and keeps the reading the documents support
better (service/answerer/pipeline.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

_MARKER = re.compile(r"\s*\[\d+\]")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation."""

    role: Literal["user", "assistant"]
    content: str


def turns_from_json(value: Any) -> list[Turn]:
    """Turns from parsed JSON, `[{"role": "user"|"assistant", "content": str}, ...]`, as a
    --history file and a question set write them; ValueError naming the first bad turn."""
    if not isinstance(value, list):
        raise ValueError("expected a JSON list of turns")
    turns: list[Turn] = []
    for i, turn in enumerate(value):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            raise ValueError(f'turn {i} must be {{"role": "user"|"assistant", "content": str}}')
        turns.append(Turn(turn["role"], turn["content"]))
    return turns


def in_context(question: str, history: list[Turn]) -> str | None:
    """The question preceded by the last user turn, or None when there is none."""
    previous = [t.content.strip() for t in history if t.role == "user" and t.content.strip()]
    return f"{previous[-1]} {question}" if previous else None


def said_before(history: list[Turn]) -> str:
    """The last assistant turn, normalised (markers dropped, whitespace collapsed, casefolded):
    a new question is never answered by repeating it."""
    answers = [t.content for t in history if t.role == "assistant"]
    if not answers:
        return ""
    return _WHITESPACE.sub(" ", _MARKER.sub("", answers[-1])).casefold().strip()


def normalised(text: str) -> str:
    """Whitespace collapsed and casefolded, as `said_before` writes it."""
    return _WHITESPACE.sub(" ", text).casefold().strip()
