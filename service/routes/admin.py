"""POST /api/documents (upload) and DELETE /api/documents/{doc_id}; both need the admin key.

An upload is checked and saved during the request (a file that cannot be used fails the whole
upload with 422, or 413 for its size, before anything is stored), then ingested in the
background: the answer is 202 with a job id to poll at GET /api/jobs/{job_id}
(service/routes/jobs.py, service/jobs.py). Ingests write a new index version beside the live
one, so the service keeps answering from the live version meanwhile; a delete is quick and
runs in the request, after the jobs' writes or between them. Files go through a pending folder
(index/uploads.py) so that a document is live exactly when its file is kept, even when the
server is killed half-way.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

from fastapi import APIRouter, File, HTTPException, Response, UploadFile, status
from pydantic import BaseModel

from askdocs.errors import IndexNotFoundError, NotFoundError
from askdocs.index.ingest_report import IngestReport
from askdocs.index.uploads import PendingChange
from askdocs.index.uploads import uploads_dir as index_uploads_dir
from askdocs.index.writer import ingest_documents
from askdocs.ingest.documents import Skipped, document_id, load_documents, source_of
from askdocs.ingest.loaders import LOADERS, supported
from askdocs.ingest.models import Document
from askdocs.service.deps import AdminDep, HolderDep, JobsDep, SettingsDep
from askdocs.service.state import CollectionHolder
from askdocs.settings import Settings

router = APIRouter(prefix="/api/documents", tags=["admin"])

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_STEM_CHARS = 100
_UNSAFE = re.compile(r"[^\w.\- ]+")
_RUNS = re.compile(r"_{2,}")
_COPY_BLOCK = 1024 * 1024
# Ingest plus settling the files (moved in, or removed) as one step, so files and index agree.
_WRITES = threading.Lock()


class UploadedDocument(BaseModel):
    """One uploaded file and what the ingest did with it."""

    doc_id: str
    title: str
    filename: str
    status: Literal["added", "updated", "unchanged"]


class UploadResponse(BaseModel):
    """The report of an upload's job (GET /api/jobs/{job_id} once it is done)."""

    documents: list[UploadedDocument]
    version: str | None
    total_documents: int
    total_chunks: int


class QueuedFile(BaseModel):
    """An uploaded file accepted for ingest: the id its document will have."""

    doc_id: str
    filename: str


class UploadAccepted(BaseModel):
    """POST /api/documents: the files are saved and their ingest queued."""

    job_id: str
    status: Literal["queued"]
    files: list[QueuedFile]


class DeleteResponse(BaseModel):
    """DELETE /api/documents/{doc_id}."""

    deleted: str
    title: str
    version: str | None
    total_documents: int
    total_chunks: int


def uploads_dir(settings: Settings) -> Path:
    """The folder uploaded files are kept in, inside the index directory."""
    return index_uploads_dir(settings.index)


def safe_name(filename: str | None) -> str:
    """A file name safe to create in the uploads folder: the basename only, with anything but
    letters, digits, '.', '-', '_' and spaces replaced, no leading dot, a bounded length."""
    name = unicodedata.normalize("NFKC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _RUNS.sub("_", _UNSAFE.sub("_", name)).strip(" ._")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem.strip(" ._")[:MAX_STEM_CHARS] or "upload"
    return f"{stem}.{suffix}" if suffix else stem


@router.post(
    "",
    response_model=UploadAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses={202: {"headers": {"Location": {"description": "GET it to follow the job"}}}},
)
def upload_documents(
    files: Annotated[
        list[UploadFile], File(description="One or more documents (any format askdocs ingests).")
    ],
    _admin: AdminDep,
    holder: HolderDep,
    settings: SettingsDep,
    jobs: JobsDep,
    response: Response,
) -> UploadAccepted:
    """Add or replace documents from uploaded files (a file of the same name is replaced).

    The files are checked and saved now (a file that can't be used fails the whole upload);
    the ingest runs in the background: poll `GET /api/jobs/{job_id}` (the Location header)
    for its report."""
    names = [safe_name(f.filename) for f in files]
    for upload, name in zip(files, names, strict=True):
        if not supported(Path(name)):
            formats = ", ".join(sorted(LOADERS))
            _refuse(upload, f"unsupported file type; askdocs reads {formats}")
        if names.count(name) > 1:
            _refuse(upload, f"two uploaded files would both be saved as {name!r}")
    folder = uploads_dir(settings)
    # The pending folder settles the files by what the index then holds, whatever happens:
    # here on a refused file, else when the job has run (or is cancelled at shutdown).
    pending = PendingChange(settings.index)
    docs: list[Document] = []

    def ingest() -> dict[str, Any]:
        with pending, _WRITES:
            report = ingest_documents(settings.index, docs, holder.embedder, settings)
            pending.settle()
        return _uploaded(docs, names, report).model_dump()

    try:
        for upload, name in zip(files, names, strict=True):
            staged = pending.path(name)
            _save(upload, staged)
            docs.append(_load(upload, staged, folder / name))
        pending.record({name: doc.content_hash for name, doc in zip(names, docs, strict=True)})
        job = jobs.submit(ingest, cancel=pending.close)
    except BaseException:
        pending.close()
        raise
    response.headers["Location"] = f"/api/jobs/{job.id}"
    return UploadAccepted(
        job_id=job.id,
        status="queued",
        files=[
            QueuedFile(doc_id=doc.id, filename=name) for doc, name in zip(docs, names, strict=True)
        ],
    )


def _uploaded(docs: list[Document], names: list[str], report: IngestReport) -> UploadResponse:
    """What an upload's job reports once the ingest is done."""
    return UploadResponse(
        documents=[
            UploadedDocument(
                doc_id=doc.id,
                title=doc.title,
                filename=name,
                status=_status(doc.source, report),
            )
            for doc, name in zip(docs, names, strict=True)
        ],
        version=report.version,
        total_documents=report.documents,
        total_chunks=report.chunks,
    )


@router.delete("/{doc_id}", response_model=DeleteResponse)
def delete_document(
    doc_id: str, _admin: AdminDep, holder: HolderDep, settings: SettingsDep
) -> DeleteResponse:
    """Remove a document from the index (and its file, when it was uploaded)."""
    try:
        doc = holder.get().get_document(doc_id)
    except IndexNotFoundError as exc:
        raise NotFoundError(f"no document with id {doc_id!r}") from exc
    stored = Path(doc.source)
    with _WRITES:
        if stored.parent == uploads_dir(settings).resolve():
            with PendingChange(settings.index) as pending:
                pending.record({stored.name: None})  # the file leaves with the document
                report = _remove(doc_id, holder, settings)
                pending.settle()
        else:
            report = _remove(doc_id, holder, settings)
    if not report.removed:  # removed by a concurrent request meanwhile
        raise NotFoundError(f"no document with id {doc_id!r}")
    return DeleteResponse(
        deleted=doc_id,
        title=doc.title,
        version=report.version,
        total_documents=report.documents,
        total_chunks=report.chunks,
    )


def _remove(doc_id: str, holder: CollectionHolder, settings: Settings) -> IngestReport:
    return ingest_documents(settings.index, [], holder.embedder, settings, remove_ids=[doc_id])


def _status(source: str, report: IngestReport) -> Literal["added", "updated", "unchanged"]:
    if source in report.added:
        return "added"
    return "updated" if source in report.updated else "unchanged"


def _refuse(upload: UploadFile, reason: str) -> NoReturn:
    name = upload.filename or "(unnamed file)"
    raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name}: {reason}")


def _save(upload: UploadFile, target: Path) -> None:
    """Copy an upload to `target`, refusing files above the size limit."""
    size = 0
    with target.open("wb") as out:
        while block := upload.file.read(_COPY_BLOCK):
            size += len(block)
            if size > MAX_UPLOAD_BYTES:
                raise HTTPException(
                    status.HTTP_413_CONTENT_TOO_LARGE,
                    f"{upload.filename}: larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
                )
            out.write(block)


def _load(upload: UploadFile, staged: Path, final: Path) -> Document:
    """The cleaned document of a staged file, identified by the path it will be kept at."""
    results = list(load_documents([staged]))
    for result in results:
        if isinstance(result, Skipped):
            _refuse(upload, result.reason)
    if len(results) != 1 or not isinstance(results[0], Document):
        _refuse(upload, "expected one document in the file")
    source = source_of(final)
    return replace(results[0], id=document_id(source), source=source)
