"""HTML: the title and the main content under its heading path; page furniture is dropped.

Dropped: scripts and styles, navigation, site headers, footers, sidebars, hidden elements, and
anything whose id or class names a cookie/consent notice or a banner. The content is read from
`<main>` (or the page's only `<article>`) when there is one. Lists read as "- item" or
"1. item", tables one row a line, preformatted text keeps its lines.
"""

from __future__ import annotations

import re
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from askdocs.ingest.loaders.decode import read_text, title_from_path
from askdocs.ingest.loaders.html_guard import refuse_costly_html
from askdocs.ingest.loaders.markdown import SECTION_SEPARATOR, table_text
from askdocs.ingest.models import Block, LoadedFile

_DROP = (
    "script, style, noscript, template, svg, canvas, iframe, object, embed, nav, footer, aside, "
    "button, input, select, textarea, dialog, [aria-hidden=true], [hidden], "
    "[role=navigation], [role=banner], [role=contentinfo], [role=dialog], [role=alertdialog], "
    "[role=search], [style*='display:none'], [style*='display: none']"
)
# Ids and classes of page furniture. An element holding the page's content is kept all the
# same: a "hero-banner" around the h1, a <body class="cookie-banner-shown">.
_FURNITURE = re.compile(r"cookie|consent|gdpr|banner|breadcrumb|skip-?link|newsletter|popup")
_CONTENT = frozenset({"html", "body", "main", "article"})
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Elements that start a new paragraph; everything else (a, b, span, code...) flows inline.
_BLOCKS = frozenset(
    {
        "address", "article", "blockquote", "caption", "center", "dd", "details", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "form", "header", "hr", "li", "main", "ol",
        "p", "section", "summary", "ul",
    }
)  # fmt: skip
_SPACE = re.compile(r"\s+")
# Deeper nesting than this is read as plain text (hostile pages nest thousands deep).
MAX_DEPTH = 200


def load_html(path: Path) -> LoadedFile:
    """Load an HTML page: one block per paragraph-like element, under its heading path."""
    html = read_text(path)
    refuse_costly_html(str(path), html)
    tree = HTMLParser(html)
    title_node = tree.css_first("title")
    title = " ".join(title_node.text().split()) if title_node else ""
    _drop_furniture(tree)
    root = _main_content(tree)
    if root is None:
        return LoadedFile(title=title or title_from_path(path), blocks=[])
    reader = _Reader()
    reader.visit(root, 0)
    reader.flush()
    return LoadedFile(
        title=title or reader.first_heading or title_from_path(path), blocks=reader.blocks
    )


def _drop_furniture(tree: HTMLParser) -> None:
    doomed = list(tree.css(_DROP))
    holders = _content_holders(tree)
    for node in tree.css("[id], [class]"):
        names = f"{node.attributes.get('id') or ''} {node.attributes.get('class') or ''}"
        if _FURNITURE.search(names.lower()) and not (
            node.tag in _CONTENT or node.mem_id in holders
        ):
            doomed.append(node)
    # Site headers go; an article's own header holds its title and byline.
    kept = {node.mem_id for node in tree.css("main header, article header")}
    doomed += [h for h in tree.css("header") if h.mem_id not in kept]
    # A removed parent takes its children along; decided before removing anything.
    for node in _outermost(doomed, {node.mem_id for node in doomed}):
        node.decompose()


def _content_holders(tree: HTMLParser) -> set[int]:
    """Ids of the elements that are or hold main content (one walk up from each, stopping at
    an element already seen: a search below every element took time growing with the square
    of the nesting depth)."""
    holders: set[int] = set()
    for node in tree.css("main, article, h1, [role=main]"):
        current: Node | None = node
        while current is not None and current.mem_id not in holders:
            holders.add(current.mem_id)
            current = current.parent
    return holders


def _main_content(tree: HTMLParser) -> Node | None:
    articles = tree.css("article")
    return (
        tree.css_first("main")
        or tree.css_first("[role=main]")
        or (articles[0] if len(articles) == 1 else None)
        or tree.body
        or tree.root
    )


def _outermost(nodes: list[Node], ids: set[int]) -> list[Node]:
    """The nodes without an ancestor among `ids`. Each answer found on the way up is kept for
    the elements passed, so nested furniture costs one walk, not one per level."""
    below_doomed: dict[int, bool] = {}  # element id -> has itself or an ancestor in ids
    outermost = []
    for node in nodes:
        passed = []
        current = node.parent
        while current is not None and current.mem_id not in below_doomed:
            if current.mem_id in ids:
                below_doomed[current.mem_id] = True
                break
            passed.append(current.mem_id)
            current = current.parent
        answer = below_doomed[current.mem_id] if current is not None else False
        below_doomed.update(dict.fromkeys(passed, answer))
        if not answer:
            outermost.append(node)
    return outermost


def _text(node: Node) -> str:
    return " ".join((node.text(deep=True) or "").split())


class _Reader:
    """Walks the content tree, collecting inline text into paragraph blocks."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.first_heading = ""
        self._headings: list[tuple[int, str]] = []
        self._inline: list[str] = []
        self._marker = ""  # list marker of the item being read
        self._items: list[str] = []  # consecutive list items, one block
        self._counters: list[int | None] = []  # per open list: next number, None for bullets

    @property
    def section(self) -> str | None:
        return SECTION_SEPARATOR.join(name for _, name in self._headings) or None

    def visit(self, node: Node, depth: int) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":  # source line breaks are spaces; only <br> breaks a line
                self._inline.append(_SPACE.sub(" ", child.text_content or ""))
            elif tag == "br":
                self._inline.append("\n")
            elif not tag or tag.startswith("-"):
                continue  # comments, doctype
            elif depth >= MAX_DEPTH:
                self._inline.append(" " + (child.text(deep=True) or "") + " ")
            elif tag in _HEADINGS:
                self.heading(_HEADINGS[tag], _text(child))
            elif tag == "pre":
                self.end_paragraph()
                self.add(_preformatted(child.text(deep=True) or ""))
            elif tag == "table":
                self.end_paragraph()
                self.add(table_text(_table_rows(child)))
            elif tag in ("ul", "ol"):
                self.end_paragraph()
                self._counters.append(1 if tag == "ol" else None)
                self.visit(child, depth + 1)
                self.end_paragraph()
                self._counters.pop()
            elif tag == "li":
                self.end_paragraph()
                self._marker = self._next_marker()
                self.visit(child, depth + 1)
                self.end_paragraph()
            elif tag in _BLOCKS:
                self.end_paragraph()
                self.visit(child, depth + 1)
                self.end_paragraph()
            else:
                self.visit(child, depth + 1)

    def heading(self, level: int, text: str) -> None:
        self.flush()
        if not text:
            return
        self.first_heading = self.first_heading or text
        while self._headings and self._headings[-1][0] >= level:
            self._headings.pop()
        self._headings.append((level, text))
        self.add(text)

    def end_paragraph(self) -> None:
        """Close the inline text read so far as a paragraph (or as a list item)."""
        lines = [" ".join(line.split()) for line in "".join(self._inline).split("\n")]
        text = "\n".join(line for line in lines if line)
        self._inline = []
        marker, self._marker = self._marker, ""
        if not text:
            return
        if marker:
            self._items.append(marker + text)
        else:
            self.add(text)

    def add(self, text: str) -> None:
        self._flush_items()
        if text:
            self.blocks.append(Block(text, section=self.section))

    def flush(self) -> None:
        self.end_paragraph()
        self._flush_items()

    def _flush_items(self) -> None:
        if self._items:
            items, self._items = self._items, []
            self.blocks.append(Block("\n".join(items), section=self.section))

    def _next_marker(self) -> str:
        if not self._counters or self._counters[-1] is None:
            return "- "
        number = self._counters[-1]
        self._counters[-1] = number + 1
        return f"{number}. "


def _preformatted(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def _table_rows(table: Node) -> list[list[str]]:
    """Cell texts of the table's own rows (rows of nested tables stay in their cell's text)."""
    rows = []
    for row in table.css("tr"):
        owner = row.parent
        while owner is not None and owner.tag != "table":
            owner = owner.parent
        if owner is None or owner.mem_id != table.mem_id:
            continue
        rows.append([_text(cell) for cell in row.iter() if cell.tag in ("td", "th")])
    return rows
