// askdocs chat page (GET /): the page's own part around createChat (core.js). It asks this
// origin, labels each turn, and keeps every new reply in view above the sticky question box.

const [form, box, send, log, empty, status, reset] = ["ask-form", "question", "send",
  "conversation", "empty", "ask-status", "new-chat"].map((id) => document.getElementById(id));

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

const chat = createChat(log, form, box, send, {
  base: "",
  credentials: "same-origin",
  storeKey: "askdocs:chat",
  unreachable: "Can't reach the askdocs service. Check that it is running and your connection, then try again.",
  show(node, settled) {
    reveal(node);
    settled.then(() => reveal(node)); // the source cards grow when their context arrives
  },
  say(text) {
    status.textContent = text;
  },
  changed() {
    empty.hidden = log.children.length > 0;
  },
});
reset.addEventListener("click", chat.reset);
