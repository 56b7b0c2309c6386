"""Replay the hostile HTTP inputs of issue 12 against a live askdocs on loopback.

    python -m askdocs.evals.attack --url http://127.0.0.1:8000 [--admin-key KEY]

Prints, per attempt, how many requests were sent, the status codes seen, how many were 5xx,
and a note. With the admin key (or $ASKDOCS_ADMIN_KEY), 1 MB hostile Markdown and HTML files
are uploaded while /healthz is polled; the note gives /healthz's p99 latency meanwhile (it
should stay under 100 ms: parsing must neither take long nor stall the event loop). What an
upload adds is deleted again. The rate-limit burst runs last, so the rows before it are not
answered 429.
Loopback only, a bounded number of requests, each with a timeout.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from askdocs.evals.percentiles import percentile

JSON = {"content-type": "application/json"}
HEALTHZ_TARGET_MS = 100.0
POLL_INTERVAL_S = 0.01
HOSTILE_BYTES = 1_000_000
SLOW_CONNECTIONS = 50
SLOW_WAIT_S = 15.0  # past the server's request-head deadline (ASKDOCS_HEADER_TIMEOUT_S, 10 s)


@dataclass
class Outcome:
    """The status codes an attempt got, and a note for the table."""

    statuses: list[int]
    note: str = ""


Attempt = Callable[[httpx.Client], Outcome]


def _statuses(run: Callable[[httpx.Client], list[int]]) -> Attempt:
    def attempt(http: httpx.Client) -> Outcome:
        return Outcome(run(http))

    return attempt


def _post_raw(path: str, body: str, times: int = 1) -> Attempt:
    def run(http: httpx.Client) -> list[int]:
        return [http.post(path, content=body, headers=JSON).status_code for _ in range(times)]

    return _statuses(run)


def _spoofed_forwarded_for(http: httpx.Client) -> Outcome:
    # Each request names another client; with the limit on, 429s must still appear.
    statuses = [
        http.post(
            "/api/search",
            json={"query": "x"},
            headers={"x-forwarded-for": f"10.0.{n // 250}.{n % 250}"},
        ).status_code
        for n in range(150)
    ]
    note = (
        "limited despite the header"
        if 429 in statuses
        else "no 429: the limit is off (the loopback default) or above 150/min; "
        "set ASKDOCS_RATE_LIMIT_PER_MINUTE to check"
    )
    return Outcome(statuses, note)


def _wrong_key_upload(http: httpx.Client) -> list[int]:
    headers = {"x-admin-key": "wrong", "content-type": "multipart/form-data; boundary=b"}
    return [http.post("/api/documents", content=b"x" * 2_000_000, headers=headers).status_code]


def _host_redirect(http: httpx.Client) -> list[int]:
    response = http.get("/api/documents/", headers={"host": "evil.example"})
    return [response.status_code if "evil" not in response.headers.get("location", "") else 599]


def _docs_pages(http: httpx.Client) -> list[int]:
    return [http.get(path).status_code for path in ("/docs", "/redoc")]


def _response_headers(http: httpx.Client) -> Outcome:
    """Every reply carries nosniff and no `server` header; HTML pages carry a CSP (599 where
    one does not)."""
    statuses, missing = [], []
    for path in ("/", "/healthz", "/api/documents", "/widget.js", "/no-such-page"):
        response = http.get(path)
        headers, status = response.headers, response.status_code
        wrong = []
        if headers.get("x-content-type-options") != "nosniff":
            wrong.append("nosniff")
        if "server" in headers:
            wrong.append("server")
        html = "text/html" in headers.get("content-type", "")
        if html and "content-security-policy" not in headers:
            wrong.append("csp")
        missing += [f"{path}: {name}" for name in wrong]
        statuses.append(599 if wrong else status)
    return Outcome(statuses, "; ".join(missing) or "nosniff everywhere, no server header, CSP")


def _slow_loris(http: httpx.Client) -> Outcome:
    """Connections that send half a request head and stall must be closed by the server,
    while another client is still answered."""
    url = urlsplit(str(http.base_url))
    closed = 0
    with ExitStack() as stack:  # every socket is closed, even if opening a later one fails
        sockets = []
        for _ in range(SLOW_CONNECTIONS):
            conn = stack.enter_context(
                socket.create_connection((url.hostname, url.port or 80), timeout=5)
            )
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            sockets.append(conn)
        meanwhile = http.get("/healthz").status_code
        deadline = time.monotonic() + SLOW_WAIT_S
        for conn in sockets:
            conn.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                closed += conn.recv(1) == b""
            except ConnectionError:  # reset: closed at once (the per-address connection cap)
                closed += 1
            except OSError:  # still open at the deadline
                pass
    status = 599 if closed < SLOW_CONNECTIONS else meanwhile
    note = f"{closed}/{SLOW_CONNECTIONS} stalled connections closed within {SLOW_WAIT_S:.0f} s"
    return Outcome([status], f"{note}; /healthz meanwhile {meanwhile}")


def _upload_while_polling(filename: str, body: str, admin_key: str | None) -> Attempt:
    """Upload `body` as `filename` while another client polls /healthz; delete what it added."""

    def attempt(http: httpx.Client) -> Outcome:
        if not admin_key:
            return Outcome([], "skipped: no --admin-key")
        latencies: list[float] = []
        polled: list[int] = []
        done, polling = threading.Event(), threading.Event()

        def poll() -> None:
            with httpx.Client(base_url=str(http.base_url), timeout=30) as poller:
                while not done.is_set():
                    start = time.perf_counter()
                    polled.append(poller.get("/healthz").status_code)
                    latencies.append((time.perf_counter() - start) * 1000)
                    polling.set()
                    time.sleep(POLL_INTERVAL_S)

        poller = threading.Thread(target=poll)
        poller.start()
        polling.wait(timeout=30)  # the upload starts once /healthz has answered
        started = time.perf_counter()
        key = {"x-admin-key": admin_key}
        job: dict[str, Any] = {}
        try:
            response = http.post(
                "/api/documents", files={"files": (filename, body.encode("utf-8"))}, headers=key
            )
            # 202: the ingest runs in the background; /healthz is polled until it has finished.
            while response.status_code == 202 and job.get("status") not in ("done", "failed"):
                time.sleep(POLL_INTERVAL_S)
                job = http.get(response.headers["location"], headers=key).json()
        finally:
            done.set()
            poller.join()
        took = time.perf_counter() - started
        for doc in (job.get("report") or {}).get("documents", []):
            http.delete(f"/api/documents/{doc['doc_id']}", headers=key)
        p99 = percentile(latencies, 99)
        verdict = "ok" if p99 < HEALTHZ_TARGET_MS else f"over {HEALTHZ_TARGET_MS:.0f} ms"
        note = (
            f"upload {took:.1f} s (job {job.get('status', 'none')}); /healthz p99 {p99:.0f} ms, "
            f"max {max(latencies, default=0):.0f} ms over {len(latencies)} polls ({verdict})"
        )
        if not latencies:
            note = f"upload {took:.1f} s; /healthz did not answer"
        return Outcome([response.status_code, *polled], note)

    return attempt


def attempts(admin_key: str | None) -> dict[str, Attempt]:
    """Every attempt, in the order run: the rate-limit burst last."""
    return {
        "lone surrogate in question": _post_raw("/api/ask", '{"question": "\\ud800"}'),
        "lone surrogate in query": _post_raw("/api/search", '{"query": "\\ud800"}'),
        "top_k NaN": _post_raw("/api/ask", '{"question": "x", "top_k": NaN}'),
        "top_k Infinity": _post_raw("/api/search", '{"query": "x", "top_k": Infinity}'),
        "900 KB question": _post_raw("/api/ask", '{"question": "' + "x" * 900_000 + '"}'),
        "wrong admin key, 2 MB upload": _statuses(_wrong_key_upload),
        "Host header redirect": _statuses(_host_redirect),
        "/docs and /redoc": _statuses(_docs_pages),
        "response headers": _response_headers,
        f"slow-loris ({SLOW_CONNECTIONS} stalled heads)": _slow_loris,
        "1 MB hostile Markdown upload": _upload_while_polling(
            "hostile.md", "~~a " * (HOSTILE_BYTES // 4), admin_key
        ),
        "1 MB hostile HTML upload": _upload_while_polling(
            "hostile.html", "<div></b>" * (HOSTILE_BYTES // 9), admin_key
        ),
        "X-Forwarded-For spoofing (150)": _spoofed_forwarded_for,
    }


def main(argv: list[str] | None = None) -> int:
    """Run every attempt; exit 1 when any answer was a 5xx."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument(
        "--admin-key",
        default=os.environ.get("ASKDOCS_ADMIN_KEY"),
        help="the server's admin key, for the upload rows (default: $ASKDOCS_ADMIN_KEY)",
    )
    args = parser.parse_args(argv)
    host = urlsplit(args.url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("attacks are replayed against loopback only")
    total_5xx = 0
    print(f"{'attempt':34} {'count':>5}  {'statuses':30} {'5xx':>4}  note")
    with httpx.Client(base_url=args.url, timeout=30) as http:
        for name, attempt in attempts(args.admin_key).items():
            try:
                outcome = attempt(http)
            except httpx.HTTPError as exc:  # a dropped connection is an outcome, not a crash
                print(f"{name:34} {'-':>5}  {type(exc).__name__:30} {'-':>4}")
                continue
            counts = Counter(outcome.statuses)
            fives = sum(n for code, n in counts.items() if code >= 500)
            total_5xx += fives
            seen = ", ".join(f"{code}x{n}" for code, n in sorted(counts.items()))
            print(f"{name:34} {len(outcome.statuses):>5}  {seen:30} {fives:>4}  {outcome.note}")
    return 1 if total_5xx else 0


if __name__ == "__main__":
    sys.exit(main())
