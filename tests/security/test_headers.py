"""Response headers, offline-only docs, no Host-reflecting redirects, uvicorn options."""

from __future__ import annotations

import uvicorn
from fastapi.testclient import TestClient

from askdocs.service.serving import uvicorn_options
from askdocs.settings import Settings


def test_every_response_is_nosniff(client: TestClient) -> None:
    for response in (
        client.get("/api/documents"),
        client.get("/healthz"),
        client.get("/api/documents/no-such-doc"),
        client.post("/api/ask", json={}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"


def test_html_pages_carry_a_csp(client: TestClient) -> None:
    for path in ("/", "/documents/x"):
        assert "script-src 'self'" in client.get(path).headers["content-security-policy"]


def test_cdn_docs_pages_are_off_but_openapi_stays(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_no_redirect_reflects_the_host_header(client: TestClient) -> None:
    response = client.get(
        "/api/documents/", headers={"host": "evil.example"}, follow_redirects=False
    )
    assert "evil.example" not in response.headers.get("location", "")
    assert response.status_code != 307


def test_uvicorn_options_drop_proxy_trust_and_server_header() -> None:
    options = uvicorn_options(Settings())
    assert options["proxy_headers"] is False
    assert options["server_header"] is False
    config = uvicorn.Config("x:y", **options)  # every option is one uvicorn knows
    assert config.timeout_keep_alive == options["timeout_keep_alive"]
