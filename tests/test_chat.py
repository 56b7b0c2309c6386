"""`askdocs chat` and `ask --history`: the conversation kept and read back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from askdocs.chat import HistoryFileError, chat_loop, load_history
from askdocs.service.conversation import Turn


@dataclass
class _Reply:
    answer: str


def test_chat_keeps_the_conversation_and_stops_on_an_empty_line() -> None:
    questions = iter(["How much is Team?", "And Business?", ""])
    seen: list[list[Turn]] = []

    def answer(question: str, history: list[Turn]) -> _Reply:
        seen.append(list(history))
        return _Reply(f"reply to {question}")

    shown: list[str] = []
    history = chat_loop(answer, lambda r: shown.append(r.answer), lambda _p: next(questions))
    assert shown == ["reply to How much is Team?", "reply to And Business?"]
    assert seen[0] == []
    assert seen[1] == [
        Turn("user", "How much is Team?"),
        Turn("assistant", "reply to How much is Team?"),
    ]
    assert len(history) == 4


def test_history_file_is_read_and_bad_ones_are_named(tmp_path: Path) -> None:
    good = tmp_path / "h.json"
    good.write_text(json.dumps([{"role": "user", "content": "Hi"}]), encoding="utf-8")
    assert load_history(good) == [Turn("user", "Hi")]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"role": "system", "content": "x"}]), encoding="utf-8")
    with pytest.raises(HistoryFileError, match=r"bad\.json: turn 0"):
        load_history(bad)
    with pytest.raises(HistoryFileError, match="not found"):
        load_history(tmp_path / "missing.json")
