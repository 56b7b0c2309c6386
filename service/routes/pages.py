"""The browser side: the chat page (GET /), the document view, /widget.js and static assets.

Assembled from `service/static/` with no build step (see `askdocs.service.assets`). Pages get
a strict Content-Security-Policy (scripts and styles only from this origin), so even a
rendering mistake could not run inline script; the widget, which runs on other sites, renders
server data as text on its own.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import FileResponse

from askdocs.service import assets

# Plain files a page may load, with their content types; nothing else is served as is.
FILES = {
    "chat.css": "text/css; charset=utf-8",
    "document.js": assets.JS,
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


def _send(asset: assets.Asset, request: Request, headers: dict[str, str]) -> Response:
    """The asset, or 304 when the client's copy (If-None-Match) is current."""
    headers = {**headers, "ETag": asset.etag}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.get("/")
def chat_page(request: Request) -> Response:
    """The chat page."""
    return _send(assets.page("index.html"), request, PAGE_HEADERS)


@router.get("/documents/{doc_id}")
def document_page(doc_id: str, request: Request) -> Response:
    """A document's text; `#start-end` highlights an excerpt and scrolls to it."""
    return _send(assets.page("document.html"), request, PAGE_HEADERS)


@router.get("/widget.js")
def widget(request: Request) -> Response:
    """The embeddable chat widget (one self-contained script)."""
    return _send(assets.script("widget.js"), request, ASSET_HEADERS)


@router.get("/static/{name}")
def asset(name: str, request: Request) -> Response:
    """A stylesheet or script of the pages."""
    if name == "chat.js":  # the chat page's script: assembled like /widget.js
        return _send(assets.script(name), request, ASSET_HEADERS)
    media_type = FILES.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no asset {name!r}")
    return FileResponse(assets.STATIC / name, media_type=media_type, headers=ASSET_HEADERS)
