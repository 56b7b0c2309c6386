"""The browser's files as served: pages in one layout, two scripts around one shared core.

No build step: a response is assembled from the files in `service/static/` when first asked
for (again after one of them changes) and then served from memory.

- A page is `layout.html` around the page's own body (`index.html`, `document.html`).
- `/static/chat.js` (the chat page) and `/widget.js` (the embeddable widget) are each one
  script: `LIMITS`, `stream.js` (the reader of POST /api/ask/stream's events), `core.js` (the
  conversation, asking, rendering answers), then the front end's own file, all inside one
  function, so the widget defines no globals on the sites that
  embed it. `LIMITS` are POST /api/ask's limits, the constants its request schema is declared
  with, so the browser trims the history it sends to what the API accepts without copying a
  number.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import NamedTuple

from askdocs.service.schemas import MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, MAX_TURN_CHARS

STATIC = Path(__file__).resolve().parent / "static"
CORE = "core.js"
# What both front ends share, in order: the stream reader, then the core that uses it.
SHARED = ("stream.js", CORE)
JS = "text/javascript; charset=utf-8"
HTML = "text/html; charset=utf-8"

# Each page: its title and its script; the body is the file of the same name.
PAGES = {
    "index.html": ("askdocs — ask your documents", "chat.js"),
    "document.html": ("Document — askdocs", "document.js"),
}
# The two front ends: each is served under its source file's name, with the core ahead of it.
FRONT_ENDS = ("chat.js", "widget.js")


class Asset(NamedTuple):
    """A response body, its content type and a strong ETag (made once, from the body)."""

    body: bytes
    media_type: str
    etag: str


def _asset(body: bytes, media_type: str) -> Asset:
    return Asset(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def api_limits() -> dict[str, int]:
    """What POST /api/ask accepts: the constants its request schema is declared with."""
    return {
        "questionChars": MAX_QUESTION_CHARS,
        "historyTurns": MAX_HISTORY_TURNS,
        "turnChars": MAX_TURN_CHARS,
    }


def limits_line() -> str:
    """The script line that gives the core the API's limits."""
    limits = json.dumps(api_limits(), sort_keys=True)
    return f"const LIMITS = Object.freeze({limits}); // POST /api/ask's limits\n"


def page(name: str) -> Asset:
    """A page: `layout.html` around the body in `name` (one of PAGES)."""
    return _page(name, _stamp("layout.html", name))


def script(name: str) -> Asset:
    """A front end (one of FRONT_ENDS): the limits, the shared files, its own source, in one
    function."""
    if name not in FRONT_ENDS:
        raise KeyError(name)
    return _script(name, _stamp(*SHARED, name))


def _stamp(*files: str) -> tuple[tuple[str, int], ...]:
    # Part of the cache key: a file's modification time changes when it is edited.
    return tuple((f, (STATIC / f).stat().st_mtime_ns) for f in files)


@lru_cache(maxsize=8)
def _page(name: str, stamp: object) -> Asset:
    title, script_name = PAGES[name]
    layout = Template(_read("layout.html"))
    html = layout.substitute(title=title, script=script_name, body=_read(name))
    return _asset(html.encode(), HTML)


@lru_cache(maxsize=8)
def _script(name: str, stamp: object) -> Asset:
    text = (
        f"/*! askdocs {name}: {', '.join(SHARED)} and {name} from askdocs/service/static,"
        " one script. */\n"
        '(() => {\n"use strict";\n\n'
        + limits_line()
        + "".join("\n" + _read(shared) for shared in SHARED)
        + "\n"
        + _read(name)
        + "})();\n"
    )
    return _asset(text.encode(), JS)


def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")
