"""Hostile Markdown and HTML load in time linear in their size.

Each pattern is loaded at ~100 KB and ~1 MB and the two times compared: ten times the input
takes about ten times as long when loading is linear, about a hundred times when quadratic. A
ratio, never a wall-clock bound, so a slow or busy machine does not fail it. A file the HTML
guard refuses counts too: the refusal is what must stay cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from askdocs.errors import UnreadableFileError
from askdocs.ingest.loaders.html import load_html
from askdocs.ingest.loaders.markdown import load_markdown
from askdocs.ingest.models import LoadedFile

SMALL = 100_000
LARGE = 1_000_000
MAX_RATIO = 25  # linear gives ~10, quadratic ~100
RUNS = 3
FLOOR = 0.002  # seconds: below this a timer's noise would dominate the ratio

# name -> (suffix, text of about n characters)
PATTERNS: dict[str, tuple[str, Callable[[int], str]]] = {
    "md ~~a": (".md", lambda n: "~~a " * (n // 4)),
    "md **a": (".md", lambda n: "**a " * (n // 4)),
    "md __a": (".md", lambda n: "__a " * (n // 4)),
    "md *a": (".md", lambda n: "*a " * (n // 3)),
    "md _a": (".md", lambda n: "_a " * (n // 3)),
    "md [a": (".md", lambda n: "[a" * (n // 2)),
    "md ![a": (".md", lambda n: "![a" * (n // 3)),
    "md [a] (no link target)": (".md", lambda n: "[a]" * (n // 3)),
    "md backticks": (".md", lambda n: "x" + "`" * n),
    "md `a": (".md", lambda n: "`a " * (n // 3)),
    "md <a": (".md", lambda n: "<a" * (n // 2)),
    "md <http:": (".md", lambda n: "<http:" * (n // 6)),
    "md <!--": (".md", lambda n: "<!--" * (n // 4)),
    "md spaces before text": (".md", lambda n: " " * n + "x"),
    "md heading with spaces": (".md", lambda n: "# a" + " " * n + "b"),
    "html <div></b>": (".html", lambda n: "<div></b>" * (n // 9)),
    "html <div> deep": (".html", lambda n: "<div>" * (n // 5)),
    "html <b><i> unclosed": (".html", lambda n: "<b><i>" * (n // 6) + "x"),
    "html <span><div></span>": (".html", lambda n: "<span><div></span>" * (n // 18)),
    "html many attributes": (
        ".html",
        lambda n: "<div " + " ".join(f"a{i}=x" for i in range(n // 8)) + ">x</div>",
    ),
    "html table soup": (".html", lambda n: "<table><tr><td>x" * (n // 16)),
    "html tag never closed": (".html", lambda n: "<div " * (n // 5)),
}


def _load(path: Path) -> LoadedFile | None:
    loader = load_markdown if path.suffix == ".md" else load_html
    try:
        return loader(path)
    except UnreadableFileError:
        return None


def _seconds(path: Path) -> float:
    start = time.perf_counter()
    _load(path)
    return time.perf_counter() - start


@pytest.mark.parametrize("name", list(PATTERNS))
def test_hostile_input_loads_in_linear_time(tmp_path: Path, name: str) -> None:
    suffix, text = PATTERNS[name]
    small, large = tmp_path / f"small{suffix}", tmp_path / f"large{suffix}"
    small.write_text(text(SMALL), encoding="utf-8")
    large.write_text(text(LARGE), encoding="utf-8")
    small_time = max(min(_seconds(small) for _ in range(RUNS)), FLOOR)
    # Best of RUNS, stopping at the first run under the bound (more runs could only lower it).
    ratio = float("inf")
    for _ in range(RUNS):
        ratio = min(ratio, _seconds(large) / small_time)
        if ratio < MAX_RATIO:
            break
    assert ratio < MAX_RATIO, f"{name}: 10x the input took {ratio:.0f}x the time"
