"""Path characters in document ids (404) and in uploaded file names (kept inside the
collection)."""

from __future__ import annotations

import http.client
from pathlib import Path

import httpx
import pytest

from tests.service.api_limits.conftest import Server, admin_headers
from tests.service.upload_jobs import upload_report

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
    assert _raw(server, "DELETE", f"/api/documents/{doc_id}", admin_headers()) == 404
    with httpx.Client(base_url=server.url) as http:
        assert len(http.get("/api/documents").json()["documents"]) >= 2  # nothing removed


def test_uploaded_names_with_path_characters_stay_inside_the_collection(
    client: httpx.Client, server: Server, tmp_path: Path
) -> None:
    names = ["../../x.txt", "/etc/evil.txt", "..%2f..%2fencoded.txt", "..\\..\\win.txt"]
    files = [
        ("files", (name, f"Upload {i} about gardens.".encode())) for i, name in enumerate(names)
    ]
    accepted = client.post("/api/documents", files=files, headers=admin_headers())
    report = upload_report(client, accepted, admin_headers())
    uploads = (server.settings.index / "uploads").resolve()
    for item in report["documents"]:
        saved = (uploads / item["filename"]).resolve()
        assert saved.parent == uploads and saved.is_file(), item
        assert "/" not in item["filename"] and not item["filename"].startswith(".")
    assert not (server.settings.index.parent / "x.txt").exists()
    for item in report["documents"]:  # leave the collection as it was
        assert client.delete(f"/api/documents/{item['doc_id']}", headers=admin_headers()).is_success
