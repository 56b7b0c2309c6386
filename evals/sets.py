"""The question sets askdocs is tuned (dev) and judged (test) on, by name.

- `sample`: the two bundled documents and their 127 questions.
- `product`: a product-documentation folder in mixed formats (evals/collections/product/).
- `squad`: 11 Wikipedia articles with crowd-written questions (SQuAD v1.1 train sample, read
  from ../shared/datasets; written out by evals/squad.py on first use).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from askdocs.evals.questions import BUNDLED_CORPUS, BUNDLED_QUESTIONS

PRODUCT = Path(__file__).resolve().parent / "collections" / "product"
NAMES = ("sample", "product", "squad")


@dataclass(frozen=True)
class QuestionSet:
    """A documents folder and the question set about it."""

    name: str
    docs: Path
    questions: Path


def question_set(name: str) -> QuestionSet:
    """The named set (see the module docstring); FileNotFoundError when its data is absent."""
    if name == "sample":
        return QuestionSet(name, BUNDLED_CORPUS, BUNDLED_QUESTIONS)
    if name == "product":
        return QuestionSet(name, PRODUCT / "docs", PRODUCT / "questions.jsonl")
    if name == "squad":
        from askdocs.evals.squad import DEFAULT_OUT, build

        questions = DEFAULT_OUT / "questions.jsonl"
        docs = DEFAULT_OUT / "docs"
        if not questions.is_file():
            docs, questions = build()
        return QuestionSet(name, docs, questions)
    raise ValueError(f"unknown question set {name!r} (known: {', '.join(NAMES)})")
