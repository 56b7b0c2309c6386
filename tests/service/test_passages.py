"""The passage route (a cited excerpt with a little context) and what clients see of sources."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from askdocs.service.app import create_app
from askdocs.service.passages import around

QUESTION = "How many programmes did Spotlight run in its first phase?"


@pytest.fixture(scope="module")
def client(sample_settings, sample_collection, embedder) -> Iterator[TestClient]:
    with TestClient(create_app(sample_settings, embedder=embedder)) as test_client:
        yield test_client


def test_around_stays_in_the_paragraph_and_cuts_at_spaces() -> None:
    text = "Title line\nalpha beta gamma delta epsilon zeta eta theta\nnext paragraph"
    start = text.index("delta")
    end = start + len("delta")
    assert around(text, start, end, 1000) == ("alpha beta gamma ", " epsilon zeta eta theta")
    before, after = around(text, start, end, 8)
    assert before == "\u2026gamma " and after == "\u2026"
    assert around(text, 0, 5, 3) == ("", "\u2026")


def test_passage_route_returns_the_excerpt_with_context(client: TestClient) -> None:
    citation = client.post("/api/ask", json={"question": QUESTION}).json()["citations"][0]
    doc_id, start, end = citation["doc_id"], citation["start"], citation["end"]
    url = f"/api/documents/{doc_id}/passage"
    passage = client.get(url, params={"start": start, "end": end, "context": 120}).json()
    assert passage["text"] == citation["excerpt"]
    text = client.get(f"/api/documents/{doc_id}").json()["text"]
    before = passage["before"].removeprefix("\u2026")
    after = passage["after"].removesuffix("\u2026")
    assert text[start - len(before) : end + len(after)] == before + passage["text"] + after
    assert len(before) <= 120 and len(after) <= 120 and before + after
    assert "\n" not in before + after

    for params in (
        {"start": end, "end": start},
        {"start": 0, "end": len(text) + 1},
        {"start": 0, "end": 20_000},
        {"start": -1, "end": 5},
        {"start": 0, "end": 5, "context": 5000},
    ):
        assert client.get(url, params=params).status_code == 422, params
    missing = client.get("/api/documents/nope/passage", params={"start": 0, "end": 1})
    assert missing.status_code == 404


def test_clients_see_file_names_not_server_paths(client: TestClient, sample_collection) -> None:
    stored = {d.id: d.source for d in sample_collection.list_documents()}
    assert all(Path(source).is_absolute() for source in stored.values())
    names = {doc_id: Path(source).name for doc_id, source in stored.items()}

    cited = client.post("/api/ask", json={"question": QUESTION}).json()["citations"]
    found = client.post("/api/search", json={"query": "mine action"}).json()["results"]
    listed = client.get("/api/documents").json()["documents"]
    one = client.get(f"/api/documents/{cited[0]['doc_id']}").json()
    passage = client.get(
        f"/api/documents/{cited[0]['doc_id']}/passage",
        params={"start": cited[0]["start"], "end": cited[0]["end"]},
    ).json()
    shown = [*cited, *found, *listed, one, passage]
    assert shown and all(item["source"] == names[item["doc_id"]] for item in shown)
