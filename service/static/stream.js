// askdocs stream reader, shared by both front ends (served ahead of core.js): Server-Sent
// Events read from a fetch response, as POST /api/ask/stream sends them. No DOM here.
// A network read may end anywhere (inside a line, between "\r" and "\n", inside a multi-byte
// character): the parser keeps what is not yet a whole line for the next read.

/**
 * An SSE parser: feed(bytes) returns the events completed by these bytes, end() those left
 * when the stream ends (a last event without its blank line counts). An event is
 * { type, data }: type from `event:` ("message" when none), data its `data:` lines joined by
 * "\n". Lines starting with ":" are comments (keep-alives); `id:` and `retry:` are unused here.
 */
function createEventReader() {
  const decoder = new TextDecoder();
  let rest = ""; // the start of a line whose end has not arrived yet
  let type = "";
  let data = [];
  let events = [];

  function line(text) {
    if (text === "") {
      if (data.length) events.push({ type: type || "message", data: data.join("\n") });
      type = "";
      data = [];
      return;
    }
    if (text[0] === ":") return;
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? "" : text.slice(colon + (text[colon + 1] === " " ? 2 : 1));
    if (field === "event") type = value;
    else if (field === "data") data.push(value);
  }

  function take(text, last) {
    const buffer = rest + text;
    const ends = /\r\n|\r|\n/g;
    let start = 0;
    for (let m = ends.exec(buffer); m; m = ends.exec(buffer)) {
      // A "\r" at the very end may be the first half of a "\r\n" split across two reads.
      if (!last && m[0] === "\r" && m.index === buffer.length - 1) break;
      line(buffer.slice(start, m.index));
      start = ends.lastIndex;
    }
    rest = buffer.slice(start);
    if (last) {
      if (rest) line(rest);
      line("");
      rest = "";
    }
    const done = events;
    events = [];
    return done;
  }

  return {
    feed: (bytes) => take(decoder.decode(bytes, { stream: true }), false),
    end: () => take(decoder.decode(), true),
  };
}

/**
 * Read a fetch response's event stream to its end, calling `onEvent(type, data)` for each
 * event as it arrives (stop early by returning true) and `onRead()` after every network read
 * (a keep-alive is a sign of life too).
 */
async function readEvents(response, onEvent, onRead) {
  const reader = response.body.getReader();
  const parser = createEventReader();
  for (;;) {
    const { done, value } = await reader.read();
    onRead();
    for (const event of done ? parser.end() : parser.feed(value)) {
      if (onEvent(event.type, event.data)) {
        reader.cancel().catch(() => {});
        return;
      }
    }
    if (done) return;
  }
}
