"""The HTML guard's nesting estimate: never below what lexbor builds, close on ordinary pages.

The oracle is lexbor itself: random tag soups are parsed and the depth of the tree it builds
compared with the guard's estimate from the tags alone.
"""

from __future__ import annotations

import random

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from askdocs.errors import UnreadableFileError
from askdocs.ingest.loaders.html_guard import MAX_ATTRIBUTES, nesting_depth, refuse_costly_html

TAGS = [
    "div",
    "span",
    "b",
    "i",
    "a",
    "p",
    "li",
    "ul",
    "table",
    "td",
    "tr",
    "th",
    "tbody",
    "svg",
    "math",
    "g",
    "foreignObject",
    "font",
    "template",
    "button",
    "select",
    "option",
    "optgroup",
    "dd",
    "dt",
    "em",
    "h1",
    "pre",
    "section",
    "mi",
    "desc",
    "title",
    "object",
    "caption",
    "br",
    "img",
    "nobr",
    "body",
    "textarea",
    "col",
    "colgroup",
    "form",
    "noscript",
    "input",
    "wbr",
    "link",
    "param",
    "source",
]
# The parser's own html, head and body, which the estimate leaves out.
SLACK = 3


def _tree_depth(html: str) -> int:
    root = LexborHTMLParser(html).root
    assert root is not None
    stack: list[tuple[LexborNode, int]] = [(root, 1)]
    deepest = 0
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        child = node.child
        while child is not None:
            if child.tag and not child.tag.startswith("-"):
                stack.append((child, depth + 1))
            child = child.next
    return deepest


def _soup(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 10)):
        tag, kind = rng.choice(TAGS), rng.random()
        parts.append(
            f"</{tag}>"
            if kind < 0.35
            else f"<{tag}/>"
            if kind < 0.45
            else f"<{tag}>"
            if kind < 0.8
            else f"<{tag} color=1>"
        )
        if rng.random() < 0.3:
            parts.append("x")
    return "".join(parts)


def test_the_estimate_never_falls_below_the_parsed_depth_of_repeated_tag_soups() -> None:
    rng = random.Random(12)
    for _ in range(300):
        soup = _soup(rng)
        html = "<html><body>" + soup * 30  # repeated: an underestimate would grow with length
        assert nesting_depth("x", html, 10**9) + SLACK >= _tree_depth(html), soup


@pytest.mark.parametrize(
    "unit",
    [
        "<div></b>",  # stray end tags close nothing
        "<span><div></span>",  # the div stops </span>
        "<b><div></b>",  # the parser rebuilds the b inside the div
        "<div/>",  # "/>" does not close a div
        "<table><td>",  # the parser adds a tbody and a tr
    ],
)
def test_end_tags_that_close_nothing_do_not_lower_the_estimate(unit: str) -> None:
    html = "<html><body>" + unit * 200
    assert nesting_depth("x", html, 10**9) + SLACK >= _tree_depth(html)


def test_ordinary_pages_with_unclosed_paragraphs_and_many_tables_are_not_refused() -> None:
    page = (
        "<html><body>"
        + "<p>A paragraph left open." * 6000
        + "<ul>"
        + "<li>an item" * 6000
        + "</ul>"
        + "<table><tr><td>a<td>b</tr></table>" * 6000
    )
    refuse_costly_html("page.html", page)


def test_an_element_with_too_many_attributes_is_refused() -> None:
    attributes = " ".join(f"a{n}=x" for n in range(MAX_ATTRIBUTES + 1))
    with pytest.raises(UnreadableFileError, match="attributes"):
        refuse_costly_html("page.html", f"<div {attributes}>x</div>")
    refuse_costly_html("page.html", f"<div {attributes.rsplit(' ', 2)[0]}>x</div>")
