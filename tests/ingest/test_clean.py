"""Cleaning scraped pages: teasers, "Hide" toggles and repeated passages."""

from __future__ import annotations

from askdocs.ingest.clean import clean_block_text, clean_blocks, normalise_whitespace
from askdocs.ingest.documents import assemble
from askdocs.ingest.models import Block

FULL = (
    "Gender unit: A compendium of WPS indicators and a dashboard was developed as a platform "
    "to track progress of WPS mandates."
)


def test_whitespace_is_normalised() -> None:
    assert normalise_whitespace("a \t b\r\n\n\n\nc\u00a0d  ") == "a b\n\nc d"


def test_teaser_with_view_more_and_glued_hide_is_removed() -> None:
    scraped = f"Intro line.\nHide{FULL[:60]}\nView More\n{FULL}\nNext paragraph here."
    cleaned = clean_block_text(scraped)
    assert cleaned.count("compendium of WPS indicators") == 1
    assert "View More" not in cleaned
    assert "Hide" not in cleaned
    assert FULL in cleaned
    assert cleaned.startswith("Intro line.")
    assert cleaned.endswith("Next paragraph here.")


def test_inline_teaser_spanning_lines_is_removed() -> None:
    # As scraped: the full passage itself is broken over two lines, and the teaser stops
    # a few words into the second one.
    cut = FULL.index(" to track")
    first, rest = FULL[:cut], FULL[cut + 1 :]
    scraped = f"Hide{first}\n{rest[:8]}\nView More\n{first}\n{rest} It continues."
    cleaned = clean_block_text(scraped)
    assert cleaned == f"{first}\n{rest} It continues."
    assert cleaned.endswith("It continues.")


def test_view_more_that_is_not_a_teaser_stays_text() -> None:
    text = "Click the button labelled View More to see all entries in the table."
    # No passage follows that the words before the marker open, so nothing is dropped.
    assert clean_block_text(text) == text


def test_glued_hide_label_is_dropped_but_words_starting_with_hide_stay() -> None:
    cleaned = clean_block_text("HideDPKO is a member.\nHidden costs are listed below.")
    assert cleaned == "DPKO is a member.\nHidden costs are listed below."


def test_repeated_and_truncated_passages_are_dropped_across_blocks() -> None:
    blocks = [
        Block(FULL),
        Block("Feb 2017 - Apr 2018 | DPKO"),
        Block(FULL[:80]),
        Block("Feb 2017 - Apr 2018 | DPKO"),
        Block(FULL),
    ]
    cleaned = clean_blocks(blocks)
    texts = [b.text for b in cleaned]
    assert texts.count(FULL) == 1
    assert FULL[:80] not in texts
    # Short repeated lines (dates, headings) are kept.
    assert texts.count("Feb 2017 - Apr 2018 | DPKO") == 2


def test_sample_corpus_documents_are_clean(sample_collection) -> None:
    for info in sample_collection.list_documents():
        text = sample_collection.get_document(info.id).text
        assert "View More" not in text
        assert "\nHide" not in text and not text.startswith("Hide")
        assert text.count("A compendium of WPS indicators and a dashboard") <= 1


def test_assembled_document_spans_point_into_its_text() -> None:
    doc = assemble(
        "d1", "T", "src", [Block("Alpha one.", section="A"), Block("Beta two.", section="B")]
    )
    assert doc.text == "Alpha one.\n\nBeta two."
    assert [doc.text[s.start : s.end] for s in doc.spans] == ["Alpha one.", "Beta two."]
    span = doc.locate(12)
    assert span is not None and span.section == "B"
