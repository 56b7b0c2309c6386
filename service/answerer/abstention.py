"""Abstention: a calibrated probability that the retrieved candidates answer the question.

A logistic model over `features.QUESTION_FEATURES`, fitted on dev questions whose evidence was
retrieved (positives) and the same questions with the evidence sentences taken out (near-miss
negatives: the topic is there, the fact is not), plus the dev splits' real unanswerable
questions. The threshold on this probability is chosen on dev data for a stated false-abstention
rate (evals/README.md, "Abstention").
"""

from __future__ import annotations

import numpy as np

from askdocs.service.answerer.scorer import LinearModel


def probability(model: LinearModel, question_row: np.ndarray) -> float:
    """P(the collection answers the question) for one question's features."""
    logit = float(model(question_row[None, :])[0])
    return float(1.0 / (1.0 + np.exp(-np.clip(logit, -30.0, 30.0))))
