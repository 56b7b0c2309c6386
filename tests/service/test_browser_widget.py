"""The embeddable widget on pages of other sites in a real browser (Debian chromium via
playwright): hostile CSS, a phone screen, a conversation across pages, an origin that is not
allowed, and the keyboard alone. askdocs is served over real HTTP with the real model and index.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.service.browser_helpers import (
    EVIDENCE,
    QUESTION,
    ask_widget,
    document_requests,
    host_page,
    open_widget,
    script_errors,
)

if TYPE_CHECKING:
    from tests.service.conftest import LiveServer, StaticSite

PHONE: ViewportSize = {"width": 375, "height": 700}
# Global rules of the kind real sites ship, made as aggressive as CSS allows (!important on
# everything, rules on the widget's own class names).
HOSTILE_CSS = """
  * { font-family: "Comic Sans MS", cursive !important; color: #f0f !important;
      line-height: 3 !important; letter-spacing: 4px !important; box-sizing: content-box !important;
      margin: 7px !important; padding: 9px !important; position: relative !important;
      z-index: 0 !important; width: auto !important; height: auto !important; }
  body { font-size: 31px !important; background: #222 !important; }
  div { display: inline !important; position: static !important; border: 6px dashed lime !important;
        background: yellow !important; padding: 30px !important; margin: 40px !important; }
  button { display: none !important; width: 3px !important; }
  section, ol, li, form, textarea, h2, h4, blockquote, mark, a, svg, span {
    display: none !important; }
  .launcher, .panel, .source, .log { background: red !important; display: none !important; }
"""


# The widget on another site, with hostile CSS ------------------------------------------


def test_widget_on_hostile_page_answers_with_sources(
    page: Page, live_server: LiveServer, host_site: StaticSite, tmp_path: Path
) -> None:
    probe = (
        '<p class="turn user notice" id="probe">Host text using the widget\'s class names.</p>'
        '<div class="panel">The shop\'s own panel</div><button type="button">Buy</button>'
    )
    url = host_site.write(
        "hostile.html", host_page(live_server, "Hostile shop", HOSTILE_CSS, probe)
    )
    errors = script_errors(page)
    fetched = document_requests(page)
    page.goto(url)
    launcher = page.get_by_role("button", name="Ask our docs")
    expect(launcher).to_be_visible()
    box = launcher.bounding_box()
    assert box is not None and 50 <= box["width"] <= 62 and 50 <= box["height"] <= 62
    assert launcher.get_attribute("aria-expanded") == "false"

    dialog = open_widget(page)
    expect(dialog.get_by_text("Hello! Ask about our programmes.")).to_be_visible()
    answer = ask_widget(page, dialog, QUESTION)
    expect(answer).to_contain_text(EVIDENCE)
    source = answer.locator(".source").first
    expect(source).to_be_visible()
    expect(source.locator("mark")).to_contain_text(EVIDENCE)
    expect(source.locator("blockquote")).to_contain_text("…")  # context from the passage route
    assert fetched and all(path.endswith("/passage") for path in fetched), fetched
    expect(source).to_contain_text("Spotlight Initiative and DPKO profile")
    link = source.get_by_role("link", name=re.compile("Open at this passage"))
    href = link.get_attribute("href") or ""
    assert re.fullmatch(re.escape(live_server.url) + r"/documents/[0-9a-f]+#\d+-\d+", href)
    assert link.get_attribute("target") == "_blank"

    # The page's CSS did not reach inside: the widget keeps its own font, colours and layout.
    style = dialog.evaluate(
        "e => { const s = getComputedStyle(e.querySelector('.turn.answer p'));"
        " return [s.fontFamily, s.color, s.letterSpacing, getComputedStyle(e).display]; }"
    )
    assert "Comic" not in style[0] and style[1] != "rgb(255, 0, 255)"
    assert style[2] == "normal" and style[3] == "flex"
    panel = dialog.bounding_box()
    assert panel is not None and panel["x"] + panel["width"] <= 1280 and panel["y"] >= 0
    # ...and the widget's CSS did not leak out onto the host's elements with the same classes.
    leaked = page.evaluate(
        "() => { const s = getComputedStyle(document.getElementById('probe'));"
        " return [s.borderTopLeftRadius, s.backgroundColor, s.borderLeftWidth]; }"
    )
    assert leaked == ["0px", "rgba(0, 0, 0, 0)", "0px"]

    source.evaluate("card => card.scrollIntoView({block: 'end'})")  # answer end and card 1
    assert [e for e in errors if "favicon" not in e and "404" not in e] == []
    shot = tmp_path / "widget-open.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    print(f"widget screenshot: {shot}")


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page at phone width."""
    # Reduced motion: no opening animation, so the panel's box is final once it is visible.
    ctx = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, reduced_motion="reduce"
    )
    ctx.set_default_timeout(30_000)
    yield ctx.new_page()
    ctx.close()


def test_widget_fills_a_phone_screen(
    phone: Page, live_server: LiveServer, host_site: StaticSite, tmp_path: Path
) -> None:
    page = phone
    page.goto(host_site.write("phone.html", host_page(live_server, "Phone shop")))
    dialog = open_widget(page)
    box = dialog.bounding_box()
    assert box is not None
    assert (round(box["x"]), round(box["y"])) == (0, 0)
    assert (round(box["width"]), round(box["height"])) == (PHONE["width"], PHONE["height"])
    answer = ask_widget(page, dialog, QUESTION)
    expect(answer.locator(".source").first).to_be_in_viewport()
    expect(dialog.get_by_role("button", name="Close chat")).to_be_in_viewport()
    page.screenshot(path=str(tmp_path / "widget-phone.png"))


def test_widget_remembers_the_conversation_across_pages(
    page: Page, live_server: LiveServer, host_site: StaticSite
) -> None:
    host_site.write("second.html", host_page(live_server, "Second page"))
    page.goto(host_site.write("index.html", host_page(live_server, "Home page")))
    dialog = open_widget(page)
    first = "What did MINUSMA do on security sector reform in Mali?"
    ask_widget(page, dialog, first)

    page.get_by_role("link", name="Second page").click()
    expect(page.get_by_role("heading", name="Second page")).to_be_visible()
    dialog = page.get_by_role("dialog", name="Ask our docs")
    expect(dialog).to_be_visible()  # it was open: it stays open
    expect(dialog.locator(".turn.user").first).to_have_text(first)
    with page.expect_request(f"{live_server.url}/api/ask/stream") as request:
        answer = ask_widget(
            page, dialog, "Is there a quota for women in the security forces there?"
        )
    history = json.loads(request.value.post_data or "{}")["history"]
    assert history[0] == {"role": "user", "content": first}
    assert history[1]["role"] == "assistant"
    expect(answer).to_contain_text("30% female quota")


# Origins that are not allowed ------------------------------------------------------------


def test_browser_refuses_requests_from_a_non_allowed_origin(
    page: Page, live_server: LiveServer, host_site: StaticSite, foreign_site: StaticSite
) -> None:
    probe = """async (base) => Promise.all([
        fetch(base + '/healthz').then(r => 'allowed ' + r.status, e => 'refused ' + e.name),
        fetch(base + '/api/ask', {method: 'POST', headers: {'Content-Type': 'application/json'},
              body: JSON.stringify({question: 'What is the Spotlight Initiative?'})})
          .then(r => 'allowed ' + r.status, e => 'refused ' + e.name)])"""

    page.goto(foreign_site.write("foreign.html", host_page(live_server, "Foreign shop")))
    assert page.evaluate(probe, live_server.url) == ["refused TypeError", "refused TypeError"]
    answer = ask_widget(page, open_widget(page), QUESTION)  # the widget says it can't connect
    expect(answer).to_have_class(re.compile("error"))
    expect(answer).to_contain_text("can't be reached")
    # The server did answer, but without the header the browser needs.
    response = httpx.get(live_server.url + "/healthz", headers={"Origin": foreign_site.url})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers

    page.goto(host_site.write("allowed.html", host_page(live_server, "Allowed shop")))
    assert page.evaluate(probe, live_server.url) == ["allowed 200", "allowed 200"]


# Keyboard only ----------------------------------------------------------------------------


def _focused_in_widget(page: Page) -> str:
    """Describe the element focused inside the widget ('' when focus is outside it)."""
    return str(
        page.evaluate(
            "() => { const h = document.querySelector('askdocs-widget');"
            " if (document.activeElement !== h) return '';"
            " const e = h.shadowRoot.activeElement;"
            " return e ? e.tagName.toLowerCase() + '.' + e.className + '|'"
            " + (e.getAttribute('aria-label') || e.textContent) : ''; }"
        )
    )


def test_widget_works_with_the_keyboard_alone(
    page: Page, live_server: LiveServer, host_site: StaticSite
) -> None:
    page.goto(host_site.write("keyboard.html", host_page(live_server, "Keyboard shop")))
    launcher = page.get_by_role("button", name="Ask our docs")
    expect(launcher).to_be_visible()
    for _ in range(10):  # tab past the page's own links to the launcher
        page.keyboard.press("Tab")
        if _focused_in_widget(page).startswith("button.launcher"):
            break
    assert _focused_in_widget(page) == "button.launcher|Ask our docs"

    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Ask our docs")
    expect(dialog).to_be_visible()
    assert launcher.get_attribute("aria-expanded") == "true"
    assert _focused_in_widget(page).startswith("textarea")

    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    expect(dialog.locator(".turn.answer .source").first).to_contain_text(EVIDENCE)
    assert _focused_in_widget(page).startswith("textarea")  # ready for the next question
    page.keyboard.press("Tab")
    assert _focused_in_widget(page) == "button.send|Send"

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert _focused_in_widget(page) == "button.launcher|Ask our docs"
    assert launcher.get_attribute("aria-expanded") == "false"
