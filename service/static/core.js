// askdocs chat core, one copy for both front ends (the chat page's chat.js, the widget's
// widget.js): the stored conversation, the history sent with a question, asking
// POST /api/ask/stream (POST /api/ask on a server without it), answers shown as they arrive
// and then rendered with numbered source cards. Served ahead of each front end, inside one
// function, after LIMITS (the API's own limits) and stream.js: see askdocs/service/assets.py.
// Server text is only ever inserted as text (text nodes, setAttribute), never as HTML.

const MAX_STORED = 60; // turns kept in sessionStorage: 30 questions and their answers
const TIMEOUT_MS = 60000; // an answer (or, streamed, its next event) not received by then is given up on
const NOT_COVERED_HINT = "Try rephrasing the question, or ask about something the documents discuss.";

/** An element with attributes and children; strings become text nodes, never HTML. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/**
 * A conversation shown in the list `log` and asked from `form` (its textarea `box`, its
 * submit button `send`). What differs between the front ends comes in the options `o`:
 *   base         the service's origin ("" on its own pages); credentials: fetch's mode
 *   storeKey     where sessionStorage keeps the conversation; remember() adds fields to it
 *   compact      no "You" / "askdocs" labels and no visible "Sources" heading
 *   newTab       source links open the document view in a new tab
 *   unreachable  what to say when the service can't be reached
 *   intro()      nodes shown before the turns (a greeting)
 *   show(node, settled)  bring a new turn into view; `settled` resolves once its source
 *                cards have their context (they grow then)
 *   say(text)    announce a status ("" clears it); changed(): turns were shown or removed
 * Returns { restored (what was stored), save(), reset() }.
 */
function createChat(log, form, box, send, o) {
  const say = o.say || (() => {});
  const restored = restore();
  let turns = Array.isArray(restored.turns) ? restored.turns : [];
  let busy = false;
  let streams = true; // false once the server has said it has no stream route (an older askdocs)
  box.maxLength = LIMITS.questionChars;

  function restore() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(o.storeKey) || "{}");
      return saved && typeof saved === "object" ? saved : {};
    } catch {
      return {};
    }
  }

  function save() {
    try {
      const extra = o.remember ? o.remember() : {};
      sessionStorage.setItem(o.storeKey, JSON.stringify({ ...extra, turns: turns.slice(-MAX_STORED) }));
    } catch {
      /* storage full or disabled: the conversation just isn't remembered */
    }
  }

  /** The turns sent with a question, within the API's limits; abstentions are left out. */
  function history() {
    return turns
      .filter((t) => (t.role === "user" || t.role === "assistant") && !t.abstained)
      .slice(-LIMITS.historyTurns)
      .map((t) => ({ role: t.role, content: String(t.content).slice(0, LIMITS.turnChars) }));
  }

  /** A list item of the log; `who` (or null) labels it unless compact. */
  function turn(kind, who, ...children) {
    const label = o.compact || !who ? null : el("p", { class: "who" }, who);
    return el("li", { class: `turn ${kind}` }, label, ...children);
  }

  /** The answer text with each [n] turned into a link to source card n. */
  function answerText(answer, citations, prefix) {
    const p = el("p", { class: "text" });
    const known = new Set(citations.map((c) => Number(c.n)));
    String(answer).split(/\[(\d+)\]/).forEach((part, i) => {
      if (i % 2 === 0) {
        if (part) p.append(document.createTextNode(part));
      } else if (known.has(Number(part))) {
        p.append(el("a", { class: "cite", href: `#${prefix}-${part}`, "aria-label": `source ${part}` }, `[${part}]`));
      } else {
        p.append(document.createTextNode(`[${part}]`));
      }
    });
    return p;
  }

  /** The cited sentence highlighted inside a little of its paragraph (asked of the server). */
  function excerpt(c) {
    const quote = el("blockquote", { class: "excerpt" }, el("mark", {}, String(c.excerpt)));
    const where = `${o.base}/api/documents/${encodeURIComponent(c.doc_id)}/passage`;
    const filled = fetch(`${where}?start=${Number(c.start)}&end=${Number(c.end)}`, { credentials: o.credentials })
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null)
      .then((p) => {
        if (!p || p.text !== c.excerpt || typeof p.before !== "string" || typeof p.after !== "string") return;
        quote.replaceChildren(p.before, el("mark", {}, c.excerpt), p.after);
      });
    return [quote, filled];
  }

  function sourceCard(c, prefix, filling) {
    const where = [c.section ? `Section: ${c.section}` : "", c.page ? `Page ${Number(c.page)}` : ""].filter(Boolean);
    const href = `${o.base}/documents/${encodeURIComponent(c.doc_id)}#${Number(c.start)}-${Number(c.end)}`;
    const target = o.newTab ? { target: "_blank", rel: "noopener noreferrer" } : {};
    const [quote, filled] = excerpt(c);
    filling.push(filled);
    return el("li", { class: "source", id: `${prefix}-${Number(c.n)}`, tabindex: "-1" },
      el("h4", { class: "source-head" }, el("span", { class: "num" }, String(Number(c.n))), String(c.title)),
      where.length ? el("p", { class: "meta" }, where.join(" · ")) : null,
      quote,
      el("a", { class: "open", href, ...target }, "Open at this passage",
        el("span", { class: "visually-hidden" }, ` in ${c.title}${o.newTab ? " (new tab)" : ""}`)));
  }

  /** One turn as a list item; `filling` collects the source cards' pending context. */
  function render(t, index, filling = []) {
    if (t.role === "user") return turn("user", "You", el("p", { class: "text" }, String(t.content)));
    if (t.abstained) {
      return turn("notice", "askdocs", el("p", { class: "text" }, String(t.content)), el("p", {}, NOT_COVERED_HINT));
    }
    const prefix = `src-${index}`;
    const citations = Array.isArray(t.citations) ? t.citations : [];
    const node = turn("answer", "askdocs", answerText(t.content, citations, prefix));
    if (t.mode === "generated") {
      const dropped = Number(t.dropped) || 0;
      const removed = dropped ? ` · ${dropped} unsupported sentence${dropped === 1 ? "" : "s"} removed` : "";
      node.append(el("p", { class: "mode" }, `Generated · checked against the sources${removed}`));
    }
    if (citations.length) {
      const cards = citations.map((c) => sourceCard(c, prefix, filling));
      const heading = o.compact ? null : el("h3", { class: "sources-title", id: `${prefix}-title` }, "Sources");
      const label = heading ? { "aria-labelledby": heading.id } : { "aria-label": "Sources" };
      node.append(...(heading ? [heading] : []), el("ol", { class: "sources", ...label }, ...cards));
    }
    return node;
  }

  function renderAll() {
    log.replaceChildren(...(o.intro ? o.intro() : []), ...turns.map((t, i) => render(t, i)));
    if (o.changed) o.changed();
  }

  function add(node, settled) {
    log.append(node);
    if (o.changed) o.changed();
    o.show(node, settled || Promise.resolve());
  }

  /**
   * The answer to `question` (POST /api/ask's object). Streamed: `on.citations(list)` and
   * `on.delta(text)` are called as those events arrive. A server without the stream route
   * (404, 405) is asked POST /api/ask instead, from then on.
   */
  async function ask(question, on) {
    const controller = new AbortController();
    let timer = 0;
    const wait = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    };
    const post = (path) => fetch(`${o.base}${path}`, {
      method: "POST", credentials: o.credentials, signal: controller.signal,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question, history: history() }),
    });
    let response;
    let data = null;
    wait();
    try {
      if (streams) {
        response = await post("/api/ask/stream");
        streams = response.status !== 404 && response.status !== 405;
      }
      if (!streams) response = await post("/api/ask");
      const events = streams && response.ok && /^text\/event-stream/.test(response.headers.get("Content-Type"));
      // Not JSON: a proxy's error page.
      data = events ? await streamed(response, on, wait) : await response.json().catch(() => null);
    } catch {
      controller.abort(); // a stream that could not be read is not left open
      throw new Error(o.unreachable);
    } finally {
      clearTimeout(timer);
    }
    // An error response, or an error event once the stream had started: { detail }.
    if (!response.ok || (data && typeof data.detail === "string")) {
      const detail = data && typeof data.detail === "string" ? data.detail : `the service answered ${response.status}`;
      throw new Error(`Sorry, the question could not be answered: ${detail}`);
    }
    if (!data || typeof data.answer !== "string") throw new Error(o.unreachable);
    return data;
  }

  /** An event stream read to its `done` (the answer) or `error` ({ detail }); null when it
   * ends without either. */
  async function streamed(response, on, wait) {
    let last = null;
    await readEvents(response, (type, text) => {
      const data = JSON.parse(text);
      if (type === "citations") on.citations(Array.isArray(data.citations) ? data.citations : []);
      else if (type === "delta") on.delta(String(data.text ?? ""));
      else if (type === "done" || type === "error") last = data;
      return last !== null;
    }, wait);
    return last;
  }

  function busyTurn(kind, ...children) {
    const node = turn(kind, kind === "answer" ? "askdocs" : null, ...children);
    node.setAttribute("aria-busy", "true");
    return node;
  }

  /**
   * What a streamed answer shows while it arrives, as turn `index` will: the handlers for
   * ask()'s `on`. Its first event brings a draft answer turn (`replace(node)` puts it in place
   * of what was shown); each delta appends its sentence, [n] linked as in the final answer.
   */
  function streamingDraft(index, replace) {
    let citations = [];
    let text = null;
    const open = () => {
      if (text) return;
      text = el("p", { class: "text" });
      replace(busyTurn("answer", text, el("p", { class: "writing" }, "Writing the answer…")));
    };
    return {
      citations(list) {
        citations = list;
        open();
      },
      delta(part) {
        open();
        text.append(...answerText(part, citations, `src-${index}`).childNodes);
        o.show(text.parentNode, Promise.resolve());
      },
    };
  }

  async function submit(event) {
    event.preventDefault();
    const question = box.value.trim();
    if (busy) return;
    if (!question) {
      say("Type a question first.");
      box.focus();
      return;
    }
    busy = true;
    send.disabled = true;
    say("");
    box.value = "";
    const asked = { role: "user", content: question };
    add(render(asked, turns.length));
    // Until the answer is complete, a busy turn stands in for it (screen readers wait for it):
    // "Searching…", then the answer's sentences as they arrive.
    let shown = busyTurn("pending", el("p", { class: "text" }, "Searching the documents…"));
    add(shown);
    const draft = streamingDraft(turns.length + 1, (node) => {
      shown.remove();
      add((shown = node));
    });
    try {
      const data = await ask(question, draft);
      turns.push(asked, { role: "assistant", content: data.answer, abstained: Boolean(data.abstained),
        citations: Array.isArray(data.citations) ? data.citations : [],
        mode: data.mode === "generated" ? "generated" : "extractive", dropped: Number(data.dropped) || 0 });
      save();
      const filling = [];
      const reply = render(turns[turns.length - 1], turns.length - 1, filling);
      shown.remove();
      add(reply, Promise.all(filling));
    } catch (error) {
      const notice = turn("error", null, el("p", { class: "text" }, String(error.message)));
      notice.setAttribute("role", "alert");
      shown.remove();
      add(notice);
      box.value = question; // ready to send again
    } finally {
      busy = false;
      send.disabled = false;
      box.focus({ preventScroll: true }); // the box is in view; keep the reply where it is
    }
  }

  function reset() {
    turns = [];
    save();
    renderAll();
    say("Started a new conversation.");
    box.focus();
  }

  form.addEventListener("submit", submit);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  renderAll();
  return { restored, save, reset };
}
