// askdocs chat page: asks /api/ask with the conversation so far and renders cited answers.
// Everything from the server is inserted as text (textContent / text nodes), never as HTML.
"use strict";

(() => {
  const MAX_HISTORY = 20; // turns sent with a question (the API's limit)
  const MAX_STORED = 60; // turns kept in sessionStorage
  const MAX_TURN_CHARS = 8000; // the API's limit on a history turn
  const CONTEXT_CHARS = 160; // document text shown around a cited sentence
  const STORE_KEY = "askdocs:chat";
  const UNREACHABLE =
    "Can't reach the askdocs service. Check that it is running and your connection, then try again.";
  const NOT_COVERED_HINT =
    "Try rephrasing the question, or ask about something the documents discuss.";

  const form = document.getElementById("ask-form");
  const box = document.getElementById("question");
  const send = document.getElementById("send");
  const log = document.getElementById("conversation");
  const empty = document.getElementById("empty");
  const status = document.getElementById("ask-status");
  const reset = document.getElementById("new-chat");
  let turns = restore();
  let busy = false;
  let filling = []; // source cards still fetching their context

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function restore() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch {
      return [];
    }
  }

  function save() {
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify(turns.slice(-MAX_STORED)));
    } catch {
      /* storage full or disabled: the conversation just isn't remembered */
    }
  }

  function history() {
    return turns
      .filter((t) => t.role === "user" || (t.role === "assistant" && !t.abstained))
      .slice(-MAX_HISTORY)
      .map((t) => ({ role: t.role, content: String(t.content).slice(0, MAX_TURN_CHARS) }));
  }

  function documentLink(c) {
    return `/documents/${encodeURIComponent(c.doc_id)}#${Number(c.start)}-${Number(c.end)}`;
  }

  /** The answer text with each [n] turned into a link to source card n. */
  function answerText(answer, citations, prefix) {
    const p = el("p", { class: "text" });
    const known = new Set(citations.map((c) => Number(c.n)));
    const parts = String(answer).split(/\[(\d+)\]/);
    parts.forEach((part, i) => {
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

  /** Show the cited sentence highlighted inside a little of its paragraph (asked of the server). */
  function fillExcerpt(quote, c) {
    quote.replaceChildren(el("mark", {}, String(c.excerpt)));
    const filled = passageOf(c).then((p) => {
      if (!p || p.text !== c.excerpt || typeof p.before !== "string" || typeof p.after !== "string") return;
      quote.replaceChildren(p.before, el("mark", {}, c.excerpt), p.after);
    });
    filling.push(filled);
  }

  function passageOf(c) {
    const query = `start=${Number(c.start)}&end=${Number(c.end)}&context=${CONTEXT_CHARS}`;
    return fetch(`/api/documents/${encodeURIComponent(c.doc_id)}/passage?${query}`)
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null);
  }

  function sourceCard(c, prefix) {
    const where = [];
    if (c.section) where.push(`Section: ${c.section}`);
    if (c.page) where.push(`Page ${Number(c.page)}`);
    const quote = el("blockquote", { class: "excerpt" });
    fillExcerpt(quote, c);
    return el(
      "li",
      { class: "source", id: `${prefix}-${Number(c.n)}`, tabindex: "-1" },
      el("p", { class: "source-head" }, el("span", { class: "num" }, String(Number(c.n))), String(c.title)),
      where.length ? el("p", { class: "meta" }, where.join(" · ")) : null,
      quote,
      el("a", { class: "open", href: documentLink(c) }, "Open at this passage",
        el("span", { class: "visually-hidden" }, ` in ${c.title}`)),
    );
  }

  function renderTurn(turn, index) {
    if (turn.role === "user") {
      return el("li", { class: "turn user" }, el("p", { class: "who" }, "You"), el("p", { class: "text" }, String(turn.content)));
    }
    if (turn.abstained) {
      return el("li", { class: "turn notice" }, el("p", { class: "who" }, "askdocs"),
        el("p", { class: "text" }, String(turn.content)), el("p", {}, NOT_COVERED_HINT));
    }
    const prefix = `src-${index}`;
    const citations = Array.isArray(turn.citations) ? turn.citations : [];
    const article = el("li", { class: "turn answer" }, el("p", { class: "who" }, "askdocs"), answerText(turn.content, citations, prefix));
    if (citations.length) {
      const headingId = `${prefix}-title`;
      article.append(
        el("h3", { class: "sources-title", id: headingId }, "Sources"),
        el("ol", { class: "sources", "aria-labelledby": headingId }, ...citations.map((c) => sourceCard(c, prefix))),
      );
    }
    return article;
  }

  function renderAll() {
    log.replaceChildren(...turns.map(renderTurn));
    empty.hidden = turns.length > 0;
  }

  function append(node) {
    log.append(node);
    empty.hidden = true;
    reveal(node);
  }

  /** Scroll so `node` shows above the sticky question box: all of it when it fits (its bottom
   * just above the box), else from its top. scrollIntoView cannot see the box covering it. */
  function reveal(node) {
    const gap = 8;
    const limit = form.getBoundingClientRect().top - gap;
    const rect = node.getBoundingClientRect();
    if (rect.top >= gap && rect.bottom <= limit) return;
    const room = limit - gap;
    const by = rect.height <= room ? rect.bottom - limit : rect.top - gap;
    window.scrollBy({ top: by, behavior: "instant" });
  }

  // Anchor jumps and focus ([1] to its source card) also stop above the sticky box.
  new ResizeObserver(() => {
    document.documentElement.style.scrollPaddingBottom = `${form.offsetHeight + 8}px`;
  }).observe(form);

  async function ask(question) {
    const body = JSON.stringify({ question, history: history() });
    let response;
    try {
      response = await fetch("/api/ask", { method: "POST", headers: { "Content-Type": "application/json" }, body });
    } catch {
      throw new Error(UNREACHABLE);
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      /* not JSON: a proxy error page */
    }
    if (!response.ok) {
      const detail = data && typeof data.detail === "string" ? data.detail : `the service answered ${response.status}`;
      throw new Error(`Sorry, the question could not be answered: ${detail}`);
    }
    if (!data || typeof data.answer !== "string") throw new Error(UNREACHABLE);
    return data;
  }

  async function submit(event) {
    event.preventDefault();
    const question = box.value.trim();
    if (busy) return;
    if (!question) {
      status.textContent = "Type a question first.";
      box.focus();
      return;
    }
    busy = true;
    send.disabled = true;
    status.textContent = "";
    box.value = "";
    const userTurn = { role: "user", content: question };
    append(renderTurn(userTurn, turns.length));
    const pending = el("li", { class: "turn pending", "aria-busy": "true" }, "Searching the documents…");
    append(pending);
    try {
      const data = await ask(question);
      turns.push(userTurn, {
        role: "assistant",
        content: data.answer,
        abstained: Boolean(data.abstained),
        citations: Array.isArray(data.citations) ? data.citations : [],
      });
      save();
      filling = [];
      const reply = renderTurn(turns[turns.length - 1], turns.length - 1);
      pending.replaceWith(reply);
      reveal(reply);
      // The cards grow when their context arrives; place the reply again then.
      Promise.all(filling).then(() => reveal(reply));
    } catch (error) {
      const notice = el("li", { class: "turn error", role: "alert" }, String(error.message));
      pending.replaceWith(notice);
      reveal(notice);
      box.value = question; // ready to send again
    } finally {
      busy = false;
      send.disabled = false;
      box.focus({ preventScroll: true }); // the box is in view (sticky); keep the reply where it is
    }
  }

  form.addEventListener("submit", submit);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  reset.addEventListener("click", () => {
    turns = [];
    save();
    renderAll();
    status.textContent = "Started a new conversation.";
    box.focus();
  });
  renderAll();
})();
