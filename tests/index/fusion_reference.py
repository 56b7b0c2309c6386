"""Convex fusion as first written, with dicts: the definition the array path must equal."""

from __future__ import annotations

from askdocs.index.fusion import min_max

Pairs = list[tuple[int, float]]


def dict_fusion(dense: Pairs, lexical: Pairs, weight: float) -> Pairs:
    """Min-max-normalised scores mixed `weight` : 1 - `weight`, best first, ties by id."""
    scores: dict[int, float] = {}
    for ranking, share in ((dense, weight), (lexical, 1 - weight)):
        for item, value in min_max(ranking).items():
            scores[item] = scores.get(item, 0.0) + share * value
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
