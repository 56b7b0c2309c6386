"""Turning a follow-up ("And in Mali?") into a query that stands on its own, without an LLM."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

MAX_CONTEXT_TURNS = 2
# Questions this short, or that open or refer like this, lean on the previous turn.
SHORT_QUESTION_WORDS = 4
_FOLLOW_UP = re.compile(
    r"^(and|also|what about|how about|what else|but|then|so)\b"
    r"|\b(it|its|they|them|their|this|that|these|those|there|he|she|his|her)\b"
    r"|\b(for instance|for example|else|as well|too|instead)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation."""

    role: Literal["user", "assistant"]
    content: str


def is_follow_up(question: str) -> bool:
    """Whether a question likely needs the conversation to be understood."""
    return len(question.split()) <= SHORT_QUESTION_WORDS or bool(_FOLLOW_UP.search(question))


def contextual_query(question: str, history: list[Turn]) -> str:
    """The query to retrieve with: the question, preceded by the last user turns when it is
    a follow-up. Assistant turns are left out: they quote the documents already cited."""
    if not history or not is_follow_up(question):
        return question
    previous = [t.content.strip() for t in history if t.role == "user" and t.content.strip()]
    context = previous[-MAX_CONTEXT_TURNS:]
    return " ".join([*context, question]) if context else question
