"""Hostile JSON bodies get a 422 that names the field and never echoes the input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/api/ask", '{"question": "\\ud800"}'),
        ("/api/search", '{"query": "a\\ud800b"}'),
        ("/api/ask", '{"question": "x", "history": [{"role": "user", "content": "\\udfff"}]}'),
    ],
)
def test_lone_surrogate_is_a_clear_422(client: TestClient, route: str, body: str) -> None:
    response = client.post(route, content=body, headers=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"
    assert "\\ud" not in response.text  # the input is not echoed


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(("route", "field"), [("/api/ask", "question"), ("/api/search", "query")])
def test_non_finite_top_k_is_422(client: TestClient, route: str, field: str, value: str) -> None:
    body = f'{{"{field}": "x", "top_k": {value}}}'
    response = client.post(route, content=body, headers=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "top_k"]


def test_422_does_not_echo_a_long_input(client: TestClient) -> None:
    question = "x" * 900_000
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code in (413, 422)
    assert len(response.content) < 2_000
    assert "input" not in response.json()["detail"][0]
