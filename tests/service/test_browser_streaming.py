"""Streamed answers on the chat page and in the widget, in a real browser (Debian chromium via
playwright): each sentence shows as it arrives, and the final answer replaces them once `done`
comes. The stream is scripted by a stand-in server (stream_stub) serving the real pages and
scripts, so each step can be looked at before the next is sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.service.browser_helpers import REPLIES, ask_page, ask_widget, host_page, open_widget
from tests.service.stream_stub import StreamStub, sse, start_stub

if TYPE_CHECKING:
    from tests.service.conftest import LiveServer, StaticSite


def citation(n: int, title: str, excerpt: str) -> dict[str, Any]:
    """A source as POST /api/ask gives it."""
    return {"n": n, "doc_id": f"doc{n}", "title": title, "source": f"{title}.txt",
            "excerpt": excerpt, "start": 10 * n, "end": 10 * n + len(excerpt), "score": 0.5,
            "section": None, "page": None}  # fmt: skip


SOURCES = [
    citation(1, "Spotlight profile", "Spotlight ran 34 programmes in its first phase."),
    citation(2, "Regions note", "Its programmes covered five regions."),
    citation(3, "Unused note", "Nothing cited from here."),
]
# A sentence per delta; the second's "☕" is sent in two network writes, cut inside it.
DELTAS = ["Spotlight ran 34 programmes [1].", " They covered five regions, café ☕ included [2]."]
ANSWER = "".join(DELTAS)
DONE = {
    "answer": ANSWER,
    "abstained": False,
    "mode": "generated",
    "dropped": 1,
    "citations": SOURCES[:2],  # only the sources the final answer cites
}
QUESTION = "How many programmes did Spotlight run?"


@pytest.fixture
def stub(host_site: StaticSite) -> Iterator[StreamStub]:
    """A stand-in askdocs with a scripted stream, allowing the host site's origin."""
    server = start_stub([host_site.url])
    yield server
    server.stop()


def open_front_end(page: Page, stub: StreamStub, host_site: StaticSite, front_end: str) -> Locator:
    """The chat page, or a host page with the widget open: where the conversation is."""
    if front_end == "page":
        page.goto(stub.url + "/")
        return page.locator("body")
    page.goto(host_site.write("stream.html", host_page(stub, "Streaming shop")))
    return open_widget(page)


def send_question(scope: Locator, front_end: str, question: str) -> None:
    scope.get_by_label("Your question").fill(question)
    scope.get_by_role("button", name="Ask" if front_end == "page" else "Send", exact=True).click()


@pytest.mark.parametrize("front_end", ["page", "widget"])
def test_streamed_answer_shows_as_it_arrives_then_the_checked_answer(
    page: Page, stub: StreamStub, host_site: StaticSite, front_end: str
) -> None:
    streams = stub.streams
    scope = open_front_end(page, stub, host_site, front_end)
    draft = scope.locator(".turn.answer[aria-busy=true]")
    replies = scope.locator(REPLIES)
    intro = replies.count()  # the widget's greeting
    send_question(scope, front_end, QUESTION)
    expect(scope.locator(".turn.pending")).to_contain_text("Searching the documents")

    streams.send(b": keep-alive\n\n")
    streams.event("citations", {"citations": SOURCES})
    expect(draft).to_contain_text("Writing the answer")  # the answer's turn, nothing in it yet
    expect(scope.locator(".turn.pending")).to_have_count(0)

    streams.event("delta", {"text": DELTAS[0]})
    expect(draft.locator(".text")).to_have_text(DELTAS[0])  # shown before the rest is sent
    expect(draft.locator("a.cite")).to_have_text(["[1]"])  # [n] linked as in the final answer
    expect(draft.locator(".source")).to_have_count(0)
    expect(replies).to_have_count(intro)  # no complete reply yet

    second = sse("delta", {"text": DELTAS[1]})
    cut = second.index("☕".encode()) + 1
    streams.send(second[:cut])
    streams.send(second[cut:])
    expect(draft.locator(".text")).to_have_text(DELTAS[0] + DELTAS[1])
    expect(draft.locator("a.cite")).to_have_text(["[1]", "[2]"])
    expect(replies).to_have_count(intro)

    streams.event("done", DONE)
    streams.end()
    answer = replies.last
    expect(replies).to_have_count(intro + 1)
    expect(draft).to_have_count(0)
    expect(answer.locator(".text")).to_have_text(ANSWER)
    expect(answer.locator(".writing")).to_have_count(0)
    expect(answer.locator(".mode")).to_have_text(
        "Generated · checked against the sources · 1 unsupported sentence removed"
    )
    cards = answer.locator(".source")
    expect(cards).to_have_count(2)  # done's sources, not every source streamed first
    expect(cards.locator("mark")).to_have_text([c["excerpt"] for c in SOURCES[:2]])
    answer.locator("a.cite").last.click()  # [2] takes focus to source card 2
    expect(cards.last).to_be_focused()

    # The next question carries the conversation: the answer as `done` gave it.
    send_question(scope, front_end, "And in Mali?")
    streams.event("done", {**DONE, "answer": "In Mali too [1].", "mode": "extractive"})
    streams.end()
    expect(replies).to_have_count(intro + 2)
    expect(replies.last.locator(".mode")).to_have_count(0)  # extractive: nothing to say
    assert streams.asked[1]["history"] == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": ANSWER},
    ]


@pytest.mark.parametrize("front_end", ["page", "widget"])
def test_an_error_event_replaces_the_partial_answer(
    page: Page, stub: StreamStub, host_site: StaticSite, front_end: str
) -> None:
    scope = open_front_end(page, stub, host_site, front_end)
    send_question(scope, front_end, QUESTION)
    stub.streams.event("citations", {"citations": SOURCES})
    stub.streams.event("delta", {"text": DELTAS[0]})
    expect(scope.locator(".turn.answer[aria-busy=true] .text")).to_have_text(DELTAS[0])
    stub.streams.event("error", {"detail": "the model server stopped answering"})
    error = scope.locator(".turn.error")
    expect(error).to_have_text(
        "Sorry, the question could not be answered: the model server stopped answering"
    )
    expect(error).to_have_attribute("role", "alert")
    expect(scope.locator(".turn.answer[aria-busy]")).to_have_count(0)
    expect(scope.get_by_label("Your question")).to_have_value(QUESTION)  # ready to resend


def test_a_stream_cut_before_done_says_the_service_cannot_be_reached(
    page: Page, stub: StreamStub, host_site: StaticSite
) -> None:
    scope = open_front_end(page, stub, host_site, "page")
    send_question(scope, "page", QUESTION)
    stub.streams.event("delta", {"text": DELTAS[0]})  # a delta first also opens the answer
    expect(scope.locator(".turn.answer[aria-busy=true] .text")).to_have_text(DELTAS[0])
    stub.streams.end()
    expect(scope.locator(".turn.error")).to_contain_text("Can't reach the askdocs service")
    expect(scope.locator(".turn.answer")).to_have_count(0)


@pytest.mark.parametrize("front_end", ["page", "widget"])
def test_an_error_before_the_stream_is_shown_as_for_the_plain_route(
    page: Page, stub: StreamStub, host_site: StaticSite, front_end: str
) -> None:
    detail = "too many questions from this address; wait a minute"
    stub.streams.plain = (429, {"detail": detail})
    scope = open_front_end(page, stub, host_site, front_end)
    send_question(scope, front_end, QUESTION)
    expect(scope.locator(".turn.error")).to_have_text(
        "Sorry, the question could not be answered: too many questions from this address; "
        "wait a minute"
    )


def test_a_plain_answer_from_the_stream_route_is_shown(
    page: Page, stub: StreamStub, host_site: StaticSite
) -> None:
    """Not an event stream (a proxy that buffers and rewrites, say): the JSON answer is used."""
    stub.streams.plain = (200, DONE)
    scope = open_front_end(page, stub, host_site, "page")
    send_question(scope, "page", QUESTION)
    answer = scope.locator(REPLIES).last
    expect(answer.locator(".text")).to_have_text(ANSWER)
    expect(answer.locator(".source")).to_have_count(2)


def test_a_streamed_abstention_is_shown_as_a_notice(
    page: Page, stub: StreamStub, host_site: StaticSite
) -> None:
    scope = open_front_end(page, stub, host_site, "page")
    send_question(scope, "page", QUESTION)
    stub.streams.event("citations", {"citations": []})
    nothing = "The documents don't cover this question."
    done = {"answer": nothing, "abstained": True, "mode": "extractive", "dropped": 0}
    stub.streams.event("done", {**done, "citations": []})
    stub.streams.end()
    notice = scope.locator(".turn.notice")
    expect(notice).to_contain_text(nothing)
    expect(notice.locator(".source")).to_have_count(0)
    stored = page.evaluate("sessionStorage.getItem('askdocs:chat')")
    assert json.loads(stored)["turns"][1]["abstained"] is True


# Against the real service: its stream route answers. ---------------------------------------


@pytest.mark.parametrize("front_end", ["page", "widget"])
def test_the_real_service_streams_to_both_front_ends(
    page: Page, live_server: LiveServer, host_site: StaticSite, front_end: str
) -> None:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(_path(r.url)) if r.method == "POST" else None)
    with page.expect_response("**/api/ask/stream") as response:
        answer = _ask_twice(page, live_server, host_site, front_end)
    assert response.value.headers["content-type"].startswith("text/event-stream")
    expect(answer.locator(".source").first).to_be_visible()
    expect(answer.locator(".text")).to_contain_text("[1]")
    assert asked == ["/api/ask/stream", "/api/ask/stream"]


# Against askdocs without the stream route (an older server): the plain route answers. -----


@pytest.mark.parametrize("front_end", ["page", "widget"])
def test_a_server_without_the_stream_route_is_asked_the_plain_route(
    page: Page, live_server: LiveServer, host_site: StaticSite, front_end: str
) -> None:
    def older_server(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()  # the widget's CORS preflight: the real server answers it
            return
        origin = route.request.headers.get("origin", "*")
        route.fulfill(status=404, json={"detail": "Not Found"},
                      headers={"access-control-allow-origin": origin})  # fmt: skip

    page.route("**/api/ask/stream", older_server)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(_path(r.url)) if r.method == "POST" else None)
    answer = _ask_twice(page, live_server, host_site, front_end)
    expect(answer.locator(".source").first).to_be_visible()
    expect(answer.locator(".mode")).to_have_count(0)
    # The stream route is tried once; its 404 sends this and every later question to /api/ask.
    assert asked == ["/api/ask/stream", "/api/ask", "/api/ask"]


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _ask_twice(
    page: Page, live_server: LiveServer, host_site: StaticSite, front_end: str
) -> Locator:
    """Ask two questions on the page or in the widget; the first answer."""
    if front_end == "page":
        page.goto(live_server.url + "/")
        first = ask_page(page, "What is the Spotlight Initiative?")
        ask_page(page, "How many programmes did Spotlight run in its first phase?")
        return first
    page.goto(host_site.write("plain.html", host_page(live_server, "Plain shop")))
    dialog = open_widget(page)
    first = ask_widget(page, dialog, "What is the Spotlight Initiative?")
    ask_widget(page, dialog, "How many programmes did Spotlight run in its first phase?")
    return first
