"""Text relevance: normalisation and evidence matching."""

from __future__ import annotations

import pytest

from askdocs.evals.relevance import contains_evidence, first_relevant_rank, normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The UN\u2019s \u2018mandate\u2019", "the un's 'mandate'"),
        (
            "\u201cQuoted\u201d and \u201elow\u201c, \u201aalso\u2019",
            '"quoted" and "low", \'also\'',
        ),
        ("  many \t spaces\n\nand\r\nlines  ", "many spaces and lines"),
        ("non\u00a0breaking\u2009thin", "non breaking thin"),
        ("MiXeD CaSe Stra\u00dfe", "mixed case strasse"),
        ("", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_contains_evidence_ignores_formatting_differences() -> None:
    passage = "In 2019, the \u201cSpotlight Initiative\u201d\nreached\u00a0 women in MALI."
    assert contains_evidence(passage, ['the "spotlight initiative" reached women'])
    assert contains_evidence(passage, ["nothing here", "in mali."])
    assert not contains_evidence(passage, ["reached men"])
    assert not contains_evidence(passage, [])


def test_empty_spans_are_not_evidence() -> None:
    assert not contains_evidence("any passage", ["", "  \n"])
    assert first_relevant_rank(["any passage"], [" "]) is None


def test_first_relevant_rank_is_one_based() -> None:
    passages = ["unrelated", "also unrelated", "The  Answer is here", "the answer is here too"]
    assert first_relevant_rank(passages, ["answer is HERE"]) == 3
    assert first_relevant_rank(passages, ["unrelated"]) == 1
    assert first_relevant_rank(passages, ["missing", "too"]) == 4
    assert first_relevant_rank(passages, ["missing"]) is None
    assert first_relevant_rank([], ["answer"]) is None
