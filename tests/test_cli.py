"""The `askdocs` console script end to end, as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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
