"""HTML: the title and the visible main text; scripts, styles and navigation are dropped."""

from __future__ import annotations

from pathlib import Path

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from ingest.loaders.decode import read_text, title_from_path
from ingest.loaders.markdown import SECTION_SEPARATOR
from ingest.models import Block, LoadedFile

_DROP = (
    "script, style, noscript, template, svg, iframe, nav, header, footer, aside, form, "
    "button, select, [aria-hidden=true], [hidden], [role=navigation], [role=banner], "
    "[role=contentinfo]"
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_TEXT_BLOCKS = "h1, h2, h3, h4, h5, h6, p, li, pre, blockquote, td, th, dt, dd, figcaption"


def load_html(path: Path) -> LoadedFile:
    """Load an HTML page: one block per paragraph-like element, under its heading path."""
    tree = HTMLParser(read_text(path))
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else ""
    for node in tree.css(_DROP):
        node.decompose()
    root = tree.css_first("main") or tree.css_first("article") or tree.body or tree.root
    if root is None:
        return LoadedFile(title=title or title_from_path(path), blocks=[])
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    for node in root.css(_TEXT_BLOCKS):
        if _inside_text_block(node, root):
            continue
        text = node.text(separator=" ", strip=True)
        if not text:
            continue
        level = _HEADINGS.get(node.tag)
        if level is not None:
            title = title or text
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
        section = SECTION_SEPARATOR.join(name for _, name in stack) or None
        blocks.append(Block(text, section=section))
    if not blocks:
        text = root.text(separator=" ", strip=True)
        blocks = [Block(text)] if text else []
    return LoadedFile(title=title or title_from_path(path), blocks=blocks)


def _inside_text_block(node: Node, root: Node) -> bool:
    """True when an ancestor is itself a text block, so its text is already taken."""
    parent = node.parent
    while parent is not None and parent is not root and parent.tag != "html":
        if parent.tag in _HEADINGS or parent.tag in {"p", "li", "pre", "blockquote", "td", "th"}:
            return True
        parent = parent.parent
    return False
