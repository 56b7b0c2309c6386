"""The chat page's and the widget's scripts as served: one core, the API's limits, headers.

(Their behaviour in a browser is in the test_browser_*.py modules.) No lifespan runs here: the
pages and scripts need no index or model.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from askdocs.service import assets
from askdocs.service.app import create_app
from askdocs.service.assets import CORE, SHARED, STATIC, api_limits, limits_line
from askdocs.service.schemas import AskRequest
from askdocs.settings import Settings

SCRIPTS = {"/static/chat.js": "chat.js", "/widget.js": "widget.js"}


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """The app without its lifespan: only routes that need no index are asked here."""
    return TestClient(create_app(Settings(index=tmp_path / "index")))


def source(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def test_both_front_ends_are_served_with_the_same_shared_files_byte_for_byte(
    client: TestClient,
) -> None:
    core = limits_line() + "".join("\n" + source(name) for name in SHARED)
    served = {path: client.get(path).text for path in SCRIPTS}
    for path, own in SCRIPTS.items():
        text = served[path]
        assert text.count(core) == 1, path
        # The core, then the front end's own file, in one function that ends the script.
        after = text.split(core, 1)[1]
        assert after == "\n" + source(own) + "})();\n", path
        assert text.startswith("/*! askdocs ") and '(() => {\n"use strict";\n' in text
    # What precedes the core differs only in the name of the script.
    chat_head, widget_head = (served[p].split(core, 1)[0] for p in SCRIPTS)
    assert chat_head.replace("chat.js", "widget.js") == widget_head


def test_front_end_sources_copy_no_api_limit_and_no_core_function() -> None:
    limits = api_limits()
    for name in ("chat.js", "widget.js", "index.html", "layout.html"):
        text = source(name)
        for value in (limits["questionChars"], limits["turnChars"]):
            # A number on its own (the SVG namespace's /2000/ is not one).
            assert not re.search(rf"(?<![\w/]){value}(?![\w/])", text), (name, value)
        assert "maxlength" not in text.lower(), name
        # What the core defines is defined there only.
        for defined in ("function el(", "function createChat(", "sessionStorage.setItem", "fetch("):
            assert defined not in text, (name, defined)


def test_the_limits_served_are_those_the_api_enforces() -> None:
    limits = api_limits()
    turn = {"role": "user", "content": "x" * limits["turnChars"]}
    longer = {**turn, "content": turn["content"] + "x"}
    question = "q" * limits["questionChars"]

    def ask(question: str, history: list[dict[str, str]]) -> AskRequest:
        return AskRequest.model_validate({"question": question, "history": history})

    ask(question, [turn] * limits["historyTurns"])  # at every limit: accepted
    for over in (
        (question + "q", []),
        ("q", [turn] * (limits["historyTurns"] + 1)),
        ("q", [longer]),
    ):
        with pytest.raises(ValidationError):
            ask(*over)


def test_scripts_are_javascript_cached_and_revalidated(client: TestClient) -> None:
    for path in SCRIPTS:
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert response.headers["cache-control"] == "public, max-age=300"
        assert response.headers["x-content-type-options"] == "nosniff"
        etag = response.headers["etag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        other = client.get(path, headers={"If-None-Match": '"stale"'})
        assert other.status_code == 200 and other.content == response.content
    assert client.get("/widget.js").headers["etag"] != client.get("/static/chat.js").headers["etag"]


def test_the_widget_stays_small(client: TestClient) -> None:
    # Pasted onto other sites' pages: it must stay light to load.
    assert len(client.get("/widget.js").content) < 30_000


def test_only_the_named_assets_are_served(client: TestClient) -> None:
    assert client.get("/static/chat.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/document.js").status_code == 200
    for name in (
        "core.js",
        "stream.js",
        "widget.js",
        "layout.html",
        "index.html",
        "..%2Fassets.py",
    ):
        assert client.get(f"/static/{name}").status_code == 404, name


@pytest.mark.parametrize(
    ("path", "body", "script"),
    [("/", "index.html", "chat.js"), ("/documents/abc", "document.html", "document.js")],
)
def test_pages_are_the_layout_around_their_body(
    client: TestClient, path: str, body: str, script: str
) -> None:
    response = client.get(path)
    html = response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert html.startswith("<!doctype html>\n") and html.endswith("</body>\n</html>\n")
    assert source(body) in html
    assert f'<script src="/static/{script}" defer></script>' in html
    assert "$" not in html  # every placeholder filled
    assert re.search(r"<title>[^<$]+</title>", html)
    etag = response.headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_an_edited_source_is_served_anew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    static = Path(shutil.copytree(STATIC, tmp_path / "static"))
    monkeypatch.setattr(assets, "STATIC", static)
    first = assets.script("widget.js")
    assert assets.script("widget.js") is first  # served from memory while nothing changes
    core = static / CORE
    core.write_text(core.read_text(encoding="utf-8") + "// edited\n", encoding="utf-8")
    os.utime(core, ns=(core.stat().st_atime_ns, core.stat().st_mtime_ns + 1_000_000))
    edited = assets.script("widget.js")
    assert b"// edited\n" in edited.body and edited.etag != first.etag
