// askdocs document view: /documents/{doc_id}#start-end shows the document's text with the
// excerpt document.text[start:end] highlighted and scrolled into view. Text only, no HTML.
"use strict";

(() => {
  const title = document.getElementById("doc-title");
  const meta = document.getElementById("doc-meta");
  const status = document.getElementById("doc-status");
  const jump = document.getElementById("doc-jump");
  const jumpLink = document.getElementById("jump-link");
  const body = document.getElementById("doc-text");
  const docId = decodeURIComponent(location.pathname.replace(/^\/documents\//, ""));
  let text = "";

  /** The [start, end) range asked for by the URL fragment, when it fits the text. */
  function range() {
    const match = /^#(\d+)-(\d+)$/.exec(location.hash);
    if (!match) return null;
    const start = Number(match[1]);
    const end = Number(match[2]);
    return start < end && end <= text.length ? [start, end] : null;
  }

  function render(focus) {
    const where = range();
    jump.hidden = !where;
    if (!where) {
      body.replaceChildren(text);
      return;
    }
    const [start, end] = where;
    const mark = document.createElement("mark");
    mark.id = "excerpt";
    mark.tabIndex = -1;
    mark.textContent = text.slice(start, end);
    body.replaceChildren(text.slice(0, start), mark, text.slice(end));
    mark.scrollIntoView({ block: "center" });
    if (focus) mark.focus({ preventScroll: true });
  }

  async function load() {
    let response;
    try {
      response = await fetch(`/api/documents/${encodeURIComponent(docId)}`);
    } catch {
      title.textContent = "Document unavailable";
      status.textContent = "Can't reach the askdocs service. Check that it is running, then reload.";
      return;
    }
    if (!response.ok) {
      title.textContent = response.status === 404 ? "Document not found" : "Document unavailable";
      status.textContent = response.status === 404
        ? "No document has this id; it may have been removed since the answer was given."
        : `The service answered ${response.status}.`;
      return;
    }
    const doc = await response.json();
    text = String(doc.text);
    title.textContent = String(doc.title);
    document.title = `${doc.title} — askdocs`;
    meta.textContent = `File: ${String(doc.source).split(/[\\/]/).pop()}`;
    body.hidden = false;
    render(true);
  }

  window.addEventListener("hashchange", () => render(true));
  jumpLink.addEventListener("click", (event) => {
    event.preventDefault();
    render(true);
  });
  load();
})();
