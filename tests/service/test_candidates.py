"""Candidates: lines sorted into kinds, sentences linked to their neighbours, no repeats."""

from __future__ import annotations

from askdocs.index.collection import SearchHit
from askdocs.index.store import StoredChunk
from askdocs.ingest.models import Chunk
from askdocs.service.answerer.candidates import (
    HEADING,
    LIST,
    QUESTION,
    TABLE,
    TEXT,
    gather,
    line_kind,
)


def _hit(doc_id: str, text: str, start: int = 0, section: str | None = None) -> SearchHit:
    chunk = Chunk(doc_id, text, start, start + len(text), section=section)
    return SearchHit(StoredChunk(1, chunk, "Title", "doc.md"), 1.0)


def test_line_kinds() -> None:
    assert line_kind("Can I pay by invoice?", None, True) == QUESTION
    assert line_kind("Billing", "FAQ › Billing", True) == HEADING
    assert line_kind("Getting started with sync", None, True) == HEADING
    # Longer than ASKDOCS_ANSWER__HEADING_MAX_WORDS allows: running text.
    assert line_kind("Getting started with sync", None, True, heading_max_words=3) == TEXT
    assert line_kind("- Exports run every night.", None, True) == LIST
    assert line_kind("3. Restart the app.", None, True) == LIST
    assert line_kind("Plan: Team; Price: $9 per user", None, True) == TABLE
    assert line_kind("Team | $9 | 300 users", None, True) == TABLE
    assert line_kind("Invoices are sent on the first day of each month.", None, True) == TEXT
    # The last line of a chunk without punctuation is text, not a heading of nothing.
    assert line_kind("Exports run every night at two", None, False) == TEXT


def test_headings_are_context_and_sentences_know_their_neighbours() -> None:
    text = "Can I pay by invoice?\nYes. Invoices are sent monthly. They are due in 30 days."
    candidates = gather([_hit("d", text, start=100, section="FAQ")])
    kinds = [(c.text, c.kind) for c in candidates]
    assert kinds[0] == ("Can I pay by invoice?", QUESTION)
    assert not candidates[0].answerable
    yes, sent, due = candidates[1:]
    assert (yes.text, sent.text, due.text) == (
        "Yes.",
        "Invoices are sent monthly.",
        "They are due in 30 days.",
    )
    assert sent.previous is yes and sent.next is due
    assert sent.heading == "Can I pay by invoice?"
    # Offsets point into the document: the chunk starts at 100.
    assert sent.start == 100 + text.index("Invoices")


def test_repeated_sentences_are_gathered_once() -> None:
    text = "Backups are kept for thirty days in two regions."
    overlapping = [_hit("a", text), _hit("a", text), _hit("b", text)]
    assert len(gather(overlapping)) == 1


def test_rows_of_a_table_that_lost_its_layout_are_not_headings() -> None:
    rows = ("Team $9 per user up to 300", "Business $16 per user up to 1,000")
    assert line_kind(rows[1], None, True, (rows[0], "Enterprise custom")) == TEXT
    assert line_kind("Plan limits", None, True, ("Plans differ in storage and seats.",)) == HEADING
