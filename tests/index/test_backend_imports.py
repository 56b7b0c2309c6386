"""The optional backends cost nothing when unused, and say how to install them when missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from askdocs.errors import MissingExtraError
from askdocs.index import qdrant_schema
from askdocs.index.backend import location
from askdocs.settings import Settings
from tests.conftest import ROOT


def test_opening_the_embedded_backend_imports_no_qdrant_client(
    sample_collection, sample_settings: Settings
) -> None:
    probe = (
        "import sys\n"
        "from askdocs.index.backend import open_backend\n"
        "from askdocs.index.embedder import Embedder\n"
        "from askdocs.service.answerer import Answerer\n"
        "from askdocs.settings import Settings\n"
        f"settings = Settings(index={str(sample_settings.index)!r})\n"
        "collection = open_backend(settings, Embedder.from_settings(settings))\n"
        "answer = Answerer(collection, settings).answer('How many programmes did Spotlight run?')\n"
        "assert not answer.abstained\n"
        "print(sorted(m for m in sys.modules if m.startswith(('qdrant_client', 'grpc', 'ray'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_a_missing_qdrant_client_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setitem(sys.modules, "qdrant_client", None)  # import fails as if not installed
    settings = Settings(backend="qdrant", qdrant_path=tmp_path / "q", qdrant_collection="absent")
    with pytest.raises(MissingExtraError, match=r"pip install 'askdocs\[qdrant\]'"):
        qdrant_schema.client_for(settings)


def test_messages_name_the_qdrant_location() -> None:
    settings = Settings(backend="qdrant", qdrant_url="http://q:6333", qdrant_collection="kb")
    assert location(settings) == "http://q:6333#kb"
    assert location(Settings(index=Path("/srv/index"))) == Path("/srv/index")
