"""Field limits and types (422, before any embedding) and the body size limit (413)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from askdocs.service.limits import BodySizeLimit
from tests.security.asgi import BODY_CHUNK, offer_body
from tests.service.api_limits.conftest import Server

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
