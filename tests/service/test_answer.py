"""The extractive answerer on the real sample index: cited sentences, or an abstention."""

from __future__ import annotations

from service.answer import NO_ANSWER, Answerer
from service.conversation import Turn, contextual_query


def test_answers_with_the_sentence_and_cites_it(sample_collection, sample_settings) -> None:
    answer = Answerer(sample_collection, sample_settings).answer(
        "How many programmes did Spotlight run in its first phase?"
    )
    assert not answer.abstained
    assert "34 programmes across five regions" in answer.answer
    assert "[1]" in answer.answer
    first = answer.citations[0]
    assert first.n == 1
    assert "34 programmes across five regions" in first.excerpt
    assert first.title == "Spotlight Initiative and DPKO profile"


def test_every_citation_matches_the_document_text(sample_collection, sample_settings) -> None:
    answerer = Answerer(sample_collection, sample_settings)
    for question in [
        "What quota for women does the Mali peace agreement include?",
        "What does UNMAS do about victims of mines?",
        "Which groups received nearly half of Spotlight's activity funds?",
    ]:
        answer = answerer.answer(question)
        assert answer.citations, question
        for citation in answer.citations:
            doc = sample_collection.get_document(citation.doc_id)
            assert doc.text[citation.start : citation.end] == citation.excerpt
            assert f"[{citation.n}]" in answer.answer


def test_abstains_on_an_off_topic_question(sample_collection, sample_settings) -> None:
    answer = Answerer(sample_collection, sample_settings).answer("Who won the 2018 FIFA World Cup?")
    assert answer.abstained
    assert answer.answer == NO_ANSWER
    assert answer.citations == []


def test_follow_up_uses_the_conversation(sample_collection, sample_settings) -> None:
    history = [
        Turn("user", "Is there a quota for women in security institutions?"),
        Turn("assistant", "Yes, a 30% female quota."),
    ]
    assert contextual_query("And in Mali?", history).startswith("Is there a quota")
    assert contextual_query("Who funds the Spotlight Initiative financially?", history) == (
        "Who funds the Spotlight Initiative financially?"
    )
    # Longer follow-ups are recognised by their cues.
    for follow_up in ("In which country, for instance?", "Who else is involved as partners?"):
        assert contextual_query(follow_up, history).startswith("Is there a quota"), follow_up
    answer = Answerer(sample_collection, sample_settings).answer("And in Mali?", history)
    assert not answer.abstained
    assert "Mali" in answer.answer
