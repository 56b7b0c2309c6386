"""The chat page, the document view and the embeddable widget in a real browser (Debian
chromium via playwright), against askdocs served over real HTTP with the real model and index.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.writer import ingest_paths
from askdocs.service.assets import api_limits
from askdocs.settings import Settings

if TYPE_CHECKING:
    from tests.service.conftest import LiveServer, StaticSite

QUESTION = "In a sentence, what is the Spotlight Initiative?"
EVIDENCE = (
    "Spotlight Initiative is the United Nations Secretary-General’s High Impact Initiative "
    "to end violence against women and girls"
)
OFF_TOPIC = "How many moons does Jupiter have?"
SHADOW = "document.querySelector('askdocs-widget').shadowRoot"

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
# Plain text keeps every character (the Markdown loader would drop the link syntax); the file
# name, and so the title, carries markup too.
HOSTILE_NAME = "Zebra audit <img src=x onerror=window.__pwned=1>.txt"
HOSTILE_DOC = (
    "The zebra audit ledger is kept in the vault <img src=x onerror=\"window.__pwned='img'\"> "
    "beside <script>window.__pwned='script'</script> and the "
    "[zebra ledger link](javascript:window.__pwned='link') for the auditors.\n"
)
HOSTILE_QUESTION = "Where is the zebra audit ledger kept?"


def host_page(live: LiveServer, title: str, css: str = "", body: str = "", extra: str = "") -> str:
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
    answers = dialog.locator(".turn.answer, .turn.notice, .turn.error")
    before = answers.count()
    dialog.get_by_label("Your question").fill(question)
    dialog.get_by_role("button", name="Send").click()
    expect(answers).to_have_count(before + 1)
    return answers.last


def ask_page(page: Page, question: str) -> Locator:
    """Ask on the chat page; return the answer turn."""
    answers = page.locator(".turn.answer, .turn.notice, .turn.error")
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
    """Collect uncaught script errors and console errors (CSP violations included)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def flag(page: Page) -> object:
    """The window flag any injected handler would set."""
    page.wait_for_timeout(300)  # let any error handler of a broken <img> fire
    return page.evaluate("window.__pwned")


# 1. The chat page ------------------------------------------------------------------------


def test_chat_page_answers_with_source_card_linking_to_highlighted_excerpt(
    page: Page, live_server: LiveServer
) -> None:
    errors = script_errors(page)
    fetched = document_requests(page)
    page.goto(live_server.url + "/")
    expect(page.get_by_label("Your question")).to_be_visible()
    answer = ask_page(page, QUESTION)
    expect(answer.locator(".text")).to_contain_text(EVIDENCE)
    marker = answer.locator("a.cite").first
    expect(marker).to_have_text("[1]")
    card = answer.locator(".source").first
    expect(card.locator("mark")).to_contain_text(EVIDENCE)  # evidence highlighted in the card
    expect(card.locator(".excerpt")).to_contain_text("…")  # with the text around it
    # ...asked of the passage route: no whole document is downloaded for a card.
    assert fetched and all(path.endswith("/passage") for path in fetched), fetched
    excerpt = card.locator("mark").inner_text()
    marker.click()  # [1] jumps to source card 1
    expect(page).to_have_url(re.compile(r"#src-\d+-1$"))

    link = card.get_by_role("link", name=re.compile("Open at this passage"))
    href = link.get_attribute("href") or ""
    assert re.fullmatch(r"/documents/[0-9a-f]+#\d+-\d+", href)
    link.click()
    expect(page).to_have_url(re.compile(r"/documents/[0-9a-f]+#\d+-\d+$"))
    highlighted = page.locator("#doc-text mark#excerpt")
    expect(highlighted).to_have_text(excerpt)
    expect(highlighted).to_be_in_viewport()
    expect(highlighted).to_be_focused()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Spotlight Initiative and DPKO profile"
    )

    page.go_back()  # the conversation survives the round trip (sessionStorage)
    expect(page.locator(".turn.answer .text").first).to_contain_text(EVIDENCE)
    assert errors == []


VISIBLE_REPLY = """(reply) => {
  const box = document.getElementById("ask-form").getBoundingClientRect();
  const r = reply.getBoundingClientRect();
  const seen = Math.max(0, Math.min(r.bottom, box.top, innerHeight) - Math.max(r.top, 0));
  return [seen, r.height, r.top, box.top];
}"""


@pytest.mark.parametrize(
    "viewport", [{"width": 1366, "height": 768}, {"width": 390, "height": 844}], ids=str
)
def test_chat_page_shows_each_new_reply_above_the_question_box(
    browser: Browser, live_server: LiveServer, viewport: ViewportSize, tmp_path: Path
) -> None:
    ctx = browser.new_context(viewport=viewport, reduced_motion="reduce")
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    page.goto(live_server.url + "/")
    questions = [QUESTION, "How many programmes did Spotlight run in its first phase?", OFF_TOPIC]
    for turn, question in enumerate(questions, start=1):
        reply = ask_page(page, question)
        page.wait_for_timeout(300)  # source cards fill in their context, the reply is placed again
        seen, height, top, box_top = reply.evaluate(VISIBLE_REPLY)
        page.screenshot(path=str(tmp_path / f"reply-{turn}.png"))
        # The reply starts in view, above the sticky box, and as much of it shows as fits.
        assert 0 <= top < box_top, (turn, top, box_top)
        assert seen >= min(height, box_top - 16), (turn, seen, height, box_top)
    ctx.close()


def test_chat_page_says_when_documents_dont_cover_the_question(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/")
    answer = ask_page(page, OFF_TOPIC)
    expect(answer).to_have_class(re.compile("notice"))
    expect(answer).to_contain_text("The documents don't cover this question.")
    expect(answer.locator(".source")).to_have_count(0)


def test_chat_page_says_when_the_service_is_unreachable(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/")
    page.route("**/api/ask", lambda route: route.abort("connectionrefused"))
    answer = ask_page(page, QUESTION)
    expect(answer).to_have_class(re.compile("error"))
    expect(answer).to_contain_text("Can't reach the askdocs service")
    expect(page.get_by_label("Your question")).to_have_value(QUESTION)  # ready to resend


def test_chat_page_sends_history_for_follow_ups(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    ask_page(page, "Is there a quota for women in security institutions?")
    with page.expect_request("**/api/ask") as request:
        answer = ask_page(page, "And in Mali?")
    sent = json.loads(request.value.post_data or "{}")
    assert sent["history"][0] == {
        "role": "user",
        "content": "Is there a quota for women in security institutions?",
    }
    # Which Mali sentence is quoted is for the evals to judge; here: the follow-up was answered
    # in the light of the conversation the page sent.
    expect(answer.locator(".text")).to_contain_text("Mali")


# 2. The widget on another site, with hostile CSS ------------------------------------------


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
    with page.expect_request(f"{live_server.url}/api/ask") as request:
        answer = ask_widget(
            page, dialog, "Is there a quota for women in the security forces there?"
        )
    history = json.loads(request.value.post_data or "{}")["history"]
    assert history[0] == {"role": "user", "content": first}
    assert history[1]["role"] == "assistant"
    expect(answer).to_contain_text("30% female quota")


# 3. Hostile document text is shown as text -------------------------------------------------


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


# 4. Origins that are not allowed ------------------------------------------------------------


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


# 5. Keyboard only ----------------------------------------------------------------------------


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


# 6. One core for both front ends -------------------------------------------------------------

LONG_TURN = "Tell me more about the Spotlight Initiative in Mali and its programmes. " * 140


@pytest.mark.parametrize("front_end", ["page", "widget"])
def test_both_front_ends_send_history_within_the_api_limits(
    page: Page, live_server: LiveServer, host_site: StaticSite, front_end: str
) -> None:
    """A stored conversation longer than the API takes: the core trims what it sends to the
    limits the server states, so the question is answered, not refused with a 422."""
    limits = api_limits()
    assert len(LONG_TURN) > limits["turnChars"]
    seeded = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"{i} {LONG_TURN}"}
        for i in range(limits["historyTurns"] + 10)
    ]
    if front_end == "page":
        url, key = live_server.url + "/", "askdocs:chat"
    else:
        url = host_site.write("limits.html", host_page(live_server, "Limits shop"))
        key = f"askdocs-widget:{live_server.url}"
    stored = json.dumps({"turns": seeded})
    page.add_init_script(f"sessionStorage.setItem({json.dumps(key)}, {json.dumps(stored)})")
    page.goto(url)
    dialog = None if front_end == "page" else open_widget(page)
    box = (dialog or page).get_by_label("Your question")
    assert box.evaluate("b => b.maxLength") == limits["questionChars"]
    with page.expect_response("**/api/ask") as response:
        answer = ask_widget(page, dialog, QUESTION) if dialog else ask_page(page, QUESTION)
    assert response.value.status == 200
    sent = json.loads(response.value.request.post_data or "{}")["history"]
    kept = seeded[-limits["historyTurns"] :]
    assert [t["content"][:3] for t in sent] == [t["content"][:3] for t in kept]
    assert all(len(t["content"]) == limits["turnChars"] for t in sent)
    card = answer.locator(".source").first
    expect(card.locator("mark")).to_contain_text(EVIDENCE)
    expect(card.locator(".excerpt")).to_contain_text("…")
    before = page.url
    answer.locator("a.cite").first.click()  # [1] takes focus to source card 1
    expect(card).to_be_focused()
    if front_end == "widget":
        assert page.url == before  # inside its shadow root; the host page's URL is untouched
