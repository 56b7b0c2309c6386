"""The learned scorer: a linear model over `features.CANDIDATE_FEATURES`.

Fitted by `python -m askdocs.evals.train_answerer` as a listwise (softmax) ranker: for each dev
question the candidates holding the gold evidence should outscore the others. Its weights, with the
feature names and the standardisation they expect, live in `weights.json` beside this file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

WEIGHTS_FILE = Path(__file__).resolve().parent / "weights.json"


@dataclass(frozen=True)
class LinearModel:
    """score = ((x - mean) / scale) @ weights + bias."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float = 0.0

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """Scores of the rows (one row of `features` each)."""
        scores: np.ndarray = ((rows - self.mean) / self.scale) @ self.weights + self.bias
        return scores

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (rounded: the file is committed and diffed)."""
        return {
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
            "bias": round(float(self.bias), 6),
        }

    @classmethod
    def from_json(cls, data: dict[str, object], expected: tuple[str, ...]) -> LinearModel:
        """A model from `to_json`'s dict; its features must be `expected`, in order."""
        features: tuple[str, ...] = tuple(data["features"])  # type: ignore[arg-type]
        if features != expected:
            raise ValueError(
                f"{WEIGHTS_FILE}: weights are for other features; retrain with "
                "python -m askdocs.evals.train_answerer"
            )

        def arr(name: str) -> np.ndarray:
            return np.asarray(data[name], dtype=np.float32)

        return cls(features, arr("mean"), arr("scale"), arr("weights"), float(data["bias"]))  # type: ignore[arg-type]


@dataclass(frozen=True)
class AnswerModels:
    """The candidate scorer and the abstention model, as trained together."""

    scorer: LinearModel
    abstention: LinearModel
    about: dict[str, object]


@lru_cache(maxsize=4)
def load_models(path: Path = WEIGHTS_FILE) -> AnswerModels:
    """The shipped (or given) weights, read once."""
    from askdocs.service.answerer.features import CANDIDATE_FEATURES, QUESTION_FEATURES

    data = json.loads(path.read_text(encoding="utf-8"))
    return AnswerModels(
        LinearModel.from_json(data["scorer"], CANDIDATE_FEATURES),
        LinearModel.from_json(data["abstention"], QUESTION_FEATURES),
        dict(data.get("about", {})),
    )


def softmax(logits: np.ndarray) -> np.ndarray:
    """Shares of the candidates in one question's scores."""
    shifted = np.exp(logits - logits.max())
    out: np.ndarray = shifted / shifted.sum()
    return out
