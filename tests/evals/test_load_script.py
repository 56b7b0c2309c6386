"""evals/load.py against a live server, briefly: the report has its fields, nobody else is
loaded. The server embeds with `evals.crash.FakeEmbedder`; figures here are not benchmarks."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from askdocs.evals.crash import FakeEmbedder, fake_settings
from askdocs.evals.load import NotLoopbackError, check_loopback
from askdocs.index.writer import ingest_paths
from askdocs.service.app import create_app

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "evals" / "corpus"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """askdocs over the sample corpus (fake-embedded) under uvicorn in a thread."""
    settings = fake_settings(tmp_path_factory.mktemp("load") / "index")
    embedder = FakeEmbedder()
    ingest_paths(settings.index, [CORPUS], embedder, settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, embedder=embedder), log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


def _load(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "askdocs.evals.load", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_the_load_script_reports_throughput_latency_and_errors(server_url: str) -> None:
    result = _load("--url", server_url, "--clients", "1,4", "--seconds", "1", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [level["clients"] for level in report["levels"]] == [1, 4]
    for level in report["levels"]:
        assert set(level) == {
            "clients", "requests", "seconds", "requests_per_s", "p50_ms", "p95_ms", "p99_ms",
            "errors",
        }  # fmt: skip
        assert level["requests"] > 0 and level["requests_per_s"] > 0
        assert 0 < level["p50_ms"] <= level["p95_ms"] <= level["p99_ms"]
        assert level["errors"] == {}
        assert level["seconds"] < 1 + 60  # bounded by time


def test_the_table_and_the_request_bound(server_url: str) -> None:
    result = _load("--url", server_url, "--clients", "2", "--seconds", "5", "--max-requests", "6")
    assert result.returncode == 0, result.stderr
    header, _rule, row = result.stdout.strip().splitlines()
    assert header == "| clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors |"
    assert row.startswith("| 2 | 6 |") and row.endswith("| none |")


@pytest.mark.parametrize(
    "url", ["http://10.1.2.3:8000", "http://0.0.0.0:8000", "http://192.168.0.1", "ftp://127.0.0.1"]
)
def test_hosts_other_than_loopback_are_refused(url: str) -> None:
    with pytest.raises(NotLoopbackError):
        check_loopback(url)
    result = _load("--url", url, "--clients", "1", "--seconds", "1")
    assert result.returncode == 2 and "error:" in result.stderr and result.stdout == ""


def test_loopback_hosts_are_accepted() -> None:
    assert check_loopback("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert check_loopback("http://localhost:8000") == "http://localhost:8000"
    assert check_loopback("http://[::1]:8000") == "http://[::1]:8000"
