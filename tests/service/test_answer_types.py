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
        ("In which specific countries were the programmes run?", AnswerType.COUNTRY),
        ("What does Spotlight tailor to what each country needs?", AnswerType.ANY),
        ("How much funding has been pledged?", AnswerType.MONEY),
        ("How much of the activity money went to civil society?", AnswerType.NUMBER),
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
    assert can_answer("Units work in the Democratic Republic of Congo.", AnswerType.COUNTRY)
    assert can_answer("In Côte d’Ivoire and Sierra Leone, advisers met.", AnswerType.COUNTRY)
    assert not can_answer("It ran 34 programmes across five regions.", AnswerType.COUNTRY)
    assert not can_answer("The gender unit chairs a group.", AnswerType.COUNTRY)  # not "Chad"
    assert can_answer("An investment of over 500 million USD.", AnswerType.MONEY)
    assert can_answer("It cost $4.2m.", AnswerType.MONEY)
    assert not can_answer("The plant treats 48 million litres a day.", AnswerType.MONEY)


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
        # Near-topic: the documents name MONUSCO once but hold nothing on its budget.
        "What is MONUSCO's annual budget?",
        # "34 programmes across five regions" names no country.
        "In which specific countries were Spotlight's 34 programmes carried out?",
    ]:
        assert answerer.answer(question).abstained, question


def test_a_name_the_question_uses_must_be_in_the_passage(sample_collection, sample_settings):
    from service.answer import Answerer

    answerer = Answerer(sample_collection, sample_settings)
    # MINUSMA and UNIPSIL are each named in a few passages; "UN" is everywhere and not required.
    assert answerer.known_names("What did MINUSMA and the UN do with UNIPSIL?") == {
        "minusma",
        "unipsil",
    }
    # A name the documents never use constrains nothing (they may call it otherwise).
    assert answerer.known_names("How much money did the EU commit?") == set()
    answer = answerer.answer("What did MINUSMA do with Mali's national security sector reform?")
    assert not answer.abstained
    assert all("MINUSMA" in c.excerpt or "Mali" in c.excerpt for c in answer.citations[:1])


def test_a_country_follow_up_is_answered_from_the_conversation(sample_collection, sample_settings):
    from service.answer import Answerer
    from service.conversation import Turn

    answerer = Answerer(sample_collection, sample_settings)
    history = [
        Turn(
            "user", "Which agency works with DPKO on implementing Security Council resolution 1983?"
        ),
        Turn("assistant", "UNAIDS collaborates with DPKO on implementing resolution 1983."),
    ]
    answer = answerer.answer("In which country, for instance?", history)
    assert not answer.abstained
    assert "Democratic Republic of Congo" in answer.answer
