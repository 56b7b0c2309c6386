"""The extractive answerer as a pipeline: candidates → scorer → selector → abstention."""

from askdocs.service.answerer.pipeline import NO_ANSWER, Answer, Answerer, Citation

__all__ = ["NO_ANSWER", "Answer", "Answerer", "Citation"]
