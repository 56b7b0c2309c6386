"""The embedder's query cache: least recently used queries are forgotten first."""

from __future__ import annotations

import numpy as np

from askdocs.index.query_cache import QueryCache


def _vector(value: float) -> np.ndarray:
    return np.full(3, value, dtype=np.float32)


def test_the_least_recently_used_query_is_forgotten() -> None:
    cache = QueryCache(size=2)
    cache.put("a", _vector(1))
    cache.put("b", _vector(2))
    first = cache.get("a")  # now "b" is the least recent
    assert first is not None and first[0] == 1
    cache.put("c", _vector(3))
    assert cache.get("b") is None
    assert len(cache) == 2
    kept = [cache.get(q) for q in ("a", "c")]
    assert [float(v[0]) for v in kept if v is not None] == [1.0, 3.0]


def test_putting_a_query_again_replaces_it_and_clear_forgets_all() -> None:
    cache = QueryCache(size=2)
    cache.put("a", _vector(1))
    cache.put("a", _vector(5))
    again = cache.get("a")
    assert again is not None and again[0] == 5 and len(cache) == 1
    cache.clear()
    assert cache.get("a") is None and len(cache) == 0


def test_the_embedder_answers_a_repeated_query_from_its_cache(embedder) -> None:
    embedder.forget_queries()
    first = embedder.encode_query("where are the mines?")
    assert embedder.encode_query("where are the mines?") is first
    embedder.forget_queries()
    fresh = embedder.encode_query("where are the mines?")
    assert fresh is not first and np.allclose(fresh, first, atol=1e-6)
