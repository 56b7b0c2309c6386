"""What kind of answer a question asks for, and whether a sentence can supply it.

A classic question-answering check that needs no language model: "How many ...?" wants a
number, "When ...?" a date, "What phone number ...?" a phone number, "Which countries ...?" a
country's name, "How much money ...?" an amount with its currency. A sentence that cannot hold
the kind of answer asked for is not an answer, however similar its words are; when no
retrieved sentence can, the documents most likely do not cover the question.
"""

from __future__ import annotations

import re
from enum import Enum

from service.places import names_country


class AnswerType(Enum):
    """The kinds of answer the checks know; ANY accepts every sentence."""

    ANY = "any"
    NUMBER = "number"
    DATE = "date"
    PHONE = "phone"
    EMAIL = "email"
    COUNTRY = "country"
    MONEY = "money"


_QUESTION_PATTERNS: list[tuple[AnswerType, re.Pattern[str]]] = [
    (AnswerType.PHONE, re.compile(r"\b(phone|telephone|fax|hotline)\s*(number)?\b", re.I)),
    (AnswerType.EMAIL, re.compile(r"\be-?mail\b", re.I)),
    (
        AnswerType.COUNTRY,
        re.compile(r"\b(which|what)\s+(specific\s+|particular\s+)?countr(y|ies)\b", re.I),
    ),
    (
        AnswerType.DATE,
        re.compile(
            r"^\s*when\b|\b(what|which|in what|in which)\s+(year|month|date|day)\b"
            r"|\bhow long ago\b|\bsince when\b",
            re.I,
        ),
    ),
    (
        AnswerType.MONEY,
        re.compile(r"\bhow much\s+(money|funding|funds|financing|investment|aid)\b", re.I),
    ),
    (
        AnswerType.NUMBER,
        re.compile(
            r"\bhow (many|much)\b|\bwhat (percentage|proportion|share|fraction|number|amount)\b"
            r"|\bhow (big|large|high|long|old)\b",
            re.I,
        ),
    ),
]

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|thousand|million|billion|half|quarter|third|dozen|percent|majority|"
    r"single|double|twice|several|all|none|most"
)
_SENTENCE_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    AnswerType.NUMBER: re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.I),
    AnswerType.DATE: re.compile(
        r"\b(1[6-9]|20)\d\d\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
        r"|\b(yesterday|today|decade|century)\b",
        re.I,
    ),
    AnswerType.PHONE: re.compile(r"(\+?\d[\d\s().-]{6,}\d)"),
    # An amount of money names its currency; "48 million litres" is not one.
    AnswerType.MONEY: re.compile(
        r"[$€£¥]|\b(USD|EUR|GBP|CHF|JPY|US\$|dollars?|euros?|pounds sterling|francs?|yen)\b"
    ),
    AnswerType.EMAIL: re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
}


_HOW_MANY = re.compile(r"\bhow many\s+((?:[\w-]+\s*){1,3})", re.I)


def counted_words(question: str) -> str:
    """The words naming what a "How many ...?" question counts ("" for other questions).

    A count is only an answer when the sentence mentions what is counted: "30% quota" does
    not say how many peacekeepers there are.
    """
    match = _HOW_MANY.search(question)
    return match.group(1) if match else ""


def expected_type(question: str) -> AnswerType:
    """The kind of answer `question` asks for (ANY when it cannot tell)."""
    for kind, pattern in _QUESTION_PATTERNS:
        if pattern.search(question):
            return kind
    return AnswerType.ANY


def can_answer(sentence: str, kind: AnswerType) -> bool:
    """Whether `sentence` holds something of the kind asked for."""
    if kind is AnswerType.ANY:
        return True
    if kind is AnswerType.COUNTRY:
        return names_country(sentence)
    pattern = _SENTENCE_PATTERNS[kind]
    if kind is AnswerType.PHONE:
        # A phone number has at least seven digits; postcodes and years have fewer.
        return any(sum(ch.isdigit() for ch in m.group()) >= 7 for m in pattern.finditer(sentence))
    return pattern.search(sentence) is not None
