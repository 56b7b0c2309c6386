"""Admin routes refused without the key in any spelling (401), and a CORS allowlist that never
becomes "*"."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from askdocs.evals.crash import FakeEmbedder
from askdocs.service.app import create_app
from askdocs.settings import Settings
from tests.service.api_limits.conftest import ADMIN_KEY, ALLOWED, Server

ADMIN_ROUTES = {
    ("POST", "/api/documents"),
    ("DELETE", "/api/documents/{doc_id}"),
    ("GET", "/api/jobs/{job_id}"),
}

# --- admin routes: 401 without the key, whatever the spelling ------------------------------


def _operations() -> dict[tuple[str, str], dict[str, Any]]:
    """Every API operation of the app, from its OpenAPI schema: (METHOD, path) -> operation."""
    app = create_app(Settings(index=Path("/nonexistent")), embedder=FakeEmbedder())
    return {
        (method.upper(), path): operation
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    }


def _admin_routes() -> set[tuple[str, str]]:
    """Operations that take the admin key (the `require_admin` dependency's headers)."""
    return {
        key
        for key, operation in _operations().items()
        if any(p["name"].lower() == "x-admin-key" for p in operation.get("parameters", []))
    }


def test_route_enumeration_finds_exactly_the_admin_routes() -> None:
    admin = _admin_routes()
    assert admin == ADMIN_ROUTES
    for method, path in _operations():  # no other route writes anything
        assert (
            method in ("GET", "HEAD")
            or (method, path) in admin
            or path
            in (
                "/api/ask",
                "/api/ask/stream",
                "/api/search",
            )
        ), (method, path)


def _variants(path: str) -> list[str]:
    return [path, path + "/", path.upper(), path.replace("documents", "Documents"), path + "//"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {ADMIN_KEY.lower()}"},
        {"Authorization": f"Basic {ADMIN_KEY}"},
        {"Authorization": ADMIN_KEY},
        {"X-Admin-Key": ADMIN_KEY.upper()},
        {"X-Admin-Key": ""},
    ],
)
def test_every_admin_route_is_refused_without_the_key_in_any_spelling(
    server: Server, headers: dict[str, str]
) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        doc_id = http.get("/api/documents").json()["documents"][0]["doc_id"]
        before = http.get("/api/documents").json()
        for method, template in sorted(_admin_routes()):
            path = template.replace("{doc_id}", doc_id)
            for variant in _variants(path):
                files = {"files": ("sneaky.txt", b"Sneaky upload text.")}
                response = http.request(
                    method,
                    variant,
                    headers=headers,
                    files=files if method == "POST" else None,
                    follow_redirects=True,
                )
                where = f"{method} {variant} {headers}"
                if variant == path or variant.lower() == path.lower() + "/":
                    assert response.status_code == 401, where  # the route itself (redirected)
                else:  # another spelling is no route at all: never served
                    assert response.status_code in (401, 404, 405), where
        assert http.get("/api/documents").json() == before


# --- CORS: the allowlist never becomes "*" -------------------------------------------------


@pytest.mark.parametrize("origins", ["*", "https://a.example,*", '["*"]', " * "])
def test_a_wildcard_origin_is_refused_by_the_settings(
    origins: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASKDOCS_ALLOWED_ORIGINS", origins)
    with pytest.raises(ValidationError, match="'\\*' is not allowed"):
        Settings()


def test_no_route_ever_answers_with_a_wildcard_origin(server: Server) -> None:
    pages = {"/", "/widget.js", "/documents/x", "/static/chat.js", "/openapi.json", "/docs"}
    paths = pages | {re.sub(r"\{[^}]+\}", "x", path) for _, path in _operations()}
    assert {"/api/ask", "/api/documents", "/api/documents/x", "/healthz"} <= paths
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for path in sorted(paths):
            for origin in (ALLOWED, "https://evil.example", "null", "*"):
                for method in ("GET", "POST", "OPTIONS"):
                    headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
                    response = http.request(method, path, headers=headers)
                    allow = response.headers.get("access-control-allow-origin")
                    assert allow != "*", (method, path, origin)
                    assert allow in (None, ALLOWED), (method, path, origin, allow)
                    if origin != ALLOWED:
                        assert allow is None, (method, path, origin)
