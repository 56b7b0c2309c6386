"""`askdocs chat` and `askdocs ask --history`: conversations on the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from askdocs.errors import AskdocsError
from askdocs.service.conversation import Turn, turns_from_json
from askdocs.service.schemas import MAX_HISTORY_TURNS

# The API's limit: older turns are dropped, not sent.
MAX_TURNS = MAX_HISTORY_TURNS


class HistoryFileError(AskdocsError):
    """A --history file that is not a list of {"role", "content"} turns."""


def load_history(path: Path) -> list[Turn]:
    """The turns of a JSON file: [{"role": "user"|"assistant", "content": str}, ...]."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HistoryFileError(f"{path}: history file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HistoryFileError(f"{path}: cannot read history ({exc})") from None
    try:
        turns = turns_from_json(data)
    except ValueError as exc:
        raise HistoryFileError(f"{path}: {exc}") from None
    return turns[-MAX_TURNS:]


def chat_loop(
    answer: Callable[[str, list[Turn]], Any],
    show: Callable[[Any], None],
    read: Callable[[str], str],
) -> list[Turn]:
    """Ask questions read from `read` until an empty line, "exit" or end of input, keeping the
    conversation; returns it."""
    history: list[Turn] = []
    while True:
        try:
            question = read("? ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question or question.casefold() in ("exit", "quit"):
            break
        result = answer(question, history[-MAX_TURNS:])
        show(result)
        history.extend([Turn("user", question), Turn("assistant", result.answer)])
    return history
