"""The FAISS vector index: exact below the threshold, approximate above it, on real vectors.

The approximate cases use clustered unit vectors (as evals/scale.py does): uniform random
vectors in high dimension have no neighbour structure for any approximate index to exploit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from askdocs.evals.scale import synthetic_vectors, unit_centres
from askdocs.index.vectors import EXACT_MAX, FLAT, HNSW, IVF, VectorIndex


def clustered(count: int, dim: int, queries: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`count` stored vectors and `queries` fresh queries from the same clusters."""
    rng = np.random.default_rng(seed)
    centres = unit_centres(max(1, count // 50), dim, rng)
    return (
        synthetic_vectors(count, dim, centres, 1.0, rng),
        synthetic_vectors(queries, dim, centres, 1.0, rng),
    )


def sparse_ids(count: int, seed: int = 1) -> np.ndarray:
    """Distinct, non-contiguous chunk ids, so a lost id mapping would show."""
    rng = np.random.default_rng(seed)
    return rng.choice(10**12, count, replace=False).astype(np.int64)


def exact_top(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    order = np.argsort(-(vectors @ query), kind="stable")[:k]
    return [int(i) for i in ids[order]]


def recall_at(index: VectorIndex, reference: VectorIndex, queries: np.ndarray, k: int) -> float:
    found = 0
    for query in queries:
        exact = {cid for cid, _ in reference.search(query, k)}
        found += len(exact.intersection(cid for cid, _ in index.search(query, k)))
    return found / (len(queries) * k)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vectors, queries = clustered(20_000, 384, 200)
    return sparse_ids(len(vectors)), vectors, queries


@pytest.fixture(scope="module")
def flat(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> VectorIndex:
    ids, vectors, _ = data
    return VectorIndex.build(vectors.shape[1], ids, vectors, kind=FLAT)


@pytest.fixture(scope="module")
def ivf(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> VectorIndex:
    ids, vectors, _ = data
    return VectorIndex.build(vectors.shape[1], ids, vectors, kind=IVF)


def test_the_kind_follows_the_collection_size() -> None:
    assert VectorIndex.choose_kind(0) == FLAT
    assert VectorIndex.choose_kind(EXACT_MAX) == FLAT
    assert VectorIndex.choose_kind(EXACT_MAX + 1) == IVF


def test_below_the_threshold_the_index_is_flat_and_exact() -> None:
    vectors, queries = clustered(2000, 64, 20)
    ids = sparse_ids(len(vectors))
    index = VectorIndex.build(64, ids, vectors)
    assert index.kind == FLAT and index.spec == "flat"
    for query in queries:
        hits = index.search(query, 10)
        assert [cid for cid, _ in hits] == exact_top(vectors, ids, query, 10)
        assert [s for _, s in hits] == pytest.approx(sorted(vectors @ query, reverse=True)[:10])


def test_an_empty_index_is_flat_whatever_is_asked() -> None:
    index = VectorIndex.build(8, np.zeros(0, np.int64), np.zeros((0, 8), np.float32), kind=IVF)
    assert index.kind == FLAT
    assert index.search(np.ones(8, np.float32), 5) == []


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown vector index kind"):
        VectorIndex.build(8, np.arange(1), np.ones((1, 8), np.float32), kind="annoy")


def test_ivf_recall_at_10_against_flat(
    ivf: VectorIndex, flat: VectorIndex, data: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    assert ivf.kind == IVF and ivf.params["nlist"] > 1
    assert recall_at(ivf, flat, data[2], 10) >= 0.95


def test_ivf_round_trip_keeps_kind_parameters_and_results(
    ivf: VectorIndex, data: tuple[np.ndarray, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    ids, _, queries = data
    ivf.save(tmp_path / "vectors.faiss")
    loaded = VectorIndex.load(tmp_path / "vectors.faiss", ivf.spec)
    assert (loaded.kind, loaded.params, loaded.spec) == (ivf.kind, ivf.params, ivf.spec)
    assert loaded.spec.startswith("ivf:")
    for query in queries[:20]:
        assert loaded.search(query, 10) == ivf.search(query, 10)
    found = {cid for query in queries for cid, _ in loaded.search(query, 10)}
    assert found <= set(ids.tolist())


def test_ivf_answers_deep_requests(
    ivf: VectorIndex, data: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    ids, _, queries = data
    hits = ivf.search(queries[0], 1000)
    assert len(hits) == 1000
    assert len({cid for cid, _ in hits}) == 1000
    assert {cid for cid, _ in hits} <= set(ids.tolist())
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    # Asking for more than there is returns everything, as flat does.
    assert len(ivf.search(queries[0], len(ids) + 5)) == len(ids)


def test_hnsw_recall_round_trip_and_deep_requests(tmp_path: Path) -> None:
    vectors, queries = clustered(5000, 64, 100)
    ids = sparse_ids(len(vectors))
    hnsw = VectorIndex.build(64, ids, vectors, kind=HNSW)
    flat = VectorIndex.build(64, ids, vectors, kind=FLAT)
    assert hnsw.kind == HNSW
    assert recall_at(hnsw, flat, queries, 10) >= 0.95
    hnsw.save(tmp_path / "vectors.faiss")
    loaded = VectorIndex.load(tmp_path / "vectors.faiss", hnsw.spec)
    assert (loaded.kind, loaded.params) == (HNSW, hnsw.params)
    assert loaded.search(queries[0], 10) == hnsw.search(queries[0], 10)
    deep = loaded.search(queries[0], 1000)
    assert len(deep) == 1000 and {cid for cid, _ in deep} <= set(ids.tolist())


def test_an_old_manifest_spec_still_loads(tmp_path: Path) -> None:
    vectors, _ = clustered(100, 16, 1)
    VectorIndex.build(16, np.arange(100), vectors).save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss", "flat")
    assert loaded.kind == FLAT and loaded.params == {} and len(loaded) == 100


@pytest.mark.parametrize("kind", [FLAT, IVF])
def test_replacing_vectors_by_id_finds_what_a_build_finds(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], kind: str
) -> None:
    ids, vectors, queries = data
    index = VectorIndex.build(vectors.shape[1], ids[:15_000], vectors[:15_000], kind=kind)
    index.replace(ids[:500], ids[15_000:], vectors[15_000:])
    assert len(index) == 19_500
    kept = slice(500, None)
    reference = VectorIndex.build(vectors.shape[1], ids[kept], vectors[kept], kind=FLAT)
    if kind == FLAT:
        for query in queries[:20]:
            got, want = index.search_arrays(query, 10), reference.search_arrays(query, 10)
            assert got.ids.tolist() == want.ids.tolist()
            np.testing.assert_allclose(got.scores, want.scores, rtol=1e-6)
    else:
        assert recall_at(index, reference, queries, 10) >= 0.95
    removed = set(ids[:500].tolist())
    assert not any(cid in removed for q in queries[:20] for cid, _ in index.search(q, 50))


def test_an_index_suits_a_size_while_build_would_make_the_same_kind() -> None:
    flat = VectorIndex.build(8, np.arange(10), np.eye(10, 8, dtype=np.float32))
    assert flat.suits(11) and flat.suits(EXACT_MAX)
    assert not flat.suits(EXACT_MAX + 1)  # becomes IVF: rebuilt
    ivf = VectorIndex(flat.index, IVF, {"nlist": 1024, "nprobe": 32})
    assert ivf.suits(60_000) and not ivf.suits(200_000)  # more cells wanted: retrained
    assert not VectorIndex(flat.index, HNSW, {}).suits(11)  # HNSW cannot remove: rebuilt


def test_a_query_searches_on_one_thread_and_keeps_the_callers_setting(
    flat: VectorIndex, data: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    """OpenMP's thread count is per thread: a search sets it to 1 in the thread that searches
    (a service's request threads never saw a setting made at start-up) and restores it."""
    import threading

    import faiss

    seen: list[int] = []

    class Recording:
        """The flat index, noting OpenMP's thread count when FAISS is asked to search."""

        ntotal = flat.index.ntotal

        def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
            seen.append(faiss.omp_get_max_threads())
            return flat.index.search(x, k)

    recording = VectorIndex(Recording(), FLAT, {})  # type: ignore[arg-type]
    query = data[2][0]
    found: list[list[tuple[int, float]]] = []
    after: list[int] = []

    def request() -> None:
        faiss.omp_set_num_threads(2)
        found.append(recording.search(query, 5))
        after.append(faiss.omp_get_max_threads())

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    assert seen == [1]
    assert after == [2]
    assert found == [flat.search(query, 5)]
