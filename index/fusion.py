"""Fusing dense and lexical rankings into one.

Hybrid search uses `convex_fusion`: each ranking's scores are min-max normalised over the
candidates it returned, then mixed with a fixed weight (ASKDOCS_FUSION_DENSE_WEIGHT). On
SciFact, NFCorpus and the bundled question set it measured better than reciprocal rank fusion,
which throws away how far apart the scores are (figures in evals/README.md).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import NamedTuple, TypeVar

import numpy as np

Item = TypeVar("Item", bound=Hashable)


def min_max(ranking: Sequence[tuple[Item, float]]) -> dict[Item, float]:
    """Scores mapped onto [0, 1]: the best candidate 1, the worst 0 (all 1 when they tie)."""
    if not ranking:
        return {}
    scores = [score for _, score in ranking]
    low, high = min(scores), max(scores)
    if high <= low:
        return {item: 1.0 for item, _ in ranking}
    return {item: (score - low) / (high - low) for item, score in ranking}


class Ranking(NamedTuple):
    """A ranking as arrays: chunk ids (int64) and their scores (float64), best first.

    What the searches hand to fusion: at 2 x 1,000 candidates per query, a Python tuple per
    candidate (built, sorted, read back into numpy) cost more than the searches themselves.
    """

    ids: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls) -> Ranking:
        """A ranking of no candidates."""
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))

    @classmethod
    def of(cls, pairs: Sequence[tuple[int, float]]) -> Ranking:
        """The ranking of (id, score) pairs, in their order."""
        ids = np.fromiter((i for i, _ in pairs), np.int64, len(pairs))
        return cls(ids, np.fromiter((s for _, s in pairs), np.float64, len(pairs)))

    def pairs(self, limit: int | None = None) -> list[tuple[int, float]]:
        """The first `limit` (all by default) as (id, score) pairs."""
        ids, scores = self.ids[:limit], self.scores[:limit]
        return list(zip(ids.tolist(), scores.tolist(), strict=True))


def convex_fusion(
    dense: Sequence[tuple[int, float]],
    lexical: Sequence[tuple[int, float]],
    dense_weight: float,
    limit: int | None = None,
) -> list[tuple[int, float]]:
    """`fuse` on (id, score) pairs."""
    return fuse(Ranking.of(dense), Ranking.of(lexical), dense_weight, limit).pairs()


def fuse(
    dense: Ranking, lexical: Ranking, dense_weight: float, limit: int | None = None
) -> Ranking:
    """score(id) = w * minmax(dense) + (1 - w) * minmax(lexical), best first (ties by id); an
    id missing from one ranking scores 0 there (as low as that ranking's worst candidate).
    Only the best `limit` are returned when it is given. Each ranking holds an id once.

    All in numpy: the two rankings' ids are merged by `np.unique` and their weighted scores
    summed per id by `np.bincount`, no dict over the candidates.
    """
    if not 0.0 <= dense_weight <= 1.0:
        raise ValueError(f"dense_weight must be within [0, 1], got {dense_weight}")
    parts = [
        (r, w) for r, w in ((dense, dense_weight), (lexical, 1.0 - dense_weight)) if len(r.ids)
    ]
    if not parts:
        return Ranking.empty()
    ids = np.concatenate([r.ids for r, _ in parts])
    values = np.concatenate([w * _min_max_array(r.scores) for r, w in parts])
    unique, where = np.unique(ids, return_inverse=True)
    sums = np.bincount(where, weights=values, minlength=len(unique))
    order = np.lexsort((unique, -sums))
    if limit is not None:
        order = order[:limit]
    return Ranking(unique[order], sums[order])


def _min_max_array(scores: np.ndarray) -> np.ndarray:
    """`min_max` of a ranking's scores, as an array in the ranking's order."""
    scores = scores.astype(np.float64, copy=False)
    low, high = scores.min(), scores.max()
    if high <= low:
        return np.ones_like(scores)
    result: np.ndarray = (scores - low) / (high - low)
    return result
