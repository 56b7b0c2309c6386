"""Chunking: sentence boundaries, overlap, token bounds and the offsets invariant."""

from __future__ import annotations

from itertools import pairwise

from askdocs.ingest.chunk import chunk_document, context_of, count_tokens
from askdocs.ingest.documents import assemble
from askdocs.ingest.models import Block
from askdocs.ingest.sentences import split_sentences


def test_sentences_split_with_offsets_and_keep_abbreviations() -> None:
    text = "Dr. Smith arrived, e.g. on Monday. Then he left! Did he?\nNew line here"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Dr. Smith arrived, e.g. on Monday.",
        "Then he left!",
        "Did he?",
        "New line here",
    ]


def test_chunks_respect_size_overlap_and_sentence_boundaries() -> None:
    sentences = [f"Sentence number {i} talks about topic {i} in some detail." for i in range(40)]
    doc = assemble("d", "T", "s", [Block(" ".join(sentences))])
    chunks = chunk_document(doc, max_tokens=60, overlap=15)
    assert len(chunks) > 5
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.startswith("Sentence number") and chunk.text.endswith("detail.")
        assert count_tokens(chunk.text) <= 60 + 5  # joins between sentences cost a token
    # Consecutive chunks share text (overlap), and together they cover the document.
    assert all(b.start < a.end for a, b in pairwise(chunks))
    assert chunks[0].start == 0 and chunks[-1].end == len(doc.text)


def test_a_sentence_longer_than_a_chunk_is_cut_at_words() -> None:
    doc = assemble("d", "T", "s", [Block(" ".join(["word"] * 500) + ".")])
    chunks = chunk_document(doc, max_tokens=50, overlap=0)
    assert len(chunks) >= 10
    assert all(count_tokens(c.text) <= 50 for c in chunks)
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)


def test_chunks_do_not_cross_sections() -> None:
    doc = assemble(
        "d",
        "T",
        "s",
        [Block("Alpha text here.", section="A"), Block("Beta text here.", section="B")],
    )
    chunks = chunk_document(doc, max_tokens=100, overlap=10)
    assert [(c.text, c.section) for c in chunks] == [
        ("Alpha text here.", "A"),
        ("Beta text here.", "B"),
    ]


def test_fits_splits_chunks_the_model_would_truncate() -> None:
    doc = assemble("d", "T", "s", [Block(" ".join(f"Short sentence {i}." for i in range(30)))])
    chunks = chunk_document(doc, max_tokens=500, overlap=0, fits=lambda t: len(t) <= 100)
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)


def test_every_sample_chunk_fits_the_model_and_matches_its_offsets(
    sample_collection, embedder
) -> None:
    store = sample_collection.store
    ids = [int(i) for batch, _, _ in store.iter_chunks() for i in batch]
    chunks = store.chunks(ids)
    assert len(chunks) > 20
    for stored in chunks.values():
        doc = sample_collection.get_document(stored.chunk.doc_id)
        assert doc.text[stored.chunk.start : stored.chunk.end] == stored.chunk.text
        # In the model's own tokens, special tokens included, within max_seq_length.
        assert embedder.count_tokens(stored.chunk.text) + 2 <= embedder.max_tokens


def _paragraph(topic: str, sentences: int) -> str:
    return " ".join(f"The {topic} fact number {i} is stated here." for i in range(sentences))


def test_whole_paragraphs_are_packed_and_never_cut_when_they_fit() -> None:
    paragraphs = [_paragraph(topic, n) for topic, n in [("alpha", 3), ("beta", 4), ("gamma", 3),
                  ("delta", 5), ("epsilon", 2)]]  # fmt: skip
    doc = assemble("d", "T", "s", [Block(p) for p in paragraphs])
    chunks = chunk_document(doc, max_tokens=80, overlap=15, paragraphs=True)
    pieces = {p: doc.text.index(p) for p in paragraphs}
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        # Each chunk is a run of whole paragraphs: it starts and ends at paragraph edges.
        assert any(chunk.start == start for start in pieces.values())
        assert any(chunk.end == start + len(p) for p, start in pieces.items())
    inside = [[p for p in paragraphs if p in c.text] for c in chunks]
    assert all(inside) and sorted(p for group in inside for p in group) == sorted(paragraphs)
    assert any(len(group) > 1 for group in inside)  # short neighbours share a chunk


def test_a_paragraph_too_long_for_a_chunk_gets_overlapping_sentence_windows() -> None:
    short, long = _paragraph("alpha", 2), _paragraph("omega", 30)
    doc = assemble(
        "d", "T", "s", [Block(short), Block(long), Block(short.replace("alpha", "zeta"))]
    )
    chunks = chunk_document(doc, max_tokens=60, overlap=15, paragraphs=True)
    assert chunks[0].text == short  # not joined to the first window of the long paragraph
    windows = [c for c in chunks if "omega" in c.text]
    assert len(windows) > 3 and all("alpha" not in c.text and "zeta" not in c.text for c in windows)
    assert all(b.start < a.end for a, b in pairwise(windows))  # sentence windows overlap
    assert chunks[-1].text == short.replace("alpha", "zeta")


def test_context_names_title_and_section_unless_the_chunk_starts_with_it() -> None:
    assert context_of("Montana", None, "The state is large.") == "Montana\n"
    assert context_of("Guide", "Guide › Billing › Refunds", "Annual plans...") == (
        "Guide › Billing › Refunds\n"
    )
    assert context_of("FAQ", "Billing", "Refunds are...") == "FAQ › Billing\n"
    assert context_of("Montana", None, "Montana\n\nThe state is large.") == ""
    assert context_of("FAQ", "FAQ › Refunds", "Refunds\nAnnual plans...") == ""
    assert context_of("", None, "text") == ""
