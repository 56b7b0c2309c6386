"""CORS: the widget's allowed origins (from the settings) get the header on public routes;
other origins never do, and admin routes never do for anyone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.service.app import create_app
from askdocs.settings import Settings

ALLOWED = "https://docs.example.org"
OTHER = "https://evil.example.net"
KEY = "cors-test-key"
ACAO = "access-control-allow-origin"


@pytest.fixture(scope="module")
def client(
    sample_settings: Settings, sample_collection: Collection, embedder: Embedder
) -> Iterator[TestClient]:
    # A trailing slash in the setting is tolerated: browsers send origins without one.
    settings = Settings(index=sample_settings.index, allowed_origins=[ALLOWED + "/"], admin_key=KEY)
    with TestClient(create_app(settings, embedder=embedder)) as test_client:
        yield test_client


def preflight(
    client: TestClient, path: str, origin: str, method: str = "POST"
) -> Any:  # TestClient's Response (httpx or httpx2)
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_allowed_origin_gets_cors_headers_on_public_routes(client: TestClient) -> None:
    health = client.get("/healthz", headers={"Origin": ALLOWED})
    assert health.headers[ACAO] == ALLOWED
    assert "Origin" in health.headers["vary"]
    ask = client.post(
        "/api/ask",
        json={"question": "What is the Spotlight Initiative?"},
        headers={"Origin": ALLOWED},
    )
    assert ask.status_code == 200
    assert ask.headers[ACAO] == ALLOWED
    assert "access-control-allow-credentials" not in ask.headers
    doc_id = ask.json()["citations"][0]["doc_id"]
    assert client.get(f"/api/documents/{doc_id}", headers={"Origin": ALLOWED}).headers[ACAO] == (
        ALLOWED
    )


def test_allowed_origin_preflight(client: TestClient) -> None:
    for path in ("/api/ask", "/api/search"):
        response = preflight(client, path, ALLOWED)
        assert response.status_code == 204
        assert response.headers[ACAO] == ALLOWED
        assert "POST" in response.headers["access-control-allow-methods"]
        assert "content-type" in response.headers["access-control-allow-headers"].lower()


def test_other_origins_get_no_cors_headers(client: TestClient) -> None:
    for origin in (OTHER, "null", "https://docs.example.org.evil.net", "http://docs.example.org"):
        health = client.get("/healthz", headers={"Origin": origin})
        assert health.status_code == 200  # served, but the browser will not hand it over
        assert ACAO not in health.headers
        response = preflight(client, "/api/ask", origin)
        assert response.status_code == 403
        assert ACAO not in response.headers
        ask = client.post("/api/ask", json={"question": "Spotlight?"}, headers={"Origin": origin})
        assert ACAO not in ask.headers


def test_admin_routes_never_get_cors_headers(client: TestClient) -> None:
    for method, path in (("POST", "/api/documents"), ("DELETE", "/api/documents/abc")):
        response = preflight(client, path, ALLOWED, method)
        assert response.status_code == 403
        assert ACAO not in response.headers
    upload = client.post(
        "/api/documents",
        files=[("files", ("a.exe", b"MZ"))],
        headers={"Origin": ALLOWED, "X-Admin-Key": KEY},
    )
    assert upload.status_code == 422  # reached the route (and refused the file)
    assert ACAO not in upload.headers
    delete = client.delete(
        "/api/documents/0000000000000000", headers={"Origin": ALLOWED, "X-Admin-Key": KEY}
    )
    assert delete.status_code == 404
    assert ACAO not in delete.headers


def test_pages_and_widget_are_served_without_cors_headers(client: TestClient) -> None:
    widget = client.get("/widget.js", headers={"Origin": ALLOWED})
    assert widget.status_code == 200
    assert widget.headers["content-type"].startswith("text/javascript")
    assert ACAO not in widget.headers  # a <script> tag needs none
    page = client.get("/")
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_no_allowed_origins_means_no_cors(
    sample_settings: Settings, sample_collection: Collection, embedder: Embedder
) -> None:
    with TestClient(create_app(Settings(index=sample_settings.index), embedder=embedder)) as c:
        assert ACAO not in c.get("/healthz", headers={"Origin": ALLOWED}).headers
        assert preflight(c, "/api/ask", ALLOWED).status_code == 403


def test_allowed_origins_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKDOCS_ALLOWED_ORIGINS", f'["{ALLOWED}", "http://localhost:3000"]')
    assert Settings().allowed_origins == [ALLOWED, "http://localhost:3000"]
    monkeypatch.setenv("ASKDOCS_ALLOWED_ORIGINS", '["*"]')
    with pytest.raises(ValueError, match="not allowed"):
        Settings()
