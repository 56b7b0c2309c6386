"""The scripted model server, and askdocs served over HTTP against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from askdocs.index.collection import Collection
from askdocs.settings import Settings
from tests.service.conftest import LiveServer
from tests.service.generation.scripted_llm import ScriptedLLM

# Small, so the timeout case is quick; the scripted server answers the others at once.
LLM_TIMEOUT_S = 1.0


@pytest.fixture(scope="session")
def scripted_llm() -> Iterator[ScriptedLLM]:
    server = ScriptedLLM()
    yield server
    server.shutdown()


@pytest.fixture
def llm(scripted_llm: ScriptedLLM) -> ScriptedLLM:
    """The scripted server, its requests forgotten; each test sets its script."""
    scripted_llm.requests.clear()
    return scripted_llm


@pytest.fixture(scope="session")
def generating_server(
    serve: Callable[[Settings], LiveServer],
    sample_collection: Collection,
    scripted_llm: ScriptedLLM,
) -> LiveServer:
    """askdocs over the sample corpus, generating with the scripted server."""
    settings = Settings(
        index=sample_collection.root,
        llm_url=scripted_llm.url,
        llm_model="scripted",
        llm_api_key=SecretStr("test-key"),
        llm_timeout_s=LLM_TIMEOUT_S,
    )
    return serve(settings)
