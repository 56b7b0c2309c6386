"""A document full of markup and script, shown as text by the widget, the chat page and the
document view in a real browser (Debian chromium via playwright), over real HTTP.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.writer import ingest_paths
from askdocs.settings import Settings
from tests.service.browser_helpers import ask_page, ask_widget, host_page, open_widget

if TYPE_CHECKING:
    from tests.service.conftest import LiveServer, StaticSite

SHADOW = "document.querySelector('askdocs-widget').shadowRoot"
# Plain text keeps every character (the Markdown loader would drop the link syntax); the file
# name, and so the title, carries markup too.
HOSTILE_NAME = "Zebra audit <img src=x onerror=window.__pwned=1>.txt"
HOSTILE_DOC = (
    "The zebra audit ledger is kept in the vault <img src=x onerror=\"window.__pwned='img'\"> "
    "beside <script>window.__pwned='script'</script> and the "
    "[zebra ledger link](javascript:window.__pwned='link') for the auditors.\n"
)
HOSTILE_QUESTION = "Where is the zebra audit ledger kept?"


def flag(page: Page) -> object:
    """The window flag any injected handler would set."""
    page.wait_for_timeout(300)  # let any error handler of a broken <img> fire
    return page.evaluate("window.__pwned")


@pytest.fixture(scope="module")
def hostile_server(
    serve: Callable[[Settings], LiveServer],
    sample_settings: Settings,
    sample_collection: Collection,
    embedder: Embedder,
    host_site: StaticSite,
    tmp_path_factory: pytest.TempPathFactory,
) -> LiveServer:
    """askdocs over the sample corpus plus a document full of markup and script."""
    tmp = tmp_path_factory.mktemp("hostile")
    index = Path(shutil.copytree(sample_settings.index, tmp / "index"))
    docs = tmp / "docs"
    docs.mkdir()
    (docs / HOSTILE_NAME).write_text(HOSTILE_DOC, encoding="utf-8")
    settings = Settings(index=index, allowed_origins=[host_site.url])
    report = ingest_paths(index, [docs], embedder, settings)
    assert len(report.added) == 1
    return serve(settings)


def test_widget_renders_hostile_document_text_as_text(
    page: Page, hostile_server: LiveServer, host_site: StaticSite
) -> None:
    page.goto(host_site.write("xss.html", host_page(hostile_server, "Plain shop")))
    dialog = open_widget(page)
    answer = ask_widget(page, dialog, HOSTILE_QUESTION)
    expect(answer).to_contain_text("""<img src=x onerror="window.__pwned='img'">""")
    expect(answer).to_contain_text("<script>window.__pwned='script'</script>")
    expect(answer).to_contain_text("[zebra ledger link](javascript:window.__pwned='link')")
    source = answer.locator(".source").first
    expect(source.locator("h4")).to_contain_text("Zebra audit <img src=x onerror=window.__pwned=1>")
    injected = page.evaluate(
        f"{SHADOW}.querySelectorAll('img, script, iframe, a[href^=\"javascript:\"]').length"
    )
    assert injected == 0
    assert flag(page) is None

    with page.context.expect_page() as opened:  # the source link opens the document view
        source.get_by_role("link", name=re.compile("Open at this passage")).click()
    view = opened.value
    expect(view.locator("mark#excerpt")).to_contain_text("<script>window.__pwned='script'</script>")
    expect(view.locator("mark#excerpt")).to_be_in_viewport()
    assert view.locator("#doc-text img, #doc-text script").count() == 0
    assert flag(view) is None
    assert flag(page) is None


def test_chat_page_and_document_view_render_hostile_text_as_text(
    page: Page, hostile_server: LiveServer
) -> None:
    page.goto(hostile_server.url + "/")
    answer = ask_page(page, HOSTILE_QUESTION)
    expect(answer.locator(".text")).to_contain_text("<script>window.__pwned='script'</script>")
    assert page.locator(".conversation img, .conversation script").count() == 0
    assert page.locator('.conversation a[href^="javascript:"]').count() == 0
    assert flag(page) is None

    answer.get_by_role("link", name=re.compile("Open at this passage")).first.click()
    mark = page.locator("mark#excerpt")
    expect(mark).to_contain_text("""<img src=x onerror="window.__pwned='img'">""")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Zebra audit <img src=x onerror=window.__pwned=1>"
    )
    assert page.locator("#doc-text img, #doc-text script").count() == 0
    assert flag(page) is None
