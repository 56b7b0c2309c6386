"""The `askdocs` console script end to end, as a user runs it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_CORPUS

ASKDOCS = str(Path(sys.executable).with_name("askdocs"))


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ASKDOCS, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKDOCS_")}
    env.update(HOME=str(home), HF_HUB_OFFLINE="1")
    return env


def test_cli_ingest_ask_search_end_to_end(tmp_path: Path, cli_env: dict[str, str]) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(SAMPLE_CORPUS, docs)
    (docs / "broken.txt").write_bytes(b"\x00\x01binary")
    env = {**cli_env, "ASKDOCS_INDEX": str(tmp_path / "index")}

    first = _run("ingest", str(docs), env=env)
    assert first.returncode == 0, first.stderr
    assert "2 added" in first.stdout and "chunks embedded" in first.stdout
    assert f"skipped {docs / 'broken.txt'}: binary data" in first.stderr
    summary = first.stdout.strip().splitlines()[-1]
    assert summary.startswith("done in ") and "2 files read" in summary and "chunks/s" in summary
    # stderr is a pipe here, not a terminal: no progress bars, only the warning.
    assert "Reading" not in first.stderr and "Embedding" not in first.stderr
    again = _run("ingest", str(docs), env=env)
    assert "0 chunks embedded" in again.stdout and "2 unchanged" in again.stdout

    asked = _run("ask", "How many programmes did Spotlight run in its first phase?", env=env)
    assert asked.returncode == 0, asked.stderr
    assert "34 programmes across five regions. [1]" in asked.stdout
    assert "Sources:" in asked.stdout and "Spotlight Initiative and DPKO profile" in asked.stdout

    as_json = json.loads(_run("ask", "Who won the 2018 FIFA World Cup?", "--json", env=env).stdout)
    assert as_json == {
        "answer": as_json["answer"],
        "abstained": True,
        "mode": "extractive",
        "dropped": 0,
        "citations": [],
    }

    found = json.loads(
        _run(
            "search", "mine action victims", "-k", "2", "--mode", "lexical", "--json", env=env
        ).stdout
    )
    assert len(found["results"]) == 2
    assert "mine" in found["results"][0]["text"].lower()


def test_cli_index_option_and_clear_errors(tmp_path: Path, cli_env: dict[str, str]) -> None:
    missing = _run("ask", "anything", "--index", str(tmp_path / "none"), env=cli_env)
    assert missing.returncode == 1
    assert "no index at" in missing.stderr and "askdocs ingest" in missing.stderr
    bad_mode = _run("search", "x", "--mode", "fuzzy", env=cli_env)
    assert bad_mode.returncode == 2 and "dense, lexical or hybrid" in bad_mode.stderr
    help_text = _run("--help", env=cli_env).stdout
    for command in ("ingest", "search", "ask", "serve"):
        assert command in help_text
    bad_engine = _run("ingest", str(SAMPLE_CORPUS), "--engine", "spark", env=cli_env)
    assert bad_engine.returncode == 2 and "'spark' is not one of 'local'" in bad_engine.stderr
    assert "pip install 'askdocs[ray]'" in _run("ingest", "--help", env=cli_env).stdout


@pytest.fixture
def port_in_use() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({"ASKDOCS_TOP_K": "0"}, ["ask", "x"], "ASKDOCS_TOP_K=0: Input should be greater"),
        ({"ASKDOCS_ALLOWED_ORIGINS": "*"}, ["serve"], "'*' is not allowed"),
        ({"ASKDOCS_RATE_LIMIT_PER_MINUTE": "abc"}, ["serve"], "ASKDOCS_RATE_LIMIT_PER_MINUTE=abc"),
        ({"ASKDOCS_ANSWER__COVERAGE": "7"}, ["ask", "x"], "ASKDOCS_ANSWER__COVERAGE=7"),
        ({}, ["serve", "--port", "99999"], "--port 99999: Input should be less than"),
    ],
)
def test_cli_bad_settings_are_one_line(
    cli_env: dict[str, str], env: dict[str, str], args: list[str], expected: str
) -> None:
    result = _run(*args, env={**cli_env, **env})
    assert result.returncode == 1
    assert result.stderr.startswith("error: invalid setting") and expected in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_cli_user_errors_are_one_line_and_debug_shows_why(
    tmp_path: Path, cli_env: dict[str, str], port_in_use: int
) -> None:
    index = tmp_path / "index"
    missing = _run("ingest", str(tmp_path / "nope"), "--index", str(index), env=cli_env)
    assert (missing.returncode, missing.stderr) == (
        1,
        f"error: no such file or folder: {tmp_path / 'nope'}\n",
    )
    assert not index.exists()  # a typo leaves no empty index behind

    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for args in (["ask", "x"], ["ingest", str(SAMPLE_CORPUS)]):
        on_file = _run(*args, "--index", str(a_file), env=cli_env)
        assert on_file.returncode == 1
        assert (
            on_file.stderr
            == f"error: index {a_file} is a file, not a folder; pass another --index\n"
        )
    below_file = _run("ingest", str(SAMPLE_CORPUS), "--index", str(a_file / "sub"), env=cli_env)
    assert below_file.returncode == 1 and below_file.stderr.count("\n") == 1
    assert below_file.stderr.startswith(
        f"error: cannot write to index {a_file / 'sub'}: Not a directory"
    )

    for blank in ("", "   "):
        refused = _run("ask", blank, env=cli_env)
        assert refused.returncode == 2 and "QUESTION: is empty" in refused.stderr
    assert "QUERY: is empty" in _run("search", " ", env=cli_env).stderr

    busy = _run("serve", "--port", str(port_in_use), env=cli_env)
    assert busy.returncode == 1
    assert (
        busy.stderr == f"error: cannot listen on 127.0.0.1:{port_in_use}: Address already in use\n"
    )

    debug = _run("--debug", "ask", "x", "--index", str(tmp_path / "none"), env=cli_env)
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().splitlines()[-1].startswith("error: no index at")


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """`folder` made unwritable: a read-only bind mount as root (who ignores modes), else chmod."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_cli_ingest_progress_goes_to_stderr_and_json_stays_as_it_was(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    env = {**cli_env, "ASKDOCS_INDEX": str(tmp_path / "index")}
    shown = _run("ingest", str(SAMPLE_CORPUS), "--progress", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)  # nothing but the report on stdout
    assert len(report["added"]) == 2 and report["chunks_embedded"] > 0
    assert "Reading" in shown.stderr and "Spotlight Initiative and DPKO profile.txt" in shown.stderr
    assert "Embedding" in shown.stderr and "chunks/s" not in shown.stdout
    quiet = _run("ingest", str(SAMPLE_CORPUS), "--no-progress", env=env)
    assert quiet.stderr == "" and "chunks/s" in quiet.stdout


def test_cli_ingest_into_read_only_index_is_one_line(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    index = tmp_path / "index"
    docs = tmp_path / "docs"
    shutil.copytree(SAMPLE_CORPUS, docs)
    env = {**cli_env, "ASKDOCS_INDEX": str(index)}
    assert _run("ingest", str(docs), env=env).returncode == 0
    before = sorted(p.relative_to(index) for p in index.rglob("*"))
    (docs / "new.md").write_text("# New\n\nA new document about read-only folders.\n")
    with _read_only(index):
        result = _run("ingest", str(docs), env=env)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot write to index {index}: ")
    assert "Read-only file system" in result.stderr or "Permission denied" in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert sorted(p.relative_to(index) for p in index.rglob("*")) == before
    asked = _run("ask", "What is the Spotlight Initiative?", env=env)
    assert asked.returncode == 0, asked.stderr


def test_cli_serve_on_an_index_with_no_intact_version_is_one_line(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    index = tmp_path / "index"
    assert _run("ingest", str(SAMPLE_CORPUS), "--index", str(index), env=cli_env).returncode == 0
    (vectors,) = index.glob("versions/*/vectors.faiss")
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2] ^= 0xFF
    vectors.write_bytes(bytes(data))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _run("serve", "--index", str(index), "--port", str(port), env=cli_env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: no intact version of the index at")
    assert result.stderr.count("\n") == 1, result.stderr


def test_cli_on_the_qdrant_backend(tmp_path: Path, cli_env: dict[str, str]) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(SAMPLE_CORPUS, docs)
    qdrant = tmp_path / "qdrant"
    env = {**cli_env, "ASKDOCS_BACKEND": "qdrant", "ASKDOCS_QDRANT_PATH": str(qdrant)}
    first = _run("ingest", str(docs), env=env)
    assert first.returncode == 0, first.stderr
    assert "2 added" in first.stdout and f"index {qdrant}#askdocs: 2 documents" in first.stdout
    assert "2 files read" in first.stdout
    assert "0 chunks embedded" in _run("ingest", str(docs), env=env).stdout
    asked = json.loads(
        _run("ask", "How many programmes did Spotlight run?", "--json", env=env).stdout
    )
    assert "34 programmes" in asked["answer"] and asked["citations"]
    found = json.loads(_run("search", "gender parity strategy", "--json", env=env).stdout)
    assert found["results"] and all(r["text"] for r in found["results"])
    (docs / "DPKO work on gender-based violence.txt").unlink()
    pruned = _run("ingest", str(docs), "--prune", env=env)
    assert "1 removed" in pruned.stdout and "1 documents" in pruned.stdout

    missing = _run("ask", "anything", env={**env, "ASKDOCS_QDRANT_PATH": ""})
    assert missing.returncode != 0 and "exactly one of ASKDOCS_QDRANT_URL" in missing.stderr
