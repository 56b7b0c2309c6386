"""What the browser tests share: the question whose answer the sample corpus holds, a host page
of another site embedding the widget, and steps that ask on the chat page or in the widget and
watch what the page fetches and logs. A reply counts once it is complete: a streamed answer is
shown busy (`aria-busy`) while it arrives.
"""

from __future__ import annotations

from typing import Protocol

import httpx
from playwright.sync_api import ConsoleMessage, Locator, Page, expect

QUESTION = "In a sentence, what is the Spotlight Initiative?"
EVIDENCE = (
    "Spotlight Initiative is the United Nations Secretary-General’s High Impact Initiative "
    "to end violence against women and girls"
)
OFF_TOPIC = "How many moons does Jupiter have?"
# The replies of a conversation, once complete (not the busy turn of an answer still arriving).
REPLIES = ".turn.answer:not([aria-busy]), .turn.notice, .turn.error"
STREAM_ROUTE = "/api/ask/stream"


class Served(Protocol):
    """A server the browser is pointed at: askdocs (LiveServer) or a stand-in."""

    url: str


def host_page(live: Served, title: str, css: str = "", body: str = "", extra: str = "") -> str:
    """A page of another site that embeds the widget with the README's one-line snippet."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{css}</style></head>
<body>
<nav><a href="index.html">Home</a> <a href="second.html">Second page</a></nav>
<h1>{title}</h1>
{body}
<script src="{live.url}/widget.js" data-title="Ask our docs" data-accent="#0b6e4f"
        data-greeting="Hello! Ask about our programmes." {extra} async></script>
</body></html>"""


def open_widget(page: Page) -> Locator:
    """Click the launcher; return the chat dialog."""
    page.get_by_role("button", name="Ask our docs").click()
    dialog = page.get_by_role("dialog", name="Ask our docs")
    expect(dialog).to_be_visible()
    return dialog


def ask_widget(page: Page, dialog: Locator, question: str) -> Locator:
    """Ask in the widget; return the answer bubble."""
    answers = dialog.locator(REPLIES)
    before = answers.count()
    dialog.get_by_label("Your question").fill(question)
    dialog.get_by_role("button", name="Send").click()
    expect(answers).to_have_count(before + 1)
    return answers.last


def ask_page(page: Page, question: str) -> Locator:
    """Ask on the chat page; return the answer turn."""
    answers = page.locator(REPLIES)
    before = answers.count()
    page.get_by_label("Your question").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(answers).to_have_count(before + 1)
    return answers.last


def document_requests(page: Page) -> list[str]:
    """The paths of every request the page makes below /api/documents."""
    paths: list[str] = []

    def seen(url: str) -> None:
        path = httpx.URL(url).path
        if path.startswith("/api/documents"):
            paths.append(path)

    page.on("request", lambda request: seen(request.url))
    return paths


def script_errors(page: Page) -> list[str]:
    """Collect uncaught script errors and console errors (CSP violations included).

    Not the browser's note of a 404 from POST /api/ask/stream: a server without the stream
    route answers so, and the front ends then ask POST /api/ask (as they are meant to)."""
    errors: list[str] = []

    def logged(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not msg.location.get("url", "").endswith(STREAM_ROUTE):
            errors.append(msg.text)

    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", logged)
    return errors
