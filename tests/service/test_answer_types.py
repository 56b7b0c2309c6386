"""Answer-type checks: what a question asks for, and whether a sentence can supply it."""

from __future__ import annotations

import pytest

from service.answer_types import AnswerType, can_answer, counted_words, expected_type


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many programmes did Spotlight run?", AnswerType.NUMBER),
        ("What percentage of funds went to civil society?", AnswerType.NUMBER),
        ("When was the policy endorsed?", AnswerType.DATE),
        ("In what year was UNMAS founded?", AnswerType.DATE),
        ("What phone number can I call?", AnswerType.PHONE),
        ("What is the e-mail of the office?", AnswerType.EMAIL),
        ("Who leads the country teams?", AnswerType.ANY),
    ],
)
def test_expected_type(question: str, kind: AnswerType) -> None:
    assert expected_type(question) is kind


def test_sentences_without_the_kind_asked_for_cannot_answer() -> None:
    assert can_answer("It implemented 34 programmes.", AnswerType.NUMBER)
    assert can_answer("Nearly half of the funds went there.", AnswerType.NUMBER)
    assert not can_answer("It led to increased convictions.", AnswerType.NUMBER)
    assert can_answer("It was endorsed in February 2018.", AnswerType.DATE)
    assert not can_answer("It was endorsed by the board.", AnswerType.DATE)
    assert can_answer("Call +1 212 555 0100 any time.", AnswerType.PHONE)
    assert not can_answer("220 East 42nd Street, New York, NY 10017", AnswerType.PHONE)
    assert can_answer("Anything at all.", AnswerType.ANY)


def test_counted_words_name_what_is_counted() -> None:
    assert counted_words("How many peacekeepers are deployed?") == "peacekeepers are deployed"
    assert counted_words("What is the budget?") == ""


def test_off_topic_and_near_topic_questions_abstain(sample_collection, sample_settings) -> None:
    from service.answer import Answerer

    answerer = Answerer(sample_collection, sample_settings)
    for question in [
        "How many moons does Jupiter have?",
        "How many peacekeepers are currently deployed with MINUSMA?",
        "What phone number can I call to reach the Spotlight office in New York?",
    ]:
        assert answerer.answer(question).abstained, question
