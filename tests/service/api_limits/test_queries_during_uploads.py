"""Queries answered during uploads: no 5xx, and each answer from one version only."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.service.api_limits.conftest import Server, admin_headers, versioned_text
from tests.service.upload_jobs import upload_report

# --- queries during uploads: no 5xx, one version per answer --------------------------------


UPLOADED = ("gamma", "delta")


def _revisions(texts: list[str]) -> set[str]:
    """Revisions of the uploaded documents quoted in `texts` (alpha and beta never change)."""
    return {
        m for text in texts for m in re.findall(r"(?:gamma|delta) policy in revision (\d+)", text)
    }


def _upload_revision(http: httpx.Client, version: int) -> None:
    files = [
        ("files", (f"{name}.txt", versioned_text(name, version).encode())) for name in UPLOADED
    ]
    accepted = http.post("/api/documents", files=files, headers=admin_headers())
    upload_report(http, accepted, admin_headers())


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
                assert http.delete(
                    f"/api/documents/{doc['doc_id']}", headers=admin_headers()
                ).is_success
