"""The extractive answerer on real indexes (the sample documents and the product-docs
collection): cited sentences, structure respected, follow-ups by evidence, or an abstention."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from askdocs.evals.sets import PRODUCT
from askdocs.index.collection import Collection
from askdocs.index.writer import ingest_paths
from askdocs.service.answerer import NO_ANSWER, Answerer
from askdocs.service.conversation import Turn
from askdocs.settings import Settings


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[Collection]:
    """A real index of the product-documentation collection (Markdown, HTML, PDF, DOCX)."""
    root = tmp_path_factory.mktemp("product") / "index"
    ingest_paths(root, [PRODUCT / "docs"], embedder, Settings(index=root))
    collection = Collection.open(root, embedder)
    yield collection
    collection.close()


def _answer(collection: Collection, question: str, history: list[Turn] | None = None, **kw):
    return Answerer(collection, Settings(index=Path("unused"))).answer(question, history, **kw)


def test_answers_with_the_sentence_and_cites_it(sample_collection, sample_settings) -> None:
    answer = Answerer(sample_collection, sample_settings).answer(
        "How many programmes did Spotlight run in its first phase?"
    )
    assert not answer.abstained
    assert "34 programmes across five regions" in answer.answer
    first = next(c for c in answer.citations if "34 programmes" in c.excerpt)
    assert f"[{first.n}]" in answer.answer
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
        texts = [c.excerpt for c in answer.citations]
        assert len(texts) == len(set(texts)), question
        for citation in answer.citations:
            doc = sample_collection.get_document(citation.doc_id)
            assert doc.text[citation.start : citation.end] == citation.excerpt
            assert f"[{citation.n}]" in answer.answer


def test_abstains_on_an_off_topic_question(sample_collection, sample_settings) -> None:
    answer = Answerer(sample_collection, sample_settings).answer("Who won the 2018 FIFA World Cup?")
    assert answer.abstained
    assert answer.answer == NO_ANSWER
    assert answer.citations == []


def test_a_faq_question_line_is_context_never_the_answer(product) -> None:
    answer = _answer(product, "Can I use Quillbox without signing up for an account?")
    assert not answer.abstained
    assert all(not c.excerpt.rstrip().endswith("?") for c in answer.citations)
    # The document's "No." is quoted with the fact it introduces.
    assert "No. Everyone who edits or comments needs a Quillbox account" in answer.answer


def test_the_key_fact_in_the_next_sentence_is_kept(product) -> None:
    answer = _answer(product, "How are user passwords protected?")
    assert "salted and hashed with scrypt" in answer.answer


def test_a_new_question_after_another_topic_is_read_alone(product) -> None:
    history = [
        Turn("user", "How much does the Team plan cost?"),
        Turn("assistant", "The Team plan costs $9 per user per month, billed annually."),
    ]
    answer = _answer(product, "How are passwords stored?", history)
    assert answer.query == "How are passwords stored?"
    assert "scrypt" in answer.answer


def test_no_leading_yes_before_an_answer_to_a_question_that_is_not_yes_or_no(product) -> None:
    answer = _answer(product, "How much storage comes with the Business plan?")
    assert not answer.abstained and not answer.answer.startswith(("Yes", "No"))
    assert _answer(product, "Can I log in with my Microsoft 365 account?").answer.startswith("Yes.")


def test_a_follow_up_is_read_with_the_conversation(product) -> None:
    history = [Turn("user", "How much does the Team plan cost?"), Turn("assistant", "$9 [1]")]
    answer = _answer(product, "And the Business plan?", history)
    # Read alone, "And the Business plan?" is barely understood; with the conversation it is a
    # pricing question, and the answer comes from the pricing and plan pages.
    assert answer.query == "How much does the Team plan cost? And the Business plan?"
    assert not answer.abstained
    assert any("per user" in c.excerpt for c in answer.citations)


def test_top_k_decides_how_many_chunks_are_read(product) -> None:
    question = "What's the API rate limit?"
    top = product.search(question, k=1)[0].stored.chunk
    narrow = _answer(product, question, top_k=1)
    # With one chunk read, every citation lies inside that chunk.
    assert narrow.citations
    assert all(
        c.doc_id == top.doc_id and top.start <= c.start and c.end <= top.end
        for c in narrow.citations
    )
