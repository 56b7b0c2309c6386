"""The JSON API end to end through the app factory (TestClient runs the lifespan)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from askdocs.service.app import create_app
from askdocs.settings import Settings


@pytest.fixture(scope="module", params=["embedded", "qdrant"])
def client(request, embedder) -> Iterator[TestClient]:
    """The app over the sample corpus, on each backend."""
    name = "sample" if request.param == "embedded" else "qdrant"
    request.getfixturevalue(f"{name}_collection")  # ingested
    settings = request.getfixturevalue(f"{name}_settings")
    with TestClient(create_app(settings, embedder=embedder)) as test_client:
        yield test_client


def test_ask_returns_cited_answer_whose_excerpts_match_documents(client: TestClient) -> None:
    response = client.post(
        "/api/ask", json={"question": "How many programmes did Spotlight run in its first phase?"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["abstained"] is False
    assert "34 programmes" in body["answer"]
    assert set(body["citations"][0]) >= {
        "n",
        "doc_id",
        "title",
        "source",
        "excerpt",
        "start",
        "end",
        "score",
    }
    for citation in body["citations"]:
        doc = client.get(f"/api/documents/{citation['doc_id']}").json()
        assert doc["text"][citation["start"] : citation["end"]] == citation["excerpt"]


def test_ask_abstains_off_topic_and_takes_history(client: TestClient) -> None:
    off_topic = client.post("/api/ask", json={"question": "Who won the 2018 FIFA World Cup?"})
    assert off_topic.json()["abstained"] is True
    assert off_topic.json()["citations"] == []
    follow_up = client.post(
        "/api/ask",
        json={
            "question": "And in Mali?",
            "history": [
                {"role": "user", "content": "What quota for women exists in security institutions?"}
            ],
        },
    )
    assert follow_up.status_code == 200
    assert "Mali" in follow_up.json()["answer"]


def test_ask_reads_only_the_top_k_chunks_it_is_given(client: TestClient) -> None:
    question = "landmine victims support"
    top = client.post("/api/search", json={"query": question, "top_k": 1}).json()["results"][0]

    def inside_top(citation: dict[str, object]) -> bool:
        return bool(
            citation["doc_id"] == top["doc_id"]
            and top["start"] <= citation["start"]
            and citation["end"] <= top["end"]
        )

    default = client.post("/api/ask", json={"question": question}).json()
    assert not all(inside_top(c) for c in default["citations"])  # ASKDOCS_TOP_K=5 reads more
    narrow = client.post("/api/ask", json={"question": question, "top_k": 1}).json()
    assert narrow["citations"] and all(inside_top(c) for c in narrow["citations"])


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_search_each_mode_with_offsets(client: TestClient, mode: str) -> None:
    response = client.post(
        "/api/search",
        json={"query": "gender parity strategy for corrections officers", "top_k": 3, "mode": mode},
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3
    assert "30% female uniformed corrections officers" in " ".join(r["text"] for r in results)
    for result in results:
        doc = client.get(f"/api/documents/{result['doc_id']}").json()
        assert doc["text"][result["start"] : result["end"]] == result["text"]


def test_documents_listing_detail_and_health(client: TestClient) -> None:
    listing = client.get("/api/documents").json()["documents"]
    assert sorted(d["title"] for d in listing) == [
        "DPKO work on gender-based violence",
        "Spotlight Initiative and DPKO profile",
    ]
    assert client.get("/api/documents/does-not-exist").status_code == 404
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["documents"] == 2 and health["chunks"] > 20
    assert "/api/ask" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "   \n\t"}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": "ok", "top_k": 0}, "top_k"),
        ({"question": "ok", "top_k": "many"}, "top_k"),
        ({"question": "ok", "history": [{"role": "bot", "content": "x"}]}, "role"),
    ],
)
def test_bad_ask_input_is_a_422_naming_the_field(client: TestClient, body, field: str) -> None:
    response = client.post("/api/ask", json=body)
    assert response.status_code == 422
    assert field in str(response.json()["detail"])


def test_service_without_an_index_reports_it(tmp_path, embedder) -> None:
    settings = Settings(index=tmp_path / "empty")
    with TestClient(create_app(settings, embedder=embedder)) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "no-index"
        response = client.post("/api/ask", json={"question": "anything"})
        assert response.status_code == 503
        assert "askdocs ingest" in response.json()["detail"]


def test_qdrant_service_without_a_collection_reports_it(tmp_path, embedder) -> None:
    settings = Settings(backend="qdrant", qdrant_path=tmp_path / "qdrant")
    with TestClient(create_app(settings, embedder=embedder)) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "no-index"
        assert client.post("/api/ask", json={"question": "anything"}).status_code == 503
