"""The app factory: `create_app(settings)` wires routers, state and error handling."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from askdocs import __version__
from askdocs.errors import IndexNotFoundError
from askdocs.index.embedder import Embedder
from askdocs.index.layout import choose_version
from askdocs.index.writer import tidy
from askdocs.service import errors
from askdocs.service.cors import CORSMiddleware
from askdocs.service.headers import SecurityHeaders, StripTrailingSlash
from askdocs.service.jobs import JobQueue
from askdocs.service.limits import BodySizeLimit, RateLimit
from askdocs.service.routes import admin, ask, documents, health, jobs, pages, search
from askdocs.service.state import CollectionHolder
from askdocs.settings import Settings

log = logging.getLogger("askdocs.service")


def check_index(settings: Settings) -> str | None:
    """What `askdocs serve` checks before starting uvicorn: CorruptIndexError (one clear
    message) when no version of the index is intact, else the fallback warning or None.

    The lifespan raises the same error, but uvicorn prints it as a traceback. Reads every
    index file once (the lifespan then reads them again); no model is loaded.
    """
    try:
        return choose_version(settings.index, deep=True, fallback=True)[2]
    except IndexNotFoundError:
        return None  # served as "no-index" until an upload or ingest creates one


def create_app(settings: Settings, embedder: Embedder | None = None) -> FastAPI:
    """Build the askdocs app. The model and index load in the lifespan, not at import."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        model = embedder or Embedder.from_settings(settings, serving=True)
        holder = CollectionHolder(settings, model)
        model.encode_query("warm-up")  # load the model before the first request
        # What a crash (kill -9, power loss) left: unfinished versions, interrupted uploads.
        if not tidy(settings.index):
            log.warning(
                "another process is writing to %s; it cleans up after itself", settings.index
            )
        try:
            holder.get()  # a corrupt live version falls back (logged); none intact raises
        except IndexNotFoundError as exc:
            log.warning("%s", exc)
        app.state.holder = holder
        app.state.jobs = JobQueue()
        yield
        app.state.jobs.close()  # the running upload finishes; queued ones are undone

    app = FastAPI(
        title="askdocs",
        version=__version__,
        summary="Questions answered from your documents, with cited excerpts.",
        lifespan=lifespan,
        # The docs pages load their scripts from a CDN (blank offline); /openapi.json stays.
        docs_url=None,
        redoc_url=None,
        # Slash redirects were absolute URLs built from the client's Host header; the
        # StripTrailingSlash middleware routes such paths instead.
        redirect_slashes=False,
    )
    app.state.settings = settings
    errors.install(app)
    for router in (
        ask.router,
        search.router,
        documents.router,
        admin.router,
        jobs.router,
        health.router,
        pages.router,
    ):
        app.include_router(router)
    # The last added runs first: CORS wraps the limits, so a widget can read a 413 or 429.
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        admin_key=settings.admin_key,
        body_timeout_s=settings.body_timeout_s,
    )
    app.add_middleware(
        RateLimit,
        per_minute=settings.effective_rate_limit(),
        trusted_proxies=settings.trusted_proxies,
    )
    app.add_middleware(CORSMiddleware, allowed_origins=settings.allowed_origins)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(StripTrailingSlash)
    return app
