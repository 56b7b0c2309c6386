"""A second, independent look at every generated sentence askdocs showed (for llm_check).

The service's check (service/generation/check.py) decided what to show; this audit does not
reuse its code. It is stricter where that is cheap: every run of digits in the sentence must be
in the cited excerpts (separators dropped), and every capitalised word — the first one
included, unless it is a common sentence opener — must occur in them, case ignored, as a
word. A sentence failing either the service's check run again or this audit is "unsupported".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from askdocs.service.generation.check import check_sentence

_MARK = re.compile(r"\[(\d+)\]")
_LETTERS = re.compile(r"[A-Za-zÀ-ÿ]+")
_OPENERS = frozenset(
    """a an the it its this that these those there they he she we in on at by for from to of
    with as yes no and but or so also both each all some most many during after before
    since while when where which who what how""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Finding:
    """A shown sentence and why it is unsupported (empty: it is supported)."""

    sentence: str
    problems: list[str]


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _LETTERS.findall(text)}


def _digits(text: str) -> set[str]:
    return set(re.findall(r"\d+", re.sub(r"(?<=\d)[,.'\u00a0\u202f\u2009 ](?=\d)", "", text)))


def audit_sentence(sentence: str, sources: dict[int, str]) -> Finding:
    """The audit of one shown sentence against the sources it cites."""
    problems: list[str] = []
    cited = [int(n) for n in _MARK.findall(sentence)]
    if not cited:
        problems.append("no marker")
    missing = [n for n in cited if n not in sources]
    if missing:
        problems.append(f"unknown source {missing}")
    text = " ".join(sources[n] for n in cited if n in sources)
    claim = _MARK.sub(" ", sentence)
    for number in sorted(_digits(claim) - _digits(text)):
        problems.append(f"number {number} not in the cited sources")
    words, tokens = _words(text), _LETTERS.findall(re.sub(r"<[^>]*>", " ", claim))
    for i, token in enumerate(tokens):
        if token[0].isupper() and token.casefold() not in words:
            if i == 0 and token.casefold() in _OPENERS:
                continue
            problems.append(f"name {token!r} not in the cited sources")
    verdict = check_sentence(sentence, sources)
    if not verdict.ok:
        problems.append(f"the service's check: {verdict.reason}")
    return Finding(sentence, problems)


def audit_answer(sentences: list[str], sources: list[dict[str, Any]]) -> list[Finding]:
    """Findings for each sentence shown (in generated mode, each `delta` of the stream is
    one), against the numbered sources the stream announced."""
    texts = {int(c["n"]): str(c["excerpt"]) for c in sources}
    return [audit_sentence(s, texts) for s in sentences]
