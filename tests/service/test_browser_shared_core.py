"""One core for both front ends: the chat page and the widget, in a real browser (Debian
chromium via playwright), keep a stored conversation within the limits the API states.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from askdocs.service.assets import api_limits
from tests.service.browser_helpers import (
    EVIDENCE,
    QUESTION,
    ask_page,
    ask_widget,
    host_page,
    open_widget,
)

if TYPE_CHECKING:
    from tests.service.conftest import LiveServer, StaticSite

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
    with page.expect_response("**/api/ask/stream") as response:
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
