"""The numbered sources a generated answer may cite: verbatim excerpts with offsets.

First the extractive answer's own citations, unchanged (`[1]`..`[m]`): the sentences the
answerer judged to answer, so a fallback to the extractive answer cites a subset of the sources
already announced, under the same numbers. Then a few of the retrieved passages for context,
best first, each cut to whole sentences around the part the answer came from, at most
`MAX_PASSAGE_CHARS` long, offsets into the document text kept exact.
"""

from __future__ import annotations

from askdocs.index.collection import SearchHit
from askdocs.ingest.sentences import split_sentences
from askdocs.service.answerer.pipeline import Answer, Citation

# The model's context is small (2048 tokens for the smallest local models): the answer's
# quotes plus three passages of ~120 words fit with the instructions and a short conversation.
MAX_PASSAGES = 3
MAX_PASSAGE_CHARS = 700


def choose_sources(answer: Answer, max_passages: int = MAX_PASSAGES) -> list[Citation]:
    """The answer's citations, then up to `max_passages` passages from its retrieved hits."""
    sources = list(answer.citations)
    for hit in answer.hits:
        if len(sources) >= len(answer.citations) + max_passages:
            break
        passage = _passage(hit, answer.citations, len(sources) + 1)
        if passage is not None and not any(_mostly_within(passage, s) for s in sources):
            sources.append(passage)
    return sources


def _passage(hit: SearchHit, quoted: list[Citation], n: int) -> Citation | None:
    """The chunk of `hit` cut to at most MAX_PASSAGE_CHARS of whole sentences, starting at
    the first sentence the answer quotes from it, else at its start."""
    chunk = hit.stored.chunk
    spans = split_sentences(chunk.text, chunk.start)
    if not spans:
        return None
    anchor = next(
        (
            i
            for i, (start, end) in enumerate(spans)
            for c in quoted
            if c.doc_id == chunk.doc_id and start <= c.start < end
        ),
        0,
    )
    first = last = anchor
    # Grow forwards first (what follows usually completes the quote), then backwards.
    while last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= MAX_PASSAGE_CHARS:
        last += 1
    while first > 0 and spans[last][1] - spans[first - 1][0] <= MAX_PASSAGE_CHARS:
        first -= 1
    start, end = spans[first][0], spans[last][1]
    if end - start > MAX_PASSAGE_CHARS:  # one very long sentence: cut at a space
        cut = chunk.text.rfind(" ", 0, start - chunk.start + MAX_PASSAGE_CHARS)
        end = chunk.start + cut if cut > start - chunk.start else start + MAX_PASSAGE_CHARS
    excerpt = chunk.text[start - chunk.start : end - chunk.start]
    return Citation(
        n=n,
        doc_id=chunk.doc_id,
        title=hit.stored.title,
        source=hit.stored.source,
        excerpt=excerpt,
        start=start,
        end=end,
        score=round(float(hit.score), 4),
        section=chunk.section,
        page=chunk.page,
    )


def _mostly_within(passage: Citation, other: Citation) -> bool:
    """Whether most of `passage` is text `other` already gives (overlapping chunks)."""
    if passage.doc_id != other.doc_id:
        return False
    overlap = min(passage.end, other.end) - max(passage.start, other.start)
    return overlap > (passage.end - passage.start) / 2
