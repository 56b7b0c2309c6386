"""Translating askdocs errors into HTTP responses with clear messages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
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


def public(message: str, index: Path) -> str:
    """`message` as anonymous clients may read it: paths inside the index folder relative to
    it, the folder itself by its name; where the server keeps its files is not theirs."""
    for form in dict.fromkeys((str(index.resolve()), str(index))):  # as resolved, as given
        message = message.replace(form + "/", "").replace(form, index.name)
    return message


def install(app: FastAPI) -> None:
    """Register the handlers: AskdocsError -> {"detail": message}, bad requests -> 422."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AskdocsError)
        detail = public(str(exc), request.app.state.settings.index)
        return JSONResponse({"detail": detail}, status_code=status_for(exc))

    app.add_exception_handler(AskdocsError, handle)
    app.add_exception_handler(RequestValidationError, handle_invalid)


async def handle_invalid(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each bad field and why, never echoing the input.

    FastAPI's default reply repeats the input: a 900 KB question came back as 900 KB, and a
    lone surrogate or a NaN could not be encoded at all (a 500).
    """
    assert isinstance(exc, RequestValidationError)
    detail = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)
