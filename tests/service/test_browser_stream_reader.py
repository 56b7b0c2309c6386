"""The stream reader (stream.js, served ahead of core.js in both front ends) in a real browser
(Debian chromium via playwright): a stream of events cut at every byte, and at every pair of
bytes, gives the same events as the stream in one piece.
"""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Page

from askdocs.service.assets import STATIC

# Every case the format allows a server or a proxy to send: "\r\n", "\n" and lone "\r" line
# ends, comments (keep-alives), a blank line with no event, multi-byte UTF-8 characters (two,
# three and four bytes), a value without the space after the colon, two data lines, an unnamed
# event, and a last event with no blank line after it (handled when the stream ends).
STREAM = (
    ": keep-alive\r\n\r\n"
    'event: citations\r\ndata: {"citations":[{"n":1,"title":"Café"}]}\r\n\r\n'
    'event: delta\ndata: {"text":"34 € — naïve 😀 [1]."}\n\n'
    ": ping\n\n"
    'event: delta\rdata:{"text":" Next [1]."}\r\r'
    "data: first\ndata: second\n\n"
    'event: done\ndata: {"answer":"34 € — naïve 😀 [1]. Next [1].","mode":"generated"}'
)
EXPECTED = [
    {"type": "citations", "data": '{"citations":[{"n":1,"title":"Café"}]}'},
    {"type": "delta", "data": '{"text":"34 € — naïve 😀 [1]."}'},
    {"type": "delta", "data": '{"text":" Next [1]."}'},
    {"type": "message", "data": "first\nsecond"},
    {"type": "done", "data": '{"answer":"34 € — naïve 😀 [1]. Next [1].","mode":"generated"}'},
]

# Runs in the page: the reader fed `stream` cut at the given byte offsets; every distinct
# outcome (as JSON) with the first cuts that gave it.
SPLIT_RUNS = """({ stream, pairs }) => {
  const bytes = new TextEncoder().encode(stream);
  const run = (cuts) => {
    const reader = createEventReader();
    const events = [];
    let at = 0;
    for (const cut of [...cuts, bytes.length]) {
      events.push(...reader.feed(bytes.subarray(at, cut)));
      at = cut;
    }
    return JSON.stringify([...events, ...reader.end()]);
  };
  const cutsList = [[]];
  for (let i = 0; i <= bytes.length; i++) {
    cutsList.push([i]);
    if (pairs) for (let j = i; j <= bytes.length; j++) cutsList.push([i, j]);
  }
  cutsList.push([...bytes.keys()].slice(1)); // one byte a read
  const outcomes = {};
  for (const cuts of cutsList) {
    const outcome = run(cuts);
    if (!(outcome in outcomes)) outcomes[outcome] = cuts;
  }
  return { bytes: bytes.length, runs: cutsList.length, outcomes };
}"""


def with_reader(body: str) -> str:
    """A page function that has stream.js's functions in scope, as the served scripts have."""
    reader = (STATIC / "stream.js").read_text(encoding="utf-8")
    return f"(input) => {{\n{reader}\nreturn ({body})(input);\n}}"


def test_stream_cut_at_every_byte_and_pair_of_bytes_gives_the_same_events(page: Page) -> None:
    result: dict[str, Any] = page.evaluate(
        with_reader(SPLIT_RUNS), {"stream": STREAM, "pairs": True}
    )
    assert result["bytes"] == len(STREAM.encode())
    assert result["runs"] > result["bytes"] ** 2 / 2
    outcomes = result["outcomes"]
    assert len(outcomes) == 1, list(outcomes.values())  # the cuts behind each other outcome
    assert json.loads(next(iter(outcomes))) == EXPECTED


def test_a_character_cut_off_at_the_end_is_replaced_not_lost(page: Page) -> None:
    ends = """() => {
      const reader = createEventReader();
      const bytes = new TextEncoder().encode('event: delta\\ndata: {"text":"ok"}\\n\\ndata: x€');
      const first = reader.feed(bytes.subarray(0, bytes.length - 1));
      return [first, reader.end()];
    }"""
    first, last = page.evaluate(with_reader(ends), None)
    assert first == [{"type": "delta", "data": '{"text":"ok"}'}]
    assert last == [{"type": "message", "data": "x\ufffd"}]
