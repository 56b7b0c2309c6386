"""Load test of POST /api/ask: N concurrent clients for a fixed time, localhost only.

    python -m askdocs.evals.load --url http://127.0.0.1:8000 --clients 1,8,32 --seconds 30

For each client count, that many threads ask questions (from the bundled question set) back to
back for `--seconds`, or until `--max-requests` requests in all; then it prints requests/s,
latency percentiles and errors by status code. It refuses any host that is not a loopback
address: it is a benchmark for your own machine, not a tool to load someone else's server.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from askdocs.evals.percentiles import Percentiles
from askdocs.evals.questions import BUNDLED_QUESTIONS, load_questions

MAX_SECONDS = 600.0
MAX_CLIENTS = 256
DEFAULT_MAX_REQUESTS = 100_000
REQUEST_TIMEOUT_S = 60.0


class NotLoopbackError(ValueError):
    """The URL's host is not this machine."""


def check_loopback(url: str) -> str:
    """The URL without a trailing slash; NotLoopbackError unless its host is a loopback
    address (or a name, like localhost, that resolves only to loopback addresses)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotLoopbackError(f"{url!r} is not an http(s) URL")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise NotLoopbackError(f"cannot resolve {parts.hostname!r}: {exc}") from exc
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise NotLoopbackError(
            f"refusing to load {parts.hostname!r} ({', '.join(sorted(addresses))}): "
            "only loopback hosts (127.0.0.1, ::1, localhost) may be load-tested"
        )
    return url.rstrip("/")


@dataclass
class LevelResult:
    """One client count: throughput, latency percentiles (ms) and errors by status."""

    clients: int
    requests: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: dict[str, int] = field(default_factory=dict)


def run_level(
    url: str, clients: int, seconds: float, max_requests: int, questions: list[str]
) -> LevelResult:
    """`clients` threads asking back to back for `seconds` (or `max_requests` in all)."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + seconds

    def worker(number: int) -> None:
        nonlocal issued
        with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as http:
            turn = number
            while time.monotonic() < deadline:
                with lock:
                    if issued >= max_requests:
                        return
                    issued += 1
                question = questions[turn % len(questions)]
                turn += clients
                started = time.perf_counter()
                try:
                    response = http.post("/api/ask", json={"question": question})
                    outcome = str(response.status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                elapsed_ms = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed_ms)
                    statuses[outcome] += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    latency = Percentiles.of(latencies, digits=1)
    return LevelResult(
        clients=clients,
        requests=len(latencies),
        seconds=round(took, 3),
        requests_per_s=round(len(latencies) / took, 2) if took > 0 else 0.0,
        p50_ms=latency.p50,
        p95_ms=latency.p95,
        p99_ms=latency.p99,
        errors={k: v for k, v in sorted(statuses.items()) if not k.startswith("2")},
    )


def format_table(results: list[LevelResult]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        errors = ", ".join(f"{k}: {v}" for k, v in r.errors.items()) or "none"
        lines.append(
            f"| {r.clients} | {r.requests} | {r.requests_per_s:.1f} | {r.p50_ms:.0f} | "
            f"{r.p95_ms:.0f} | {r.p99_ms:.0f} | {errors} |"
        )
    return "\n".join(lines)


def _client_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or any(not 1 <= c <= MAX_CLIENTS for c in counts):
        raise argparse.ArgumentTypeError(f"client counts must be 1..{MAX_CLIENTS}")
    return counts


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"seconds must be in (0, {MAX_SECONDS:.0f}]")
    return value


def main(argv: list[str] | None = None) -> int:
    """Command line: run each client count in turn and print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="askdocs base URL")
    parser.add_argument("--clients", type=_client_counts, default=[1, 8, 32])
    parser.add_argument("--seconds", type=_seconds, default=30.0, help="per client count")
    parser.add_argument("--max-requests", type=int, default=DEFAULT_MAX_REQUESTS)
    parser.add_argument("--questions", type=Path, default=BUNDLED_QUESTIONS)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    try:
        url = check_loopback(args.url)
    except NotLoopbackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        questions = [q.question for q in load_questions(args.questions)]
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = []
    for clients in args.clients:
        result = run_level(url, clients, args.seconds, args.max_requests, questions)
        results.append(result)
        if not args.json:
            print(f"{clients} clients: {result.requests} requests", file=sys.stderr)
    if args.json:
        print(json.dumps({"url": url, "levels": [asdict(r) for r in results]}, indent=2))
    else:
        print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
