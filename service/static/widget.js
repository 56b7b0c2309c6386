/*! askdocs chat widget. Embed on any page:
 *   <script src="https://HOST/widget.js" data-title="Ask our docs" async></script>
 * Options (data- attributes): data-title, data-accent (a CSS colour), data-position
 * ("right" or "left"), data-greeting. It talks to the HOST it was loaded from.
 * No dependencies, no build step: served as one script with createChat (core.js) ahead of
 * this file. Rendered in a Shadow DOM; server text is only ever inserted as text. */

const script =
  document.currentScript ||
  [...document.querySelectorAll('script[src*="widget.js"]')].pop();
if (!script || !script.src) return;
const HOST = new URL(script.src, location.href).origin;
const TAG = "askdocs-widget";

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
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
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
.turn { margin: 0 0 12px; padding: 9px 12px; border-radius: 12px; background: #fff;
border: 1px solid #d8dee4; overflow-wrap: anywhere; }
.turn p { margin: 0 0 6px; white-space: pre-wrap; }
.turn p:last-child { margin: 0; }
.user { margin-left: 36px; background: #eaf1fb; border-color: #c5d8f3; }
.notice { background: #fff8e6; border-color: #f0d58c; color: #6b3c00; }
.error { background: #ffebe9; border-color: #f5b5bd; color: #86061d; }
.pending { color: #57606a; font-style: italic; }
.writing, .mode { color: #57606a; font-size: 12px; }
.writing { font-style: italic; }
.cite { color: var(--accent); font-weight: 600; font-size: 13px; text-decoration: none; }
.cite:hover { text-decoration: underline; }
.sources { list-style: none; margin: 8px 0 0; padding: 0; }
.source { margin: 6px 0 0; padding: 7px 9px; border: 1px solid #d8dee4; border-left: 3px solid var(--accent);
border-radius: 8px; background: #f6f8fa; font-size: 13.5px; }
.source:focus { outline: 2px solid var(--accent); }
.source-head { margin: 0; font-size: 13.5px; font-weight: 600; }
.num { display: inline-block; min-width: 20px; margin-right: 5px; border-radius: 4px; text-align: center;
background: var(--accent); color: var(--on-accent); font-size: 12px; }
.meta { margin: 2px 0 0; color: #57606a; font-size: 12px; }
blockquote { margin: 5px 0; color: #3a424b; }
mark { background: #fff3b0; color: inherit; border-radius: 2px; }
.open { color: var(--accent); font-size: 13px; }
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

function mount() {
  if (document.querySelector(TAG)) return; // one widget per page
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
  const box = el("textarea", { id: "askdocs-q", rows: "1", placeholder: "Ask a question…",
    autocomplete: "off", "aria-describedby": "askdocs-hint" });
  const sendButton = el("button", { type: "submit", class: "send" }, "Send");
  const form = el("form", { novalidate: "" },
    el("label", { for: "askdocs-q", class: "visually-hidden" }, "Your question"),
    el("span", { id: "askdocs-hint", class: "visually-hidden" }, "Enter sends, Shift+Enter adds a line, Escape closes the chat."),
    box, sendButton);
  const panel = el("section", { id: "askdocs-panel", class: "panel", role: "dialog", "aria-labelledby": titleId, hidden: "" },
    el("div", { class: "head" }, el("h2", { id: titleId }, config.title), clear, close), log, form);
  const root = el("div", { class: config.left ? "root left" : "root" }, launcher, panel);
  shadow.append(el("style", {}, STYLE), root);
  root.style.setProperty("--accent", config.accent);
  document.body.append(host);
  pickTextColour(launcher, root);

  const chat = createChat(log, form, box, sendButton, {
    base: HOST,
    credentials: "omit",
    storeKey: `askdocs-widget:${HOST}`,
    remember: () => ({ open: !panel.hidden }),
    compact: true,
    newTab: true,
    unreachable: "Sorry, the assistant can't be reached right now. Please try again later.",
    intro: () => (config.greeting ? [el("li", { class: "turn answer" }, el("p", { class: "text" }, config.greeting))] : []),
    show: (node) => node.scrollIntoView({ block: "nearest" }),
  });

  function open(focus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    chat.save();
    log.scrollTop = log.scrollHeight;
    if (focus) box.focus();
  }

  function hide() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    chat.save();
    launcher.focus();
  }

  launcher.addEventListener("click", () => (panel.hidden ? open(true) : hide()));
  close.addEventListener("click", hide);
  clear.addEventListener("click", chat.reset);
  // [n] goes to source card n inside the shadow root; following the link would change the
  // host page's URL and find nothing there.
  log.addEventListener("click", (event) => {
    const link = event.target.closest("a.cite");
    if (!link) return;
    event.preventDefault();
    const card = shadow.getElementById(link.getAttribute("href").slice(1));
    if (card) {
      card.scrollIntoView({ block: "nearest" });
      card.focus();
    }
  });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      event.stopPropagation();
      hide();
    }
  });
  if (chat.restored.open === true) open(false);
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
