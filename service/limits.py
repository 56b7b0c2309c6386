"""Request limits as ASGI middleware: body size (413) and a per-client rate limit (429).

- `BodySizeLimit` refuses a body over the limit before reading it when Content-Length says
  so, and otherwise counts the bytes as they stream in and stops at the limit, so memory stays
  flat whatever a client sends. Uploads (POST /api/documents) are authenticated here, before
  any of the body is read: a missing or wrong admin key gets its 401/403 at once, a valid one
  `UPLOAD_BODY_BYTES`; the upload route itself refuses each file over its own limit.
- `RateLimit` gives each client (by IP address) a token bucket for the public API (/api/ask,
  /api/search, /api/documents...): up to `per_minute` requests at once, refilled at
  `per_minute` a minute. Over it: 429 with Retry-After (whole seconds until the next one).
  The client is the TCP peer; X-Forwarded-For counts only when the peer is a trusted proxy
  (a client could otherwise name any address it likes and get a fresh bucket each time).
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import time
from collections.abc import Callable, Sequence

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from askdocs.service.deps import admin_refusal
from askdocs.service.routes.admin import MAX_UPLOAD_BYTES

UPLOAD_PATH = "/api/documents"
# An upload of several files, each up to the per-file limit, plus multipart framing.
UPLOAD_BODY_BYTES = 8 * MAX_UPLOAD_BYTES
RATE_LIMITED_PATHS = frozenset({"/api/ask", "/api/ask/stream", "/api/search"})
RATE_LIMITED_PREFIX = "/api/documents"
# Buckets of clients idle long enough to be full again are dropped past this many clients.
MAX_TRACKED_CLIENTS = 10_000


def _too_large(limit: int) -> str:
    return f"request body too large: the limit is {limit} bytes"


class BodySizeLimit:
    """413 for request bodies over `max_bytes`, checked before and while reading."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_bytes: int = UPLOAD_BODY_BYTES,
        admin_key: str | None = None,
        body_timeout_s: float = 30.0,
    ) -> None:
        self.app = app
        self.body_timeout_s = body_timeout_s
        self.max_bytes = max_bytes
        self.upload_bytes = max(upload_bytes, max_bytes)
        self.admin_key = admin_key

    def limit_for(self, scope: Scope, headers: Headers) -> int:
        """The body limit of one request: larger for an upload (already authenticated)."""
        is_upload = scope["method"] == "POST" and scope["path"].rstrip("/") == UPLOAD_PATH
        return self.upload_bytes if is_upload else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if scope["method"] == "POST" and scope["path"].rstrip("/") == UPLOAD_PATH:
            # Refuse before reading: a wrong key used to have 160 MB spooled before its 401.
            refusal = admin_refusal(
                self.admin_key, headers.get("authorization"), headers.get("x-admin-key")
            )
            if refusal is not None:
                detail = str(refusal.detail)
                reply = _error(refusal.status_code, detail, dict(refusal.headers or {}))
                await reply(scope, receive, send)
                return
        limit = self.limit_for(scope, headers)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await _error(400, "invalid Content-Length header")(scope, receive, send)
                return
            if int(declared) > limit:
                await _error(413, _too_large(limit))(scope, receive, send)
                return
        received = 0
        started = False
        body_read = False

        async def counting_receive() -> Message:
            nonlocal received, body_read
            if body_read:
                # Past the body, receive() only waits for the client to leave: a streamed
                # answer (POST /api/ask/stream) may take longer than the body timeout.
                return await receive()
            try:
                # A slow-loris client trickling (or withholding) its body holds a worker.
                message = await asyncio.wait_for(receive(), self.body_timeout_s)
            except TimeoutError:
                raise HTTPException(408, "request body not received in time") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises HTTPException from body reading; Starlette answers it.
                    raise HTTPException(413, _too_large(limit))
                body_read = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:
            if exc.status_code not in (408, 413) or started:
                raise
            await _error(exc.status_code, str(exc.detail))(scope, receive, send)


class TokenBucket:
    """`capacity` tokens, refilled at `rate` per second; one token per request."""

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.updated = now

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last update."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def take(self, now: float) -> float:
        """Take a token: 0.0 when allowed, else the seconds until one is available."""
        self.refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class RateLimit:
    """Per-client token buckets on the rate-limited paths; 429 with Retry-After when empty.

    Runs on the event loop (one thread), so the buckets need no lock. Clients are told apart
    by the peer address ASGI reports, or by X-Forwarded-For when that peer is in
    `trusted_proxies` (IPs or CIDRs).
    """

    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        paths: frozenset[str] = RATE_LIMITED_PATHS,
        clock: Callable[[], float] = time.monotonic,
        trusted_proxies: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.per_minute = per_minute
        self.paths = paths
        self.clock = clock
        self.trusted = [ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies]
        self.buckets: dict[str, TokenBucket] = {}

    def limits(self, path: str) -> bool:
        """Whether requests to `path` count against the limit."""
        path = path.rstrip("/")
        return path in self.paths or path.startswith(RATE_LIMITED_PREFIX)

    def client_key(self, scope: Scope) -> str:
        """The client's address: the peer, or the nearest untrusted X-Forwarded-For hop."""
        client = scope.get("client")
        peer = client[0] if client else "unknown"
        forwarded = Headers(raw=scope.get("headers") or []).get("x-forwarded-for")
        if not forwarded or not self._is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        # Read from the right: each trusted proxy appended the address it got the request from.
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop
        return hops[0] if hops else peer

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.per_minute <= 0 or not self.limits(scope["path"]):
            await self.app(scope, receive, send)
            return
        wait = self._take(self.client_key(scope))
        if wait > 0:
            retry = max(1, math.ceil(wait))
            response = _error(
                429,
                f"too many questions and searches: at most {self.per_minute} a minute; "
                f"try again in {retry} s",
                {"Retry-After": str(retry)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _take(self, key: str) -> float:
        now = self.clock()
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= MAX_TRACKED_CLIENTS:
                self._forget_idle(now)
            bucket = TokenBucket(float(self.per_minute), self.per_minute / 60.0, now)
            self.buckets[key] = bucket
        return bucket.take(now)

    def _forget_idle(self, now: float) -> None:
        for key, bucket in list(self.buckets.items()):
            bucket.refill(now)
            if bucket.tokens >= bucket.capacity:
                del self.buckets[key]


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)
