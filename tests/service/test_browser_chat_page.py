"""The chat page and the document view in a real browser (Debian chromium via playwright),
against askdocs served over real HTTP with the real model and index.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.service.browser_helpers import (
    EVIDENCE,
    OFF_TOPIC,
    QUESTION,
    ask_page,
    document_requests,
    script_errors,
)

if TYPE_CHECKING:
    from tests.service.conftest import LiveServer


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
    page.route(re.compile(r"/api/ask(/stream)?$"), lambda route: route.abort("connectionrefused"))
    answer = ask_page(page, QUESTION)
    expect(answer).to_have_class(re.compile("error"))
    expect(answer).to_contain_text("Can't reach the askdocs service")
    expect(page.get_by_label("Your question")).to_have_value(QUESTION)  # ready to resend


def test_chat_page_sends_history_for_follow_ups(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    ask_page(page, "Is there a quota for women in security institutions?")
    with page.expect_request("**/api/ask/stream") as request:
        answer = ask_page(page, "And in Mali?")
    sent = json.loads(request.value.post_data or "{}")
    assert sent["history"][0] == {
        "role": "user",
        "content": "Is there a quota for women in security institutions?",
    }
    # Which Mali sentence is quoted is for the evals to judge; here: the follow-up was answered
    # in the light of the conversation the page sent.
    expect(answer.locator(".text")).to_contain_text("Mali")
