"""Translating askdocs errors into HTTP responses with clear messages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from askdocs.errors import (
    AskdocsError,
    CorruptIndexError,
    IncompatibleIndexError,
    IndexLockedError,
    IndexNotFoundError,
    IngestError,
    ModelError,
    NotFoundError,
)

STATUS: list[tuple[type[AskdocsError], int]] = [
    (NotFoundError, 404),
    (IngestError, 422),
    (IndexLockedError, 409),
    (IndexNotFoundError, 503),
    (IncompatibleIndexError, 503),
    (CorruptIndexError, 503),
    (ModelError, 503),
]


def status_for(error: AskdocsError) -> int:
    """The HTTP status for an askdocs error (500 for one not listed)."""
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 500


def install(app: FastAPI) -> None:
    """Register the handler that turns AskdocsError into a JSON {"detail": message}."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AskdocsError)
        return JSONResponse({"detail": str(exc)}, status_code=status_for(exc))

    app.add_exception_handler(AskdocsError, handle)
