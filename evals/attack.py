"""Replay the hostile HTTP inputs of issue 12 against a live askdocs on loopback.

    python -m evals.attack --url http://127.0.0.1:8000

Prints, per attempt, how many requests were sent, the status codes seen and how many were 5xx.
Loopback only, a bounded number of requests, each with a timeout.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

JSON = {"content-type": "application/json"}
Attempt = Callable[[httpx.Client], list[int]]


def _post_raw(path: str, body: str, times: int = 1) -> Attempt:
    def run(http: httpx.Client) -> list[int]:
        return [http.post(path, content=body, headers=JSON).status_code for _ in range(times)]

    return run


def _spoofed_forwarded_for(http: httpx.Client) -> list[int]:
    # Each request names another client; with the limit on, 429s must still appear.
    return [
        http.post(
            "/api/search",
            json={"query": "x"},
            headers={"x-forwarded-for": f"10.0.{n // 250}.{n % 250}"},
        ).status_code
        for n in range(150)
    ]


def _wrong_key_upload(http: httpx.Client) -> list[int]:
    headers = {"x-admin-key": "wrong", "content-type": "multipart/form-data; boundary=b"}
    return [http.post("/api/documents", content=b"x" * 2_000_000, headers=headers).status_code]


def _host_redirect(http: httpx.Client) -> list[int]:
    response = http.get("/api/documents/", headers={"host": "evil.example"})
    return [response.status_code if "evil" not in response.headers.get("location", "") else 599]


def _docs_pages(http: httpx.Client) -> list[int]:
    return [http.get(path).status_code for path in ("/docs", "/redoc")]


ATTEMPTS: dict[str, Attempt] = {
    "lone surrogate in question": _post_raw("/api/ask", '{"question": "\\ud800"}'),
    "lone surrogate in query": _post_raw("/api/search", '{"query": "\\ud800"}'),
    "top_k NaN": _post_raw("/api/ask", '{"question": "x", "top_k": NaN}'),
    "top_k Infinity": _post_raw("/api/search", '{"query": "x", "top_k": Infinity}'),
    "900 KB question": _post_raw("/api/ask", '{"question": "' + "x" * 900_000 + '"}'),
    "wrong admin key, 2 MB upload": _wrong_key_upload,
    "X-Forwarded-For spoofing (150)": _spoofed_forwarded_for,
    "Host header redirect": _host_redirect,
    "/docs and /redoc": _docs_pages,
}


def main(argv: list[str] | None = None) -> int:
    """Run every attempt; exit 1 when any answer was a 5xx."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    host = urlsplit(args.url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("attacks are replayed against loopback only")
    total_5xx = 0
    print(f"{'attempt':34} {'count':>5}  {'statuses':30} {'5xx':>4}")
    with httpx.Client(base_url=args.url, timeout=30) as http:
        for name, attempt in ATTEMPTS.items():
            try:
                statuses = attempt(http)
            except httpx.HTTPError as exc:  # a dropped connection is an outcome, not a crash
                print(f"{name:34} {'-':>5}  {type(exc).__name__:30} {'-':>4}")
                continue
            counts = Counter(statuses)
            fives = sum(n for code, n in counts.items() if code >= 500)
            total_5xx += fives
            seen = ", ".join(f"{code}x{n}" for code, n in sorted(counts.items()))
            print(f"{name:34} {len(statuses):>5}  {seen:30} {fives:>4}")
    return 1 if total_5xx else 0


if __name__ == "__main__":
    sys.exit(main())
