"""FastAPI dependencies: the settings, the live collection and the admin check, as
`Annotated` aliases."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status

from askdocs.index.backend import Backend
from askdocs.service.answerer import Answerer
from askdocs.service.jobs import JobQueue
from askdocs.service.state import CollectionHolder
from askdocs.settings import Settings


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_holder(request: Request) -> CollectionHolder:
    """The holder of the live collection."""
    holder: CollectionHolder = request.app.state.holder
    return holder


def get_jobs(request: Request) -> JobQueue:
    """The queue background uploads run on."""
    jobs: JobQueue = request.app.state.jobs
    return jobs


def get_collection(holder: Annotated[CollectionHolder, Depends(get_holder)]) -> Backend:
    """The live collection view for this request."""
    return holder.get()


def get_answerer(
    collection: Annotated[Backend, Depends(get_collection)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Answerer:
    """An answerer over this request's collection view."""
    return Answerer(collection, settings)


def admin_refusal(
    admin_key: str | None, authorization: str | None, x_admin_key: str | None
) -> HTTPException | None:
    """Why an admin request is refused, or None when it carries the admin key (sent as
    `Authorization: Bearer KEY` or `X-Admin-Key: KEY`). 401 for a missing or wrong key; 403
    when no key is configured (admin routes are then disabled)."""
    if not admin_key:
        return HTTPException(
            status.HTTP_403_FORBIDDEN,
            "admin routes are disabled: set ASKDOCS_ADMIN_KEY to enable uploads and deletion",
        )
    given = x_admin_key
    if given is None and authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        given = credentials.strip() if scheme.lower() == "bearer" else None
    if given is None or not secrets.compare_digest(
        given.encode("utf-8"), admin_key.encode("utf-8")
    ):
        return HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid admin key is required (Authorization: Bearer KEY or X-Admin-Key: KEY)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return None


def require_admin(
    settings: Annotated[Settings, Depends(get_settings)],
    authorization: Annotated[str | None, Header()] = None,
    x_admin_key: Annotated[str | None, Header()] = None,
) -> None:
    """Let the request through only with the admin key (see `admin_refusal`)."""
    refusal = admin_refusal(settings.admin_key, authorization, x_admin_key)
    if refusal is not None:
        raise refusal


SettingsDep = Annotated[Settings, Depends(get_settings)]
HolderDep = Annotated[CollectionHolder, Depends(get_holder)]
CollectionDep = Annotated[Backend, Depends(get_collection)]
AnswererDep = Annotated[Answerer, Depends(get_answerer)]
AdminDep = Annotated[None, Depends(require_admin)]
JobsDep = Annotated[JobQueue, Depends(get_jobs)]
