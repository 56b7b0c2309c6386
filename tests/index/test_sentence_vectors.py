"""Sentence vectors stored at ingest: the answerer reads them instead of embedding per question."""

from __future__ import annotations

import numpy as np
import pytest

from askdocs.index.collection import Collection
from askdocs.ingest.sentences import answer_sentences
from askdocs.service.answerer import Answerer


def test_every_answer_sentence_has_its_vector_stored(sample_collection: Collection) -> None:
    store = sample_collection.store
    for info in sample_collection.list_documents():
        text = sample_collection.get_document(info.id).text
        keys = [(info.id, s, e) for s, e in answer_sentences(text)]
        stored = store.sentence_vectors(keys)
        # Chunk-wise splitting can cut a long sentence differently from splitting the whole
        # text; nearly all sentences agree.
        assert len(stored) >= 0.9 * len(keys)
        # The vectors are pooled from the chunk's pass (the sentence's tokens read in context),
        # so they are near, not equal to, the sentence embedded alone.
        some = list(stored)
        alone = sample_collection.embedder.encode([text[s:e] for _, s, e in some])
        similarity = np.array(
            [stored[key] @ vector for key, vector in zip(some, alone, strict=True)]
        )
        assert np.all(np.abs(np.linalg.norm(np.stack(list(stored.values())), axis=1) - 1) < 1e-4)
        assert float(np.median(similarity)) > 0.8


def test_sentence_spans_pool_from_the_same_pass(embedder) -> None:
    text = "Mines kill farmers. The budget was 500 million USD."
    vectors, spans = embedder.encode_with_spans([text], [[(0, 19), (20, len(text))]])
    assert vectors.shape == (1, embedder.dimension) and spans[0].shape == (2, embedder.dimension)
    alone = embedder.encode(["Mines kill farmers.", "The budget was 500 million USD."])
    # Each pooled sentence is closer to its own text than to the other sentence.
    similarity = spans[0] @ alone.T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0]
    assert np.allclose(vectors[0], embedder.encode([text])[0], atol=1e-5)


def test_answering_embeds_only_the_question(
    sample_collection: Collection, sample_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = sample_collection.embedder
    calls: list[int] = []
    real = embedder.encode

    def counting(texts: list[str], progress: bool = False) -> np.ndarray:
        calls.append(len(texts))
        return real(texts, progress=progress)

    monkeypatch.setattr(embedder, "encode", counting)
    answer = Answerer(sample_collection, sample_settings).answer(
        "How many programmes did Spotlight run in its first phase?"
    )
    assert "34 programmes" in answer.answer
    assert sum(calls) <= 1  # the question itself (or nothing, when it is cached)
