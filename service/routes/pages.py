"""The browser side: the chat page (GET /), the document view, /widget.js and static assets.

Plain files from `service/static/`, no build step. Pages get a strict Content-Security-Policy
(scripts and styles only from this origin), so even a rendering mistake could not run inline
script; the widget, which runs on other sites, renders server data as text on its own.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"

# The assets a page may load, with their content types; nothing else is served.
ASSETS = {
    "chat.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
    "document.js": "text/javascript; charset=utf-8",
}
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
ASSET_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=300"}

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get("/")
def chat_page() -> FileResponse:
    """The chat page."""
    return _page("index.html")


@router.get("/documents/{doc_id}")
def document_page(doc_id: str) -> FileResponse:
    """A document's text; `#start-end` highlights an excerpt and scrolls to it."""
    return _page("document.html")


@router.get("/widget.js")
def widget() -> FileResponse:
    """The embeddable chat widget (one self-contained script)."""
    return FileResponse(
        STATIC / "widget.js", media_type="text/javascript; charset=utf-8", headers=ASSET_HEADERS
    )


@router.get("/static/{name}")
def asset(name: str) -> FileResponse:
    """A stylesheet or script of the pages."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no asset {name!r}")
    return FileResponse(STATIC / name, media_type=media_type, headers=ASSET_HEADERS)
