"""Admin routes: uploading and deleting documents with the admin key, on a private copy of
the sample index (the real model, a real FAISS index), through the app and over real HTTP."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.testclient import TestClient

from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.layout import current_version
from askdocs.service.app import create_app
from askdocs.service.routes.admin import safe_name
from askdocs.settings import Settings
from tests.ingest.text_fixtures import UNREADABLE
from tests.service.upload_jobs import finished_job, upload_report

if TYPE_CHECKING:
    from tests.service.conftest import LiveServer

KEY = "test-admin-key-5f1c"
BEARER = {"Authorization": f"Bearer {KEY}"}
ZEBRA = (
    "# Zebra project\n\n"
    "The Zebra project audit ledger is stored in vault seven of the Nairobi regional office. "
    "Only the two appointed auditors may open the vault.\n"
)
ZEBRA_QUESTION = "Where is the Zebra project audit ledger stored?"


@pytest.fixture
def settings(tmp_path: Path, sample_settings: Settings, sample_collection: Collection) -> Settings:
    """Settings over a private, writable copy of the sample index, with an admin key."""
    index = Path(shutil.copytree(sample_settings.index, tmp_path / "index"))
    return Settings(index=index, admin_key=KEY)


@pytest.fixture
def client(settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedder=embedder)) as test_client:
        yield test_client


def _upload(
    client: TestClient, *files: tuple[str, bytes], headers: dict[str, str] | None = None
) -> Any:  # TestClient's Response (httpx or httpx2)
    return client.post(
        "/api/documents",
        files=[("files", (name, data)) for name, data in files],
        headers=BEARER if headers is None else headers,
    )


def _report(client: TestClient, *files: tuple[str, bytes]) -> dict[str, Any]:
    """Upload, wait for the job, return its report."""
    return upload_report(client, _upload(client, *files), BEARER)


def test_admin_routes_need_the_key(client: TestClient, settings: Settings) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"X-Admin-Key": "wrong"},
        {"Authorization": f"Basic {KEY}"},
    ):
        upload = _upload(client, ("a.txt", b"Some words to ingest here."), headers=headers)
        assert upload.status_code == 401, headers
        assert upload.headers["www-authenticate"] == "Bearer"
        assert client.delete("/api/documents/abc", headers=headers).status_code == 401
        assert client.get("/api/jobs/abc", headers=headers).status_code == 401
    assert client.get("/api/documents").status_code == 200  # reading stays public
    assert not (settings.index / "uploads").exists()


def test_admin_routes_are_disabled_without_a_configured_key(
    sample_settings: Settings, sample_collection: Collection, embedder: Embedder
) -> None:
    settings = Settings(index=sample_settings.index)  # no admin key
    with TestClient(create_app(settings, embedder=embedder)) as client:
        upload = _upload(client, ("a.txt", b"Some words to ingest here."))
        assert upload.status_code == 403
        assert "ASKDOCS_ADMIN_KEY" in upload.json()["detail"]
        assert client.delete("/api/documents/abc", headers=BEARER).status_code == 403


def test_upload_is_answerable_then_delete_removes_it(
    client: TestClient, settings: Settings
) -> None:
    before = len(client.get("/api/documents").json()["documents"])
    response = _upload(client, ("zebra-project.md", ZEBRA.encode()))
    assert response.json()["status"] == "queued"
    body = upload_report(client, response, BEARER)
    [uploaded] = body["documents"]
    assert [f["doc_id"] for f in response.json()["files"]] == [uploaded["doc_id"]]
    assert uploaded["status"] == "added" and uploaded["title"] == "Zebra project"
    assert body["total_documents"] == before + 1
    assert (settings.index / "uploads" / "zebra-project.md").read_text() == ZEBRA

    answer = client.post("/api/ask", json={"question": ZEBRA_QUESTION}).json()
    assert answer["abstained"] is False
    cited = [c for c in answer["citations"] if c["doc_id"] == uploaded["doc_id"]]
    assert cited and "vault seven of the Nairobi regional office" in cited[0]["excerpt"]
    doc = client.get(f"/api/documents/{uploaded['doc_id']}").json()
    assert doc["text"][cited[0]["start"] : cited[0]["end"]] == cited[0]["excerpt"]

    deleted = client.delete(f"/api/documents/{uploaded['doc_id']}", headers={"X-Admin-Key": KEY})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["total_documents"] == before
    assert client.get(f"/api/documents/{uploaded['doc_id']}").status_code == 404
    assert not (settings.index / "uploads" / "zebra-project.md").exists()
    again = client.post("/api/ask", json={"question": ZEBRA_QUESTION}).json()
    assert all(c["doc_id"] != uploaded["doc_id"] for c in again["citations"])
    assert client.delete(f"/api/documents/{uploaded['doc_id']}", headers=BEARER).status_code == 404


def test_delete_unknown_document_is_404(client: TestClient) -> None:
    response = client.delete("/api/documents/0000000000000000", headers=BEARER)
    assert response.status_code == 404
    assert "0000000000000000" in response.json()["detail"]


def test_upload_several_files_and_replace_by_name(client: TestClient, settings: Settings) -> None:
    first = _report(
        client,
        ("a.txt", b"Alpha notes say the alpha key is blue."),
        ("b.md", b"# Beta\n\nBeta notes say the beta key is green."),
    )
    assert [d["status"] for d in first["documents"]] == ["added", "added"]
    again = _report(
        client,
        ("a.txt", b"Alpha notes say the alpha key is red now."),
        ("b.md", b"# Beta\n\nBeta notes say the beta key is green."),
    )
    assert [d["status"] for d in again["documents"]] == ["updated", "unchanged"]
    assert again["total_documents"] == first["total_documents"]
    assert sorted(p.name for p in (settings.index / "uploads").iterdir()) == ["a.txt", "b.md"]


def test_upload_names_are_sanitised_and_stay_in_the_uploads_folder(
    client: TestClient, settings: Settings
) -> None:
    report = _report(client, ("../../../tmp/evil name?.txt", b"Words about the evil plan."))
    assert report["documents"][0]["filename"] == "evil name.txt"
    assert [p.name for p in (settings.index / "uploads").iterdir()] == ["evil name.txt"]
    assert not (settings.index.parent / "tmp").exists()


@pytest.mark.parametrize(
    ("name", "data", "reason"), [("setup.exe", b"MZ\x90\x00", "unsupported file type"), *UNREADABLE]
)
def test_unusable_upload_is_refused_naming_the_file(
    client: TestClient, settings: Settings, name: str, data: bytes, reason: str
) -> None:
    before = client.get("/api/documents").json()["documents"]
    response = _upload(client, ("fine.txt", b"A perfectly fine document text."), (name, data))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert name in detail and reason in detail
    assert client.get("/api/documents").json()["documents"] == before  # nothing stored
    assert list((settings.index / "uploads").glob("*")) == []


def test_safe_name() -> None:
    assert safe_name("report.md") == "report.md"
    assert safe_name("C:\\Users\\me\\Annual report.txt") == "Annual report.txt"
    assert safe_name("../../.bashrc.md") == "bashrc.md"
    assert safe_name("a<b>|c*.md") == "a_b_c.md"
    assert safe_name("") == "upload"
    assert safe_name("..") == "upload"
    assert safe_name("Évaluation café.txt") == "Évaluation café.txt"
    assert len(safe_name("x" * 500 + ".txt")) == 104


def test_service_keeps_answering_while_an_upload_is_ingested(
    serve: Callable[[Settings], LiveServer], settings: Settings
) -> None:
    live = serve(settings)
    # Big enough that embedding it takes a while on a laptop CPU.
    paragraphs = [
        f"Paragraph {i} of the long handbook describes procedure number {i} for the regional "
        f"office, including who signs form {i}, where copies are filed and how long they are kept."
        for i in range(400)
    ]
    big = "\n\n".join(paragraphs).encode()
    result: dict[str, httpx.Response] = {}

    def upload() -> None:
        result["upload"] = httpx.post(
            f"{live.url}/api/documents",
            files=[("files", ("handbook.txt", big))],
            headers=BEARER,
            timeout=300,
        )

    def ingesting() -> bool:  # until the upload's job has finished
        if thread.is_alive() or "upload" not in result:
            return True
        job = httpx.get(live.url + result["upload"].headers["location"], headers=BEARER)
        return job.json()["status"] in ("queued", "running")

    thread = threading.Thread(target=upload)
    thread.start()
    answered_during_upload = 0
    with httpx.Client(base_url=live.url, timeout=60) as http:
        while ingesting():
            response = http.post("/api/ask", json={"question": "What is the Spotlight Initiative?"})
            assert response.status_code == 200
            if ingesting():
                answered_during_upload += 1
            time.sleep(0.05)
    thread.join()
    with httpx.Client(base_url=live.url, timeout=60) as http:
        upload_report(http, result["upload"], BEARER)
    assert answered_during_upload >= 1
    titles = [d["title"] for d in httpx.get(f"{live.url}/api/documents").json()["documents"]]
    assert "Handbook" in titles


def test_uploads_queue_in_order_and_each_job_reports(
    client: TestClient, settings: Settings
) -> None:
    accepted = [
        _upload(client, ("notes.txt", f"Revision {n} of the notes: the key is {n}.".encode()))
        for n in range(3)
    ]
    assert len({a.json()["job_id"] for a in accepted}) == 3
    reports = [upload_report(client, a, BEARER) for a in accepted]
    assert [r["documents"][0]["status"] for r in reports] == ["added", "updated", "updated"]
    assert (settings.index / "uploads" / "notes.txt").read_text() == (
        "Revision 2 of the notes: the key is 2."
    )
    assert not list((settings.index / "uploads").glob(".incoming-*"))


def test_a_failed_job_says_why_and_keeps_nothing(client: TestClient, settings: Settings) -> None:
    live = current_version(settings.index)
    assert live is not None
    with (live / "vectors.faiss").open("r+b") as handle:  # damage the version it builds on
        handle.seek(100)
        handle.write(b"\xff\xfe\xfd")
    job = finished_job(client, _upload(client, ("late.txt", b"A late document.")), BEARER)
    assert job["status"] == "failed" and "report" not in job
    assert "corrupt" in job["error"] and "will not build on it" in job["error"]
    assert list((settings.index / "uploads").iterdir()) == []


def test_an_unknown_job_is_404(client: TestClient) -> None:
    response = client.get("/api/jobs/0123456789abcdef", headers=BEARER)
    assert response.status_code == 404
    assert "forgotten when the server restarts" in response.json()["detail"]
