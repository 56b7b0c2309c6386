"""Refuse HTML that would make the parser slow, by a linear scan before parsing.

lexbor's time grows with the square of the nesting depth (76 s for 100,000 levels in a 1 MB
file) and with the square of the number of attributes on one element (3.5 s for 45,000 in
400 KB). Real pages nest a few dozen levels and carry a handful of attributes per element.

The depth is estimated by replaying the tags on a stack that only ever overestimates the
parser's stack of open elements: every start tag opens an element (and a table cell the row and
body the parser adds for it), and only certain closings close one: an end tag naming the
innermost element, or a start tag that always ends its like (`<li>` after an open `<li>`).
An end tag that may close more than that is taken to close nothing: had it been allowed to
close an element further out (`<div><span></div>`), a page could make the estimate lose track
and stay low while the real nesting grows (`"<div></b>" * 60000` did so to the previous scan,
which let any end tag close an element). Pages that leave elements unclosed (`<p>` inside a
`<div>`) count them: the old scan did too. `/>` is read as the HTML parser reads it, closing
only void elements: `<div/>` opens a div (SVG's `<path/>` then counts as open as well).
"""

from __future__ import annotations

import re

from askdocs.errors import UnreadableFileError

MAX_PARSE_DEPTH = 5000
MAX_ATTRIBUTES = 256

# A tag up to its ">" (or the end of the text), attributes in group 3. Possessive quantifiers:
# once a part is read it is never read again, so a tag that never closes costs one pass.
_TAG = re.compile(
    r"<(/?)([a-zA-Z][^\s/>]*+)"
    r"((?:[\s/]*+[^\s/>][^\s/>=]*+(?:\s*+=\s*+(?:\"[^\"]*+\"?|'[^']*+'?|[^\s>]*+))?+)*+)"
    r"[\s/]*+>?"
)
_ATTRIBUTE = re.compile(
    r"[\s/]*+[^\s/>][^\s/>=]*+(?:\s*+=\s*+(?:\"[^\"]*+\"?|'[^']*+'?|[^\s>]*+))?+"
)
_VOID = frozenset(
    [
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "embed",
        "frame",
        "hr",
        "image",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# Start tags that close an open element of their kind when it is the innermost one.
_ENDS = {
    "li": ("li", "p"),
    "dd": ("dd", "dt", "p"),
    "dt": ("dd", "dt", "p"),
    "td": ("td", "th"),
    "th": ("td", "th"),
    "tr": ("tr",),
    "option": ("option",),
    "optgroup": ("option",),
}
# Start tags that close a <p> (the innermost element: in button scope for sure). Not <table>:
# pages without a doctype are parsed in quirks mode, where a table opens inside the paragraph.
_CLOSES_P = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "listing",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "search",
        "section",
        "summary",
        "ul",
        "xmp",
    ]
)
_SECTIONS = frozenset({"tbody", "thead", "tfoot"})
_FOREIGN = frozenset({"svg", "math"})
_TABLE_PARTS = frozenset({"caption", "colgroup", "tbody", "thead", "tfoot", "tr", "td", "th"})


def refuse_costly_html(source: str, html: str) -> None:
    """Raise UnreadableFileError (naming `source`) for HTML nested deeper than MAX_PARSE_DEPTH
    or with an element carrying more than MAX_ATTRIBUTES attributes."""
    if nesting_depth(source, html, MAX_PARSE_DEPTH) > MAX_PARSE_DEPTH:
        raise UnreadableFileError(
            source, f"HTML nested deeper than {MAX_PARSE_DEPTH} levels, refused"
        )


def nesting_depth(source: str, html: str, limit: int) -> int:
    """The deepest nesting of open elements the parser may reach, read up to where it passes
    `limit`; raises UnreadableFileError for an element with too many attributes."""
    stack: list[str] = []
    deepest = 0
    foreign = 0  # open <svg> and <math>: inside them "<input>" or "<wbr>" opens an element
    for tag in _TAG.finditer(html):
        closing, name, attributes = tag.group(1), tag.group(2).lower(), tag.group(3)
        if len(attributes) > 2 * MAX_ATTRIBUTES and _count(attributes) > MAX_ATTRIBUTES:
            raise UnreadableFileError(
                source, f"an HTML element has more than {MAX_ATTRIBUTES} attributes, refused"
            )
        if closing:
            if stack and stack[-1] == name:
                foreign -= stack.pop() in _FOREIGN
            elif name == "table" and stack and stack[-1] in _TABLE_PARTS:
                _close_table(stack)
            continue
        if name in _VOID and not foreign:
            continue
        foreign += name in _FOREIGN
        if (
            not foreign
            and stack
            and (stack[-1] in _ENDS.get(name, ()) or (name in _CLOSES_P and stack[-1] == "p"))
        ):
            foreign -= stack.pop() in _FOREIGN
        if name in ("td", "th") and (not stack or stack[-1] != "tr"):
            stack += ("tbody", "tr")  # the parser adds them (at most these two)
        elif name == "tr" and (not stack or stack[-1] not in _SECTIONS):
            stack.append("tbody")
        stack.append(name)
        deepest = max(deepest, len(stack))
        if deepest > limit:
            break
    return deepest


def _close_table(stack: list[str]) -> None:
    """`</table>` over open rows and cells: they close with the table. (Safe to allow: the
    parser only opens a row or cell inside a table, so when they are open a table is too.)"""
    below = len(stack)
    while below and stack[below - 1] in _TABLE_PARTS:
        below -= 1
    if below and stack[below - 1] == "table":
        del stack[below - 1 :]


def _count(attributes: str) -> int:
    return sum(1 for _ in _ATTRIBUTE.finditer(attributes))
