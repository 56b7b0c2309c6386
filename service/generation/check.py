"""The check every generated sentence passes before it is shown: it says nothing its cited
sources don't.

Mechanical, with no model, so what a document or a model says cannot change it:

1. the sentence cites at least one source (`[n]`), and every `n` is one of the sources;
2. every fact in it appears in the sources it cites: numbers (digits, thousands separators
   and decimals normalised: "1,500" is 1500), number words ("million", "twelve"), names
   (capitalised words past the first, acronyms, the first word unless it is a common word)
   and negations ("not", "never", "n't");
3. at least `MIN_SUPPORT` of its content words (stop words out, Snowball stems) appear in
   them.

Texts are compared case-folded, with typographic quotes and dashes straightened and white
space collapsed.

Why 0.6: a faithful short sentence restates its source in the source's words plus a few of its
own ("The initiative was launched in 2017" over "Launched in 2017, the initiative…": 1 of 3
content words new). 0.6 lets a five-word claim bring two words of its own, no more. Facts are
not left to that share: a single invented number, name or negation fails the sentence. The
ratio only has to stop the rest — a sentence built on the sources' names but saying something
else — and a higher threshold mostly dropped honest paraphrases in the scripted cases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from askdocs.index.lexical import tokenize
from askdocs.service.generation.sentences import markers, without_markers

MIN_SUPPORT = 0.6

# The model's reply when the sources don't answer (prompt.py asks for exactly this).
DECLINE = "The sources do not answer this question."
_DECLINE_FORMS = ("sources do not answer", "sources don't answer", "sources don’t answer")

_QUOTES = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-"}
)
# 1,500 / 1 500 (narrow or no-break space) / 1'500 → 1500
_THOUSANDS = re.compile(r"(?<=\d)[,'\u00a0\u202f\u2009](?=\d{3}(?!\d))")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORD = re.compile(r"[^\W\d_]+")
_NEGATION = re.compile(r"\b(?:not|no|never|none|nor|neither|without|cannot)\b|n't\b")
NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty
    ninety hundred thousand million billion trillion dozen half twice double triple first
    second third fourth fifth percent""".split()  # noqa: SIM905
)
# Function words: neither content (ratio) nor names when capitalised ("The", "In").
STOP_WORDS = frozenset(
    """a about above after again against all also although am an and any are as at be because
    been before being below between both but by can could did do does doing down during each
    either else ever every few for from further had has have having he her here hers herself
    him himself his how however i if in into is it its itself just let may me might more most
    much must my myself now of off on once only or other our ours ourselves out over own per
    same she should since so some still such than that the their theirs them themselves then
    there these they this those through thus to too under until up upon us very was we were
    what when where whether which while who whom whose why will with within would yes yet you
    your yours according source sources document documents answer""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Verdict:
    """What the check found about one sentence: `reason` is None when it may be shown."""

    sentence: str
    cited: tuple[int, ...]
    reason: str | None = None
    support: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the sentence passed."""
        return self.reason is None


def normalise(text: str) -> str:
    """Text as the check compares it: NFKC, straight quotes and dashes, no thousands
    separators, white space collapsed, case-folded."""
    return re.sub(r"\s+", " ", _straighten(text)).casefold().strip()


def _straighten(text: str) -> str:
    # NFKC, no thousands separators, straight quotes and dashes.
    return unicodedata.normalize("NFKC", _THOUSANDS.sub("", text)).translate(_QUOTES)


def is_decline(sentence: str) -> bool:
    """Whether the sentence is the model saying the sources don't answer."""
    text = normalise(without_markers(sentence))
    return any(form in text for form in _DECLINE_FORMS)


def facts(claim: str) -> list[str]:
    """What must appear verbatim in the cited sources: numbers, number words, names (see the
    module docstring), each normalised; "not" stands for any negation."""
    text = _straighten(claim)
    found = list(_NUMBER.findall(text))
    for word in _WORD.findall(text):
        folded = word.casefold()
        if folded in NUMBER_WORDS:
            found.append(folded)
        elif len(word) >= 2 and word.isupper():
            found.append(folded)  # an acronym, wherever it stands
        elif word[0].isupper() and folded not in STOP_WORDS:
            found.append(folded)
    if "%" in text:
        found.append("percent")
    if _NEGATION.search(normalise(claim)):
        found.append("not")
    return list(dict.fromkeys(found))


def _source_terms(text: str) -> set[str]:
    norm = normalise(text)
    terms = set(_NUMBER.findall(norm)) | {w.casefold() for w in _WORD.findall(norm)}
    if _NEGATION.search(norm):
        terms.add("not")
    if "%" in norm:
        terms.add("percent")
    return terms


def content_stems(text: str) -> set[str]:
    """The stems of a text's content words (stop words and number-only tokens out)."""
    words = [w for w in _WORD.findall(normalise(text)) if w not in STOP_WORDS]
    return set(tokenize([" ".join(words)])[0])


def check_sentence(
    sentence: str, sources: Mapping[int, str], min_support: float = MIN_SUPPORT
) -> Verdict:
    """Whether `sentence` may be shown, given the sources' texts by number."""
    cited = tuple(markers(sentence))
    if not cited:
        return Verdict(sentence, cited, "cites no source")
    unknown = [n for n in cited if n not in sources]
    if unknown:
        return Verdict(sentence, cited, f"cites [{unknown[0]}], which is not a source")
    claim = without_markers(_THOUSANDS.sub("", sentence))
    cited_text = "\n".join(sources[n] for n in cited)
    terms = _source_terms(cited_text)
    missing = [fact for fact in facts(claim) if fact not in terms]
    # A fact word may be inflected differently in the source ("Kenyan" / "Kenya" is not
    # accepted, but the first word "Launched" / "launched" is): only the first word, a
    # capitalised common word, may match by stem.
    missing = [m for m in missing if not _first_word_by_stem(m, claim, cited_text)]
    if missing:
        return Verdict(sentence, cited, f"{missing[0]!r} is not in the cited sources")
    stems = content_stems(claim)
    if not stems:
        return Verdict(sentence, cited, None, 1.0)
    support = len(stems & content_stems(cited_text)) / len(stems)
    if support < min_support:
        reason = f"only {support:.0%} of its words are in the sources"
        return Verdict(sentence, cited, reason, support)
    return Verdict(sentence, cited, None, support)


def _first_word_by_stem(fact: str, claim: str, cited_text: str) -> bool:
    first = _WORD.search(claim)
    if first is None or first.group().casefold() != fact or first.group().isupper():
        return False
    stem = tokenize([fact])[0]
    return bool(stem) and stem[0] in set(tokenize([normalise(cited_text)])[0])
