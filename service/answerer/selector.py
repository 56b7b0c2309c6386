"""Selection: the best candidate and the sentences that belong to it, nothing that merely
scores a little lower.

What belongs: a leading "Yes." / "No." the document states just before it, when the question
asks yes or no (quoted before "How much storage comes with the Business plan?" it reads as a
wrong answer); a continuation
that leans on it (the next sentence of the same paragraph opening with a pronoun such as
"It", "They", "This"); the items a sentence ending in ":" introduces. Further, separate
sentences join only while the scorer is unsure: candidates are taken best first until their
softmax shares add up to `coverage`. The shares are calibrated on dev data (of the answers whose
best sentence has a share of 0.9 or more, 95 % hold the evidence; evals/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from askdocs.service.answerer.candidates import Candidate
from askdocs.settings import AnswerConfig

_YES_NO = re.compile(r"^(yes|no)\b[\s,.!;:—–-]*", re.IGNORECASE)

# (candidates, their softmax shares, the answer settings, whether the question asks yes or no)
Selector = Callable[[list[Candidate], np.ndarray, AnswerConfig, bool], list[Candidate]]


def belonging(best: Candidate, config: AnswerConfig, yes_no: bool = True) -> list[Candidate]:
    """`best` with the sentences around it that belong to it, in reading order."""
    group: list[Candidate] = []
    before = best.previous
    if (
        yes_no
        and before is not None
        and _YES_NO.match(before.text)
        and len(before.text.split()) <= config.yes_no_max_words
    ):
        group.append(before)
    group.append(best)
    continuation = re.compile(config.continuation_pattern)
    introduces = best.text.rstrip().endswith(":")
    after = best.next
    added = 0
    while after is not None and added < config.max_continuations and after.answerable:
        if not (introduces or continuation.match(after.text)):
            break
        group.append(after)
        added += 1
        after = after.next
    return group


def select(
    candidates: list[Candidate], shares: np.ndarray, config: AnswerConfig, yes_no: bool = True
) -> list[Candidate]:
    """The sentences to quote, from scorable `candidates` and their softmax `shares`; a
    leading "Yes."/"No." only when the question asks yes or no (`yes_no`)."""
    order = [int(i) for i in np.argsort(-shares)]
    chosen: list[Candidate] = []
    covered = 0.0
    for i in order[: config.max_scored]:
        if any(candidates[i].key == c.key for c in chosen):
            continue
        chosen.extend(belonging(candidates[i], config, yes_no))
        covered += float(shares[i])
        if covered >= config.coverage:
            break
    unique = list({c.key: c for c in chosen}.values())  # each sentence once, in order
    return unique[: config.max_sentences]


def first_sentence_of_top_chunk(
    candidates: list[Candidate], shares: np.ndarray, config: AnswerConfig, yes_no: bool = True
) -> list[Candidate]:
    """A naive selector kept for the quality gate's own test: it must fail the gate."""
    top = min(candidates, key=lambda c: (c.rank, c.start))
    return [top]
