"""The one settings object: environment names, validation, and the configs built from it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from askdocs.index.collection import SearchConfig
from askdocs.index.rerank import RerankConfig
from askdocs.settings import AnswerConfig, Settings


def test_the_index_configs_default_to_the_settings_defaults() -> None:
    # A Collection opened without settings (tests, scripts) searches as the service does.
    assert SearchConfig.from_settings(Settings()) == SearchConfig()
    assert RerankConfig.from_settings(Settings()) == RerankConfig()


def test_search_and_answer_tunables_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASKDOCS_FUSION_DENSE_WEIGHT", "0.4")
    monkeypatch.setenv("ASKDOCS_FUSION_DEPTH", "2")
    monkeypatch.setenv("ASKDOCS_FUSION_MIN_DEPTH", "50")
    monkeypatch.setenv("ASKDOCS_LEXICAL_DOCUMENT_WEIGHT", "0")
    monkeypatch.setenv("ASKDOCS_ANSWER__HEADING_MAX_WORDS", "8")
    monkeypatch.setenv("ASKDOCS_ANSWER__YES_NO_MAX_WORDS", "0")
    settings = Settings()
    assert SearchConfig.from_settings(settings) == SearchConfig(0.4, 2, 50, 0.0)
    assert settings.answer.model_dump() == {
        **AnswerConfig().model_dump(),
        "heading_max_words": 8,
        "yes_no_max_words": 0,
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ASKDOCS_FUSION_DENSE_WEIGHT", "1.5"),
        ("ASKDOCS_FUSION_DEPTH", "0"),
        ("ASKDOCS_LEXICAL_DOCUMENT_WEIGHT", "-1"),
        ("ASKDOCS_ANSWER__HEADING_MAX_WORDS", "0"),
    ],
)
def test_out_of_range_tunables_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_replace_validates_and_keeps_what_was_left_unset() -> None:
    base = Settings(host="0.0.0.0")
    assert base.replace(top_k=9).top_k == 9
    # rate_limit_per_minute stays unset, so the default beyond loopback still applies.
    assert base.replace(port=9000).effective_rate_limit() == 120
    with pytest.raises(ValidationError, match="port"):
        base.replace(port=0)
    with pytest.raises(ValidationError, match="chunk_overlap must be smaller"):
        base.replace(chunk_tokens=32, chunk_overlap=32)


def test_the_qdrant_backend_needs_exactly_one_location(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    assert Settings().backend == "embedded"
    with pytest.raises(ValidationError, match="exactly one of ASKDOCS_QDRANT_URL"):
        Settings(backend="qdrant")
    with pytest.raises(ValidationError, match="exactly one of ASKDOCS_QDRANT_URL"):
        Settings(backend="qdrant", qdrant_url="http://q:6333", qdrant_path=tmp_path)
    monkeypatch.setenv("ASKDOCS_BACKEND", "qdrant")
    monkeypatch.setenv("ASKDOCS_QDRANT_URL", "http://qdrant-0:6333")
    settings = Settings()
    assert (settings.backend, settings.qdrant_url, settings.qdrant_collection) == (
        "qdrant",
        "http://qdrant-0:6333",
        "askdocs",
    )
    with pytest.raises(ValidationError, match="qdrant_collection"):
        Settings(qdrant_collection="no spaces/or slashes")
