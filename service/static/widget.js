/*! askdocs chat widget. Embed on any page:
 *   <script src="https://HOST/widget.js" data-title="Ask our docs" async></script>
 * Options (data- attributes): data-title, data-accent (a CSS colour), data-position
 * ("right" or "left"), data-greeting. It talks to the HOST it was loaded from.
 * No dependencies, no build step. Rendered in a Shadow DOM; server text is only ever
 * inserted as text, never as HTML. */
(() => {
  "use strict";

  const script =
    document.currentScript ||
    [...document.querySelectorAll('script[src*="widget.js"]')].pop();
  if (!script || !script.src) return;
  const HOST = new URL(script.src, location.href).origin;
  const TAG = "askdocs-widget";
  const STORE_KEY = `askdocs-widget:${HOST}`;
  const MAX_HISTORY = 20;
  const MAX_STORED = 40;
  const MAX_TURN_CHARS = 8000;
  const CONTEXT_CHARS = 120;
  const TIMEOUT_MS = 60000;
  const UNREACHABLE = "Sorry, the assistant can't be reached right now. Please try again later.";
  const NOT_COVERED = "Try rephrasing, or ask about something the documents discuss.";

  const data = script.dataset;
  const config = {
    title: (data.title || "Ask our docs").slice(0, 80),
    greeting: data.greeting === undefined ? "Hi! Ask me a question about our documents." : data.greeting,
    accent: data.accent && window.CSS && CSS.supports("color", data.accent) ? data.accent : "#1f5fbf",
    left: /left/i.test(data.position || ""),
  };

  const STYLE = `
:host { all: initial; }
.root { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1b1f24; --accent: #1f5fbf; --on-accent: #fff; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
button, textarea { font: inherit; color: inherit; margin: 0; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.sr { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.launcher { position: fixed; bottom: 20px; right: 20px; width: 56px; height: 56px; padding: 0;
  border: 0; border-radius: 50%; background: var(--accent); color: var(--on-accent); cursor: pointer;
  display: grid; place-items: center; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
.left .launcher, .left .panel { right: auto; left: 20px; }
.panel { position: fixed; bottom: 88px; right: 20px; width: min(390px, calc(100vw - 40px));
  height: min(580px, calc(100vh - 110px)); display: flex; flex-direction: column; overflow: hidden;
  background: #fff; border: 1px solid #d0d7de; border-radius: 14px; box-shadow: 0 12px 40px rgba(0,0,0,.22); }
.head { display: flex; align-items: center; gap: 4px; padding: 10px 10px 10px 16px;
  background: var(--accent); color: var(--on-accent); }
.head h2 { flex: 1; margin: 0; font-size: 16px; font-weight: 600; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
.icon { background: transparent; border: 0; color: inherit; cursor: pointer; border-radius: 6px;
  padding: 4px 8px; font-size: 13px; min-height: 32px; }
.icon:hover { background: rgba(255,255,255,.18); }
.icon.x { font-size: 22px; line-height: 1; }
.head :focus-visible { outline-color: currentColor; }
.log { flex: 1; overflow-y: auto; padding: 14px; margin: 0; list-style: none; background: #f6f8fa; }
.msg { margin: 0 0 12px; padding: 9px 12px; border-radius: 12px; background: #fff;
  border: 1px solid #d8dee4; overflow-wrap: anywhere; }
.msg p { margin: 0 0 6px; white-space: pre-wrap; }
.msg p:last-child { margin: 0; }
.user { margin-left: 36px; background: #eaf1fb; border-color: #c5d8f3; }
.notice { background: #fff8e6; border-color: #f0d58c; color: #6b3c00; }
.error { background: #ffebe9; border-color: #f5b5bd; color: #86061d; }
.pending { color: #57606a; font-style: italic; }
.cite { color: var(--accent); font-weight: 600; font-size: 13px; text-decoration: none; }
.cite:hover { text-decoration: underline; }
.srcs { list-style: none; margin: 8px 0 0; padding: 0; }
.src { margin: 6px 0 0; padding: 7px 9px; border: 1px solid #d8dee4; border-left: 3px solid var(--accent);
  border-radius: 8px; background: #f6f8fa; font-size: 13.5px; }
.src:focus { outline: 2px solid var(--accent); }
.src h4 { margin: 0; font-size: 13.5px; font-weight: 600; }
.n { display: inline-block; min-width: 20px; margin-right: 5px; border-radius: 4px; text-align: center;
  background: var(--accent); color: var(--on-accent); font-size: 12px; }
.meta { margin: 2px 0 0; color: #57606a; font-size: 12px; }
blockquote { margin: 5px 0; color: #3a424b; }
mark { background: #fff3b0; color: inherit; border-radius: 2px; }
.src a { color: var(--accent); font-size: 13px; }
form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #d0d7de; background: #fff; margin: 0; }
textarea { flex: 1; resize: none; min-height: 42px; max-height: 120px; padding: 9px 10px;
  border: 1px solid #8c959f; border-radius: 8px; background: #fff; }
.send { border: 0; border-radius: 8px; padding: 0 14px; background: var(--accent); color: var(--on-accent);
  cursor: pointer; font-weight: 600; }
.send:disabled { opacity: .6; cursor: progress; }
@media (max-width: 480px) {
  .panel, .left .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; border: 0; }
}
@media (prefers-reduced-motion: no-preference) {
  .panel:not([hidden]) { animation: up .16s ease-out; }
  @keyframes up { from { opacity: 0; transform: translateY(8px); } }
}`;

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

  function chatIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z");
    svg.append(path);
    return svg;
  }

  function load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "{}");
      return { open: saved.open === true, turns: Array.isArray(saved.turns) ? saved.turns : [] };
    } catch {
      return { open: false, turns: [] };
    }
  }

  function mount() {
    if (document.querySelector(TAG)) return; // one widget per page
    const state = load();
    let busy = false;
    let seq = 0;

    const host = document.createElement(TAG);
    // Inline !important beats any page rule (even `* { ... !important }`) on the host element.
    host.setAttribute("style", "all: initial !important; display: block !important; position: fixed !important; " +
      "width: 0 !important; height: 0 !important; bottom: 0 !important; right: 0 !important; z-index: 2147483647 !important;");
    const shadow = host.attachShadow({ mode: "open" });
    const titleId = "askdocs-title";
    const launcher = el("button", { type: "button", class: "launcher", "aria-label": config.title,
      "aria-expanded": "false", "aria-controls": "askdocs-panel", "aria-haspopup": "dialog" }, chatIcon());
    const clear = el("button", { type: "button", class: "icon", "aria-label": "Start a new conversation" }, "New");
    const close = el("button", { type: "button", class: "icon x", "aria-label": "Close chat" }, "×");
    const log = el("ol", { class: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Conversation" });
    const box = el("textarea", { id: "askdocs-q", rows: "1", maxlength: "2000", placeholder: "Ask a question…",
      autocomplete: "off", "aria-describedby": "askdocs-hint" });
    const sendButton = el("button", { type: "submit", class: "send" }, "Send");
    const form = el("form", { novalidate: "" },
      el("label", { for: "askdocs-q", class: "sr" }, "Your question"),
      el("span", { id: "askdocs-hint", class: "sr" }, "Enter sends, Shift+Enter adds a line, Escape closes the chat."),
      box, sendButton);
    const panel = el("section", { id: "askdocs-panel", class: "panel", role: "dialog", "aria-labelledby": titleId, hidden: "" },
      el("div", { class: "head" }, el("h2", { id: titleId }, config.title), clear, close), log, form);
    const root = el("div", { class: config.left ? "root left" : "root" }, launcher, panel);
    shadow.append(el("style", {}, STYLE), root);
    root.style.setProperty("--accent", config.accent);
    document.body.append(host);
    pickTextColour(launcher, root);

    function save() {
      try {
        sessionStorage.setItem(STORE_KEY, JSON.stringify({ open: !panel.hidden, turns: state.turns.slice(-MAX_STORED) }));
      } catch {
        /* storage unavailable: nothing is remembered */
      }
    }

    function open(focus) {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      save();
      log.scrollTop = log.scrollHeight;
      if (focus) box.focus();
    }

    function hide() {
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      save();
      launcher.focus();
    }

    function message(kind, ...children) {
      return el("li", { class: `msg ${kind}` }, ...children);
    }

    function answerText(answer, citations, prefix) {
      const p = el("p");
      const known = new Set(citations.map((c) => Number(c.n)));
      String(answer).split(/\[(\d+)\]/).forEach((part, i) => {
        if (i % 2 === 0) {
          if (part) p.append(document.createTextNode(part));
        } else if (known.has(Number(part))) {
          const link = el("a", { class: "cite", href: "#", "aria-label": `source ${part}` }, `[${part}]`);
          link.addEventListener("click", (event) => {
            event.preventDefault();
            const card = shadow.getElementById(`${prefix}-${part}`);
            if (card) {
              card.scrollIntoView({ block: "nearest" });
              card.focus();
            }
          });
          p.append(link);
        } else {
          p.append(document.createTextNode(`[${part}]`));
        }
      });
      return p;
    }

    function passageOf(c) {
      const query = `start=${Number(c.start)}&end=${Number(c.end)}&context=${CONTEXT_CHARS}`;
      return fetch(`${HOST}/api/documents/${encodeURIComponent(c.doc_id)}/passage?${query}`, { credentials: "omit" })
        .then((r) => (r.ok ? r.json() : null))
        .catch(() => null);
    }

    /** The cited sentence highlighted inside a little of its paragraph (asked of the server). */
    function excerpt(c) {
      const quote = el("blockquote", {}, el("mark", {}, String(c.excerpt)));
      passageOf(c).then((p) => {
        if (!p || p.text !== c.excerpt || typeof p.before !== "string" || typeof p.after !== "string") return;
        quote.replaceChildren(p.before, el("mark", {}, c.excerpt), p.after);
      });
      return quote;
    }

    function source(c, prefix) {
      const where = [c.section ? `Section: ${c.section}` : "", c.page ? `Page ${Number(c.page)}` : ""].filter(Boolean);
      const href = `${HOST}/documents/${encodeURIComponent(c.doc_id)}#${Number(c.start)}-${Number(c.end)}`;
      return el("li", { class: "src", id: `${prefix}-${Number(c.n)}`, tabindex: "-1" },
        el("h4", {}, el("span", { class: "n" }, String(Number(c.n))), String(c.title)),
        where.length ? el("p", { class: "meta" }, where.join(" · ")) : null,
        excerpt(c),
        el("a", { href, target: "_blank", rel: "noopener noreferrer" }, "Open at this passage",
          el("span", { class: "sr" }, ` in ${c.title} (new tab)`)));
    }

    function render(turn) {
      if (turn.role === "user") return message("user", el("p", {}, String(turn.content)));
      if (turn.abstained) return message("notice", el("p", {}, String(turn.content)), el("p", {}, NOT_COVERED));
      const prefix = `askdocs-s${++seq}`;
      const citations = Array.isArray(turn.citations) ? turn.citations : [];
      const node = message("bot", answerText(turn.content, citations, prefix));
      if (citations.length) {
        node.append(el("ol", { class: "srcs", "aria-label": "Sources" }, ...citations.map((c) => source(c, prefix))));
      }
      return node;
    }

    function renderAll() {
      log.replaceChildren(...(config.greeting ? [message("bot", el("p", {}, config.greeting))] : []),
        ...state.turns.map(render));
    }

    function add(node) {
      log.append(node);
      node.scrollIntoView({ block: "nearest" });
    }

    function history() {
      return state.turns.filter((t) => !t.abstained).slice(-MAX_HISTORY)
        .map((t) => ({ role: t.role, content: String(t.content).slice(0, MAX_TURN_CHARS) }));
    }

    async function ask(question) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
      let response;
      let body = null;
      try {
        response = await fetch(`${HOST}/api/ask`, {
          method: "POST", credentials: "omit", signal: controller.signal,
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ question, history: history() }),
        });
        body = await response.json().catch(() => null);
      } catch {
        throw new Error(UNREACHABLE);
      } finally {
        clearTimeout(timer);
      }
      if (!response.ok) {
        const detail = body && typeof body.detail === "string" ? body.detail : `error ${response.status}`;
        throw new Error(`Sorry, the question could not be answered (${detail}).`);
      }
      if (!body || typeof body.answer !== "string") throw new Error(UNREACHABLE);
      return body;
    }

    async function submit(event) {
      event.preventDefault();
      const question = box.value.trim();
      if (!question || busy) return;
      busy = true;
      sendButton.disabled = true;
      box.value = "";
      const turn = { role: "user", content: question };
      add(render(turn));
      const pending = message("pending", el("p", {}, "Searching the documents…"));
      pending.setAttribute("aria-busy", "true");
      add(pending);
      try {
        const answer = await ask(question);
        const reply = { role: "assistant", content: answer.answer, abstained: Boolean(answer.abstained),
          citations: Array.isArray(answer.citations) ? answer.citations : [] };
        state.turns.push(turn, reply);
        save();
        const node = render(reply);
        pending.replaceWith(node);
        node.scrollIntoView({ block: "nearest" });
      } catch (error) {
        pending.replaceWith(message("error", el("p", { role: "alert" }, String(error.message))));
        box.value = question;
      } finally {
        busy = false;
        sendButton.disabled = false;
        box.focus();
      }
    }

    launcher.addEventListener("click", () => (panel.hidden ? open(true) : hide()));
    close.addEventListener("click", hide);
    clear.addEventListener("click", () => {
      state.turns = [];
      save();
      renderAll();
      box.focus();
    });
    form.addEventListener("submit", submit);
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !panel.hidden) {
        event.preventDefault();
        event.stopPropagation();
        hide();
      }
    });
    renderAll();
    if (state.open) open(false);
  }

  /** White or near-black text on the accent, whichever reads better. */
  function pickTextColour(probe, root) {
    const rgb = (getComputedStyle(probe).backgroundColor.match(/[\d.]+/g) || []).slice(0, 3).map(Number);
    if (rgb.length < 3) return;
    const [r, g, b] = rgb.map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    root.style.setProperty("--on-accent", luminance > 0.4 ? "#111" : "#fff");
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
