"""Selection: the best sentence and what belongs to it, more only while the scorer is unsure."""

from __future__ import annotations

import numpy as np
import pytest

from askdocs.index.collection import SearchHit
from askdocs.index.store import StoredChunk
from askdocs.ingest.models import Chunk
from askdocs.service.answerer.candidates import Candidate, gather
from askdocs.service.answerer.features import asks_yes_or_no
from askdocs.service.answerer.selector import select
from askdocs.settings import AnswerConfig

TEXT = (
    "Can I cancel at any time?\n"
    "Yes. You can cancel from the billing page. It takes effect at the end of the month.\n"
    "Refunds are not given for partial months. Exports stay available for 30 days."
)


def _candidates() -> list[Candidate]:
    chunk = Chunk("d", TEXT, 0, len(TEXT))
    return [
        c
        for c in gather([SearchHit(StoredChunk(1, chunk, "FAQ", "faq.md"), 1.0)])
        if c.answerable and len(c.text.split()) >= 4
    ]


def _texts(chosen: list[Candidate]) -> list[str]:
    return [c.text for c in chosen]


def test_the_yes_before_and_the_continuation_after_belong_to_the_best() -> None:
    candidates = _candidates()
    best = next(i for i, c in enumerate(candidates) if c.text.startswith("You can cancel"))
    shares = np.full(len(candidates), 0.01)
    shares[best] = 0.97
    assert _texts(select(candidates, shares, AnswerConfig())) == [
        "Yes.",
        "You can cancel from the billing page.",
        "It takes effect at the end of the month.",
    ]


def test_a_confident_scorer_quotes_one_place_an_unsure_one_more() -> None:
    candidates = _candidates()
    refunds = next(i for i, c in enumerate(candidates) if c.text.startswith("Refunds"))
    exports = next(i for i, c in enumerate(candidates) if c.text.startswith("Exports"))
    shares = np.full(len(candidates), 0.0)
    shares[refunds], shares[exports] = 0.9, 0.1
    assert _texts(select(candidates, shares, AnswerConfig(coverage=0.7))) == [
        "Refunds are not given for partial months."
    ]
    shares[refunds], shares[exports] = 0.5, 0.45
    chosen = _texts(select(candidates, shares, AnswerConfig(coverage=0.7)))
    assert chosen == [
        "Refunds are not given for partial months.",
        "Exports stay available for 30 days.",
    ]
    assert _texts(select(candidates, shares, AnswerConfig(coverage=0.0))) == chosen[:1]


def test_a_leading_yes_is_quoted_only_when_the_question_asks_yes_or_no() -> None:
    candidates = _candidates()
    best = next(i for i, c in enumerate(candidates) if c.text.startswith("You can cancel"))
    shares = np.full(len(candidates), 0.01)
    shares[best] = 0.97
    without = [
        "You can cancel from the billing page.",
        "It takes effect at the end of the month.",
    ]
    assert _texts(select(candidates, shares, AnswerConfig(), yes_no=False)) == without
    # ASKDOCS_ANSWER__YES_NO_MAX_WORDS=0 never quotes it.
    assert _texts(select(candidates, shares, AnswerConfig(yes_no_max_words=0))) == without


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Can I log in with my Microsoft 365 account?", True),
        ("Can Quillbox call a webhook when a file changes?", True),
        ("If I remove someone from the workspace, are their files deleted?", True),
        ("And is it encrypted?", True),
        ("I deleted a folder by mistake. Can I get it back?", True),
        ("How much storage comes with the Business plan?", False),
        ("What about Team?", False),
        ("When is planned maintenance?", False),
    ],
)
def test_which_questions_ask_yes_or_no(question: str, expected: bool) -> None:
    assert asks_yes_or_no(question) is expected
