"""CORS for the embeddable widget: only the origins in the settings, never "*", never admin.

A small ASGI middleware rather than Starlette's CORSMiddleware, because admin routes (uploads
and deletion) must never answer a cross-origin request, whatever origins are allowed:

- public routes (/api/ask, /api/search, GET /api/documents..., /healthz) answer an allowed
  origin with `Access-Control-Allow-Origin: <that origin>`; any other origin gets no CORS
  header, so the browser refuses to hand the response to the page;
- a preflight (OPTIONS with Access-Control-Request-Method) is answered here: 204 with the
  CORS headers for an allowed origin and a public route, 403 without them otherwise;
- no credentials are allowed: the widget sends no cookies.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CORS_PREFIXES = ("/api/", "/healthz")
ADMIN_PREFIX = "/api/documents"
PUBLIC_METHODS = ("GET", "HEAD", "POST")
ALLOWED_HEADERS = "Content-Type"
MAX_AGE_SECONDS = "600"


def normalise_origin(origin: str) -> str:
    """An origin as browsers send it: lower-case scheme and host, no trailing slash."""
    return origin.strip().rstrip("/").lower()


def is_admin(path: str, method: str) -> bool:
    """Whether a request (or the request a preflight announces) targets an admin route."""
    on_documents = path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")
    return on_documents and method.upper() not in ("GET", "HEAD")


def wants_cors(path: str, method: str) -> bool:
    """Whether CORS applies: a public API route and a method the widget uses."""
    return (
        path.startswith(CORS_PREFIXES)
        and method.upper() in PUBLIC_METHODS
        and not is_admin(path, method)
    )


class CORSMiddleware:
    """Adds CORS headers for the allowed origins on public routes only."""

    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.allowed = frozenset(normalise_origin(o) for o in allowed_origins if o.strip())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        path: str = scope["path"]
        method: str = scope["method"]
        requested = headers.get("access-control-request-method")
        if method == "OPTIONS" and origin is not None and requested is not None:
            await self._preflight(origin, path, requested)(scope, receive, send)
            return
        if origin is None or not path.startswith(CORS_PREFIXES):
            await self.app(scope, receive, send)
            return
        allow = wants_cors(path, method) and normalise_origin(origin) in self.allowed

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers.add_vary_header("Origin")
                if allow:
                    response_headers["Access-Control-Allow-Origin"] = origin
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _preflight(self, origin: str, path: str, requested: str) -> Response:
        if not (wants_cors(path, requested) and normalise_origin(origin) in self.allowed):
            return PlainTextResponse(
                "Cross-origin request refused", status_code=403, headers={"Vary": "Origin"}
            )
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ", ".join(PUBLIC_METHODS),
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": MAX_AGE_SECONDS,
                "Vary": "Origin",
            },
        )
