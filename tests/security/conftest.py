"""Fixtures for the hardening tests: a TestClient over the session's sample index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.service.app import create_app
from askdocs.settings import Settings

# The live-server and browser fixtures of the service tests, shared rather than copied.
from tests.service.conftest import (  # noqa: F401
    browser,
    context,
    host_site,
    live_server,
    page,
    serve,
)


@pytest.fixture(scope="module")
def client(
    sample_settings: Settings, sample_collection: Collection, embedder: Embedder
) -> Iterator[TestClient]:
    """The app over the sample corpus, lifespan run, 5xx returned rather than raised."""
    app = create_app(sample_settings, embedder=embedder)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
