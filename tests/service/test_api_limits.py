"""API input and access: field limits (422), body size (413), path characters in ids (404),
admin routes closed without the key, the CORS allowlist, rate limiting (429), and queries
answered during uploads from one version only. Over real HTTP against uvicorn.

The server embeds with `evals.crash.FakeEmbedder` (deterministic, counts nothing heavy): these
tests are about the HTTP layer and consistency, not retrieval quality.
"""

from __future__ import annotations

import asyncio
import http.client
import re
import threading
import time
from collections.abc import Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from pydantic import ValidationError

from askdocs.evals.crash import FakeEmbedder, fake_settings
from askdocs.index.writer import ingest_paths
from askdocs.service.app import create_app
from askdocs.service.limits import BodySizeLimit, RateLimit
from askdocs.settings import Settings
from tests.security.asgi import BODY_CHUNK, offer_body
from tests.service.conftest import LiveServer, start_server

ADMIN_KEY = "Correct-Horse-Battery-Staple"
ALLOWED = "https://www.example.org"
ADMIN_ROUTES = {("POST", "/api/documents"), ("DELETE", "/api/documents/{doc_id}")}


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting the texts it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Embed, and count the call."""
        self.calls += 1
        return super().encode(texts, progress)


@dataclass
class Server(LiveServer):
    """A running askdocs server and the embedder it counts calls with."""

    embedder: CountingEmbedder


def _start(settings: Settings, embedder: CountingEmbedder) -> Server:
    live = start_server(settings, embedder)
    return Server(live.url, live.settings, live.server, live.thread, embedder)


def _versioned_text(name: str, version: int) -> str:
    return " ".join(
        f"The {name} policy in revision {version} covers topic {k} for members." for k in range(8)
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """askdocs over a small fake-embedded index, with an admin key and one allowed origin."""
    root = tmp_path_factory.mktemp("limits")
    docs = root / "docs"
    docs.mkdir()
    for name in ("alpha", "beta"):
        (docs / f"{name}.txt").write_text(_versioned_text(name, 0), encoding="utf-8")
    settings = fake_settings(root / "index").replace(
        admin_key=ADMIN_KEY, allowed_origins=[ALLOWED], abstain_threshold=0.0
    )
    embedder = CountingEmbedder()
    ingest_paths(settings.index, [docs], embedder, settings)
    live = _start(settings, embedder)
    yield live
    live.stop()


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client for the server."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def _admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


# --- 422: field limits and types, before any embedding ----------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": "x" * 2001}, "question"),
        ({"question": ""}, "question"),
        ({"question": 42}, "question"),
        ({}, "question"),
        ({"question": "ok?", "history": [{"role": "user", "content": "hi"}] * 21}, "history"),
        ({"question": "ok?", "history": "not a list"}, "history"),
        ({"question": "ok?", "history": [{"role": "system", "content": "x"}]}, "role"),
        ({"question": "ok?", "top_k": 0}, "top_k"),
        ({"question": "ok?", "top_k": 51}, "top_k"),
        ({"question": "ok?", "top_k": "many"}, "top_k"),
        ({"question": "ok?", "top_k": 2.5}, "top_k"),
    ],
)
def test_bad_fields_get_422_naming_the_field_before_any_embedding(
    client: httpx.Client, server: Server, body: dict[str, Any], field: str
) -> None:
    before = server.embedder.calls
    response = client.post("/api/ask", json=body)
    assert response.status_code == 422, response.text
    locations = [err["loc"] for err in response.json()["detail"]]
    assert any(field in loc for loc in locations), locations
    assert server.embedder.calls == before


def test_a_body_that_is_not_json_gets_422(client: httpx.Client) -> None:
    response = client.post(
        "/api/ask", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


# --- 413: body size ------------------------------------------------------------------------


def test_a_body_over_1_mb_gets_413_fast(client: httpx.Client) -> None:
    body = b'{"question": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    started = time.monotonic()
    response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert time.monotonic() - started < 5


def test_a_streamed_body_without_length_is_cut_at_the_limit(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(64):  # 4 MB in 64 KB pieces, no Content-Length
            yield b"x" * 65536

    response = client.post(
        "/api/ask", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_the_body_limit_reads_no_further_than_the_limit() -> None:
    """Memory stays flat: the middleware stops pulling body chunks once past the limit."""
    limit = 1024 * 1024
    status, pulled = offer_body(lambda app: BodySizeLimit(app, max_bytes=limit), "/api/ask", [])
    assert status == 413
    assert pulled <= limit // BODY_CHUNK + 1  # 17 of the 1,600 chunks offered (100 MB)


# --- 404: path characters in document ids --------------------------------------------------


def _raw(server: Server, method: str, path: str, headers: dict[str, str] | None = None) -> int:
    """Send `path` byte for byte (httpx would normalise dot segments)."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize(
    "doc_id",
    [
        "../../etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "..%2F..%2Fmanifest.json",
        "%2fetc%2fpasswd",
        "/etc/passwd",
        "..",
        "..%5c..%5cwindows",
        "%00",
    ],
)
def test_doc_ids_with_path_characters_get_404(server: Server, doc_id: str) -> None:
    assert _raw(server, "GET", f"/api/documents/{doc_id}") == 404
    assert _raw(server, "DELETE", f"/api/documents/{doc_id}", _admin()) == 404
    with httpx.Client(base_url=server.url) as http:
        assert len(http.get("/api/documents").json()["documents"]) >= 2  # nothing removed


def test_uploaded_names_with_path_characters_stay_inside_the_collection(
    client: httpx.Client, server: Server, tmp_path: Path
) -> None:
    names = ["../../x.txt", "/etc/evil.txt", "..%2f..%2fencoded.txt", "..\\..\\win.txt"]
    files = [
        ("files", (name, f"Upload {i} about gardens.".encode())) for i, name in enumerate(names)
    ]
    response = client.post("/api/documents", files=files, headers=_admin())
    assert response.status_code == 201, response.text
    uploads = (server.settings.index / "uploads").resolve()
    for item in response.json()["documents"]:
        saved = (uploads / item["filename"]).resolve()
        assert saved.parent == uploads and saved.is_file(), item
        assert "/" not in item["filename"] and not item["filename"].startswith(".")
    assert not (server.settings.index.parent / "x.txt").exists()
    for item in response.json()["documents"]:  # leave the collection as it was
        assert client.delete(f"/api/documents/{item['doc_id']}", headers=_admin()).is_success


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


# --- 429: rate limiting --------------------------------------------------------------------


def test_settings_refuse_bad_limits() -> None:
    with pytest.raises(ValidationError, match="rate_limit_per_minute"):
        Settings(rate_limit_per_minute=-1)
    with pytest.raises(ValidationError, match="max_body_bytes"):
        Settings(max_body_bytes=0)
    assert Settings().rate_limit_per_minute == 0  # off unless configured


def test_the_rate_limit_is_per_client_and_refills() -> None:
    now = [0.0]
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["client"][0])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    limiter = RateLimit(app, per_minute=2, clock=lambda: now[0])

    def ask(ip: str) -> tuple[int, dict[bytes, bytes]]:
        sent: list[MutableMapping[str, Any]] = []

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope = {"type": "http", "method": "POST", "path": "/api/ask", "client": (ip, 1)}
        asyncio.run(limiter(scope, receive, send))
        return sent[0]["status"], dict(sent[0]["headers"])

    assert [ask("10.0.0.1")[0] for _ in range(2)] == [200, 200]
    status, headers = ask("10.0.0.1")
    assert status == 429 and headers[b"retry-after"] == b"30"  # one question per 30 s
    assert ask("10.0.0.2")[0] == 200  # another client has its own bucket
    now[0] = 30.0
    assert ask("10.0.0.1")[0] == 200
    assert ask("10.0.0.1")[0] == 429


def test_ask_over_the_rate_limit_gets_429_with_retry_after(server: Server) -> None:
    settings = server.settings.replace(rate_limit_per_minute=3)
    limited = _start(settings, server.embedder)
    try:
        with httpx.Client(base_url=limited.url, timeout=30) as http:
            statuses = [
                http.post("/api/ask", json={"question": "alpha policy?"}).status_code
                for _ in range(3)
            ]
            assert statuses == [200, 200, 200]
            response = http.post("/api/ask", json={"question": "alpha policy?"})
            assert response.status_code == 429
            assert int(response.headers["Retry-After"]) >= 1
            assert "too many questions" in response.json()["detail"]
            assert http.post("/api/search", json={"query": "alpha"}).status_code == 429
    finally:
        limited.stop()


# --- queries during uploads: no 5xx, one version per answer --------------------------------


UPLOADED = ("gamma", "delta")


def _revisions(texts: list[str]) -> set[str]:
    """Revisions of the uploaded documents quoted in `texts` (alpha and beta never change)."""
    return {
        m for text in texts for m in re.findall(r"(?:gamma|delta) policy in revision (\d+)", text)
    }


def _upload_revision(http: httpx.Client, version: int) -> None:
    files = [
        ("files", (f"{name}.txt", _versioned_text(name, version).encode())) for name in UPLOADED
    ]
    response = http.post("/api/documents", files=files, headers=_admin())
    assert response.status_code == 201, response.text


def test_queries_during_uploads_never_fail_and_never_mix_versions(server: Server) -> None:
    stop = threading.Event()
    problems: list[str] = []
    answered = [0]

    def query(worker: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            while not stop.is_set():
                if worker % 2:
                    response = http.post(
                        "/api/ask",
                        json={"question": "What does the gamma policy cover for members?"},
                    )
                    texts = [c["excerpt"] for c in response.json().get("citations", [])]
                else:
                    response = http.post(
                        "/api/search", json={"query": "gamma delta policy revision", "top_k": 10}
                    )
                    texts = [r["text"] for r in response.json().get("results", [])]
                if response.status_code >= 500:
                    problems.append(f"{response.status_code}: {response.text}")
                elif len(_revisions(texts)) > 1:
                    problems.append(f"mixed revisions {_revisions(texts)} in one response")
                answered[0] += 1

    with httpx.Client(base_url=server.url, timeout=60) as http:
        _upload_revision(http, 1)
    with ThreadPoolExecutor(4) as pool:
        workers = [pool.submit(query, i) for i in range(4)]
        try:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                for version in range(2, 7):
                    _upload_revision(http, version)
        finally:
            stop.set()
        for worker in workers:
            worker.result()
    assert not problems, problems[:5]
    assert answered[0] > 10
    with httpx.Client(base_url=server.url, timeout=60) as http:  # leave the collection as it was
        for doc in http.get("/api/documents").json()["documents"]:
            if doc["title"].lower() in UPLOADED:
                assert http.delete(f"/api/documents/{doc['doc_id']}", headers=_admin()).is_success
