"""Cutting the model's streamed answer into sentences with their markers."""

from __future__ import annotations

import pytest

from askdocs.service.generation.sentences import (
    SentenceSplitter,
    markers,
    split,
    tidy,
    without_markers,
)

TEXT = (
    "The EU gave over 500 million USD [1]. It was launched in 2017, e.g. in Mali. [2] "
    "Dr. Smith said so [1][2]! Was it? Yes [3].\n"
    "- **A list item** with markers [1, 2]\n\n"
    "Last line without a stop"
)
EXPECTED = [
    "The EU gave over 500 million USD [1].",
    "It was launched in 2017, e.g. in Mali. [2]",
    "Dr. Smith said so [1][2]!",
    "Was it?",
    "Yes [3].",
    "A list item with markers [1] [2]",
    "Last line without a stop",
]


def test_split_whole_text() -> None:
    assert split(TEXT) == EXPECTED


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 13])
def test_pieces_of_any_size_give_the_same_sentences(size: int) -> None:
    splitter = SentenceSplitter()
    out: list[str] = []
    for i in range(0, len(TEXT), size):
        out += splitter.feed(TEXT[i : i + size])
    assert out + splitter.flush() == EXPECTED


def test_a_sentence_is_handed_on_only_once_the_next_has_begun() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("It was launched in 2017. ") == []
    assert splitter.feed("[") == []  # maybe its marker
    assert splitter.feed("2] Then") == ["It was launched in 2017. [2]"]
    assert splitter.flush() == ["Then"]


def test_markers_and_tidying() -> None:
    assert markers("A [2] b [1, 2; 3] c [2].") == [2, 1, 3]
    assert markers("No markers [a] [] here.") == []
    assert without_markers("A  claim [1] here [2].") == "A claim here ."
    assert tidy("  1. **Bold** claim [1,2]  ") == "Bold claim [1] [2]"
    assert tidy("<source> [6] This is so.</source>") == "[6] This is so."
    assert tidy("</sources>") == ""
