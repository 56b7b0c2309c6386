"""How `askdocs serve` runs uvicorn: the options that harden the HTTP server itself."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from askdocs.settings import Settings

# Seconds an idle keep-alive connection is held (uvicorn's default, stated so it stays short).
KEEP_ALIVE_S = 5
# Connections handled at once; past it uvicorn answers 503 instead of holding more sockets.
MAX_CONCURRENCY = 200
# Bytes of an unfinished request head (h11 buffers it): headers far past this are refused.
MAX_INCOMPLETE_EVENT_BYTES = 16 * 1024


class HeadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on the request head.

    uvicorn has none: a client that sends a few header bytes now and then (slow-loris) holds
    its connection for as long as it likes, and a few hundred such clients use up
    `limit_concurrency`. The deadline is armed when the connection opens and after each
    response; if the head has not arrived in full by then, the connection is closed.
    """

    head_timeout_s = 10.0
    # Connections one address may hold open without a request under way; past it, new ones
    # are closed at once, so one client cannot fill `limit_concurrency` for everyone else.
    max_idle_per_client = 32
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self._idle_from_same_client() > self.max_idle_per_client:
            transport.close()
            return
        self._arm_head_timer()

    def _idle_from_same_client(self) -> int:
        host = self.client[0] if self.client else None
        return sum(
            1
            for other in self.connections
            if isinstance(other, H11Protocol)
            and other.client is not None
            and other.client[0] == host
            and other.conn.their_state is h11.IDLE
            and not other.transport.is_closing()
        )

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_overdue)

    def _head_overdue(self) -> None:
        self._head_timer = None
        # IDLE: no complete request line and headers yet (a request in progress is past it).
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def head_timeout_protocol(seconds: float) -> type[HeadTimeoutProtocol]:
    """The protocol class uvicorn should use, with its head deadline set."""
    return type("HeadTimeoutProtocol", (HeadTimeoutProtocol,), {"head_timeout_s": seconds})


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run`.

    `proxy_headers=False`: uvicorn otherwise trusts X-Forwarded-For from loopback, which let
    a local client pick its own address and escape the rate limit. No `server: uvicorn`.
    """
    return {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": False,
        "forwarded_allow_ips": "",
        "server_header": False,
        "timeout_keep_alive": KEEP_ALIVE_S,
        "limit_concurrency": MAX_CONCURRENCY,
        "h11_max_incomplete_event_size": MAX_INCOMPLETE_EVENT_BYTES,
        "http": head_timeout_protocol(settings.header_timeout_s),
    }
