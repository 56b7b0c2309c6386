"""Question sets: JSONL, one question a line (format in DESIGN.md).

    {"id": "q1", "question": "...", "answers": ["verbatim evidence span", ...], "answerable": true}
    {"id": "q9", "question": "...", "answers": [], "answerable": false}
    {"id": "q10", "question": "And in Mali?", "history": [{"role": "user", "content": "..."}],
     "answers": [...], "answerable": true}

A bad line raises ValueError naming the file, the line number and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from askdocs.evals.jsonl import json_records
from askdocs.evals.relevance import normalise
from askdocs.service.conversation import Turn, turns_from_json

BUNDLED_QUESTIONS = Path(__file__).resolve().parent / "questions" / "sample.jsonl"
BUNDLED_CORPUS = Path(__file__).resolve().parent / "corpus"

_KEYS = {"id", "question", "answers", "answerable", "history", "split"}
_SPLITS = ("dev", "test")


@dataclass(frozen=True)
class Question:
    """One question of a set, with its gold evidence spans (empty when unanswerable)."""

    id: str
    question: str
    answers: list[str]
    answerable: bool
    history: list[Turn] = field(default_factory=list)
    split: str | None = None  # "dev" (tune on it) or "test" (report on it)


def load_questions(path: str | Path) -> list[Question]:
    """The questions of a JSONL file, in file order; blank lines are skipped."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"question set not found: {path}")
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, record in json_records(path):
        where = f"{path}:{number}"
        question = _parse(record, where)
        if question.id in seen:
            raise ValueError(
                f"{where}: duplicate id {question.id!r} (first on line {seen[question.id]})"
            )
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise ValueError(f"{path}: no questions")
    return questions


def _parse(record: dict[str, Any], where: str) -> Question:
    unknown = sorted(set(record) - _KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown field {unknown[0]!r}")
    qid = record.get("id")
    if isinstance(qid, int) and not isinstance(qid, bool):
        qid = str(qid)
    if not isinstance(qid, str) or not qid.strip():
        raise ValueError(f"{where}: field 'id' must be a non-empty string")
    text = record.get("question")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: field 'question' must be a non-empty string")
    answerable = record.get("answerable")
    if not isinstance(answerable, bool):
        raise ValueError(f"{where}: field 'answerable' must be true or false")
    answers = record.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise ValueError(f"{where}: field 'answers' must be a list of strings")
    if answerable and not any(normalise(a) for a in answers):
        raise ValueError(f"{where}: an answerable question needs at least one evidence span")
    if not answerable and answers:
        raise ValueError(f"{where}: an unanswerable question must have no 'answers'")
    split = record.get("split")
    if split is not None and split not in _SPLITS:
        raise ValueError(f"{where}: field 'split' must be 'dev' or 'test'")
    history = _history(record.get("history", []), where)
    return Question(qid, text, answers, answerable, history, split)


def of_split(questions: list[Question], split: str | None) -> list[Question]:
    """The questions of one split (all of them for None)."""
    if split is None:
        return questions
    chosen = [q for q in questions if q.split == split]
    if not chosen:
        raise ValueError(f"no questions in split {split!r}")
    return chosen


def _history(value: Any, where: str) -> list[Turn]:
    try:
        return turns_from_json(value)
    except ValueError as exc:
        raise ValueError(f"{where}: field 'history': {exc}") from None
