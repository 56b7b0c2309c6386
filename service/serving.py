"""How `askdocs serve` runs uvicorn: the options that harden the HTTP server itself."""

from __future__ import annotations

from typing import Any

from askdocs.settings import Settings

# Seconds an idle keep-alive connection is held (uvicorn's default, stated so it stays short).
KEEP_ALIVE_S = 5
# Connections handled at once; past it uvicorn answers 503 instead of holding more sockets.
MAX_CONCURRENCY = 200
# Bytes of an unfinished request head (h11 buffers it): headers far past this are refused.
MAX_INCOMPLETE_EVENT_BYTES = 16 * 1024


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
    }
