"""Batching by token count: fewer padded positions, the same vectors, rows in input order."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from askdocs.index.embedder import Embedder
from askdocs.index.runtimes import OnnxRuntime, RunStats

# Token counts that character lengths order badly: numbers and symbols split into many
# word pieces, plain words into one each.
TEXTS = [
    "The quick brown fox jumps over the lazy dog and runs far away into the wood.",
    "p53-R175H/R248Q, IC50=3.2±0.4 µM; HbA1c≥6.5%",
    "short",
    "Vitamin D supplementation does not reduce fractures in older adults.",
    "CD4+CD25+FoxP3+ Treg (n=12) vs. CD8+ (n=9): 1.7×10^-3",
    "a b c d e f g h i j k l m n o p q r s t u v w x y z",
    "What is the role of p53 in apoptosis?",
    "αβγδ εζηθ 12.5 mg/kg/day i.p. q.d. ×14 d",
]


def test_batches_group_texts_by_token_count(embedder: Embedder, onnx_cache: Path) -> None:
    small = Embedder(batch_size=2, cache_dir=onnx_cache)
    counts = [embedder.count_tokens(t) for t in TEXTS]
    batches = list(small._batches(TEXTS, progress=False))
    assert sorted(i for rows in batches for i in rows) == list(range(len(TEXTS)))
    flat = [counts[i] for rows in batches for i in rows]
    assert flat == sorted(counts)


def test_one_batch_is_not_counted(embedder: Embedder) -> None:
    assert list(embedder._batches(TEXTS, progress=False)) == [list(range(len(TEXTS)))]


def test_batched_vectors_are_in_input_order_and_equal_to_each_text_alone(
    embedder: Embedder, onnx_cache: Path
) -> None:
    small = Embedder(batch_size=3, cache_dir=onnx_cache)
    vectors = small.encode(TEXTS)
    alone = np.vstack([embedder.encode([t]) for t in TEXTS])
    assert float(np.min(np.sum(vectors * alone, axis=1))) >= 0.99999
    spans = [[(0, 5)] for _ in TEXTS]
    with_spans, _ = small.encode_with_spans(TEXTS, spans)
    assert float(np.min(np.sum(with_spans * alone, axis=1))) >= 0.99999


def test_token_order_feeds_less_padding_than_character_order(onnx_cache: Path) -> None:
    small = Embedder(batch_size=2, cache_dir=onnx_cache)
    runtime = small.model
    assert isinstance(runtime, OnnxRuntime)
    runtime.stats = RunStats()
    small.encode(TEXTS)
    by_tokens = runtime.stats
    runtime.stats = RunStats()
    by_characters = sorted(range(len(TEXTS)), key=lambda i: len(TEXTS[i]))
    for start in range(0, len(TEXTS), 2):
        runtime.encode([TEXTS[i] for i in by_characters[start : start + 2]])
    assert by_tokens.tokens == runtime.stats.tokens
    assert by_tokens.positions < runtime.stats.positions
