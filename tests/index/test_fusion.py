"""Convex fusion of dense and lexical rankings, min-max normalisation, and the search
tunables a collection takes from the settings."""

from __future__ import annotations

import random

import numpy as np
import pytest

from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.fusion import Ranking, convex_fusion, fuse, min_max
from askdocs.settings import SearchMode, Settings
from tests.index.fusion_reference import dict_fusion

Pairs = list[tuple[int, float]]


def test_min_max_maps_best_to_one_worst_to_zero_and_ties_to_one() -> None:
    assert min_max([(1, 4.0), (2, 2.0), (3, 3.0)]) == {1: 1.0, 2: 0.0, 3: 0.5}
    assert min_max([(1, 0.3), (2, 0.3)]) == {1: 1.0, 2: 1.0}
    assert min_max([]) == {}


def test_fusion_mixes_normalised_scores_and_a_missing_id_scores_zero_there() -> None:
    dense = [(1, 0.9), (2, 0.5), (3, 0.1)]
    lexical = [(3, 12.0), (4, 6.0), (2, 0.0)]
    fused = convex_fusion(dense, lexical, dense_weight=0.6)
    assert [item for item, _ in fused] == [1, 3, 2, 4]
    assert dict(fused) == pytest.approx({1: 0.6, 2: 0.3, 3: 0.4, 4: 0.2})
    assert convex_fusion(dense, lexical, 0.6, limit=2) == fused[:2]
    assert convex_fusion([], [], 0.6) == []
    assert [i for i, _ in convex_fusion(dense, [], 0.6)] == [1, 2, 3]
    with pytest.raises(ValueError, match="within"):
        convex_fusion(dense, lexical, 1.5)


def test_fusion_agrees_with_the_plain_definition_on_random_rankings() -> None:
    rng = random.Random(7)
    for _ in range(50):
        dense = [(rng.randrange(300), rng.random()) for _ in range(rng.randrange(1, 200))]
        lexical = [(rng.randrange(300), rng.random() * 20) for _ in range(rng.randrange(1, 200))]
        dense = list(dict(dense).items())  # one score per id, as the searches return
        lexical = list(dict(lexical).items())
        weight = rng.random()
        fused = convex_fusion(dense, lexical, weight)
        expected = dict_fusion(dense, lexical, weight)
        assert [i for i, _ in fused] == [i for i, _ in expected]
        assert [s for _, s in fused] == pytest.approx([s for _, s in expected])


def test_array_fusion_agrees_with_the_plain_definition_when_scores_tie() -> None:
    rng = random.Random(11)
    for _ in range(50):
        dense = dict((rng.randrange(100), float(rng.randrange(4))) for _ in range(60))
        lexical = dict((rng.randrange(100), float(rng.randrange(3))) for _ in range(60))
        weight = rng.choice([0.0, 0.5, 0.6, 1.0])
        fused = fuse(Ranking.of(list(dense.items())), Ranking.of(list(lexical.items())), weight, 30)
        assert fused.ids.dtype == np.int64
        expected = dict_fusion(list(dense.items()), list(lexical.items()), weight)[:30]
        assert fused.scores.tolist() == pytest.approx([s for _, s in expected])
        assert fused.ids.tolist() == [i for i, _ in expected]
    assert fuse(Ranking.empty(), Ranking.empty(), 0.5).pairs() == []


QUESTION = "support for victims of landmines"


def _ranked(settings: Settings, embedder: Embedder, mode: SearchMode, **tunables: float) -> Pairs:
    collection = Collection.from_settings(settings.replace(**tunables), embedder)
    try:
        return collection.rank(QUESTION, 8, mode)
    finally:
        collection.close()


def test_hybrid_search_fuses_with_the_configured_dense_weight(
    sample_settings: Settings, sample_collection: Collection, embedder: Embedder
) -> None:
    dense = [cid for cid, _ in _ranked(sample_settings, embedder, "dense")]
    lexical = [cid for cid, _ in _ranked(sample_settings, embedder, "lexical")]
    assert dense != lexical  # else the weight could not show
    only_dense = _ranked(sample_settings, embedder, "hybrid", fusion_dense_weight=1.0)
    only_lexical = _ranked(sample_settings, embedder, "hybrid", fusion_dense_weight=0.0)
    assert [cid for cid, _ in only_dense] == dense
    assert [cid for cid, _ in only_lexical] == lexical


def test_lexical_scores_add_the_configured_share_of_the_document_score(
    sample_settings: Settings, sample_collection: Collection, embedder: Embedder
) -> None:
    scores = {
        weight: dict(_ranked(sample_settings, embedder, "lexical", lexical_document_weight=weight))
        for weight in (0.0, 1.0, 2.0)
    }
    shared = scores[0.0].keys() & scores[1.0].keys() & scores[2.0].keys()
    assert shared
    for cid in shared:
        document = scores[1.0][cid] - scores[0.0][cid]
        assert document > 0
        assert scores[2.0][cid] == pytest.approx(scores[0.0][cid] + 2 * document)
