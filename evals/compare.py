"""Side-by-side configurations: `--compare mode=dense,lexical,hybrid`, `--compare
chunk_tokens=96,128,256`..., and the questions that got better or worse between them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError

from askdocs.evals.runner import QuestionResult, RunResult
from askdocs.settings import Settings

# Short names accepted on the command line for Settings fields.
ALIASES = {"mode": "search_mode", "k": "top_k"}
# Settings that change what is stored, so each value needs its own index.
INDEX_FIELDS = ("chunk_tokens", "chunk_overlap", "model")
_NOT_COMPARABLE = {"index", "host", "port", "admin_key", "allowed_origins", "embed_batch_size"}


@dataclass(frozen=True)
class Variant:
    """One configuration of a comparison."""

    label: str
    settings: Settings

    @property
    def index_key(self) -> str:
        """Equal for variants that can share one index."""
        return "-".join(str(getattr(self.settings, f)) for f in INDEX_FIELDS)


def parse_compare(spec: str, base: Settings) -> tuple[str, list[Variant]]:
    """`FIELD=V1,V2,...` → the field's name and one variant of `base` per value.

    Raises ValueError naming the field or value that is not acceptable.
    """
    name, sep, values_text = spec.partition("=")
    name = name.strip()
    field = ALIASES.get(name, name)
    values = [v.strip() for v in values_text.split(",") if v.strip()]
    comparable = sorted(set(Settings.model_fields) - _NOT_COMPARABLE)
    if not sep or field not in comparable:
        known = ", ".join(["mode", *comparable])
        raise ValueError(f"--compare expects FIELD=V1,V2,... with FIELD one of: {known}")
    if len(values) < 2 or len(set(values)) != len(values):
        raise ValueError(f"--compare {name}: give at least two distinct values")
    variants = []
    for value in values:
        try:
            settings = Settings(**{**base.model_dump(), field: value})
        except ValidationError as exc:
            problem = exc.errors()[0]["msg"]
            raise ValueError(f"--compare {name}={value}: {problem}") from None
        label = value if field == "search_mode" else f"{name}={value}"
        variants.append(Variant(label, settings))
    return name, variants


def slug(label: str) -> str:
    """A configuration's label as a file-name part (run files, report files, index folders):
    letters, digits and `-_.=` kept, anything else `_`."""
    return "".join(c if c.isalnum() or c in "-_.=" else "_" for c in label)


def variant_of(base: Settings, label: str = "") -> Variant:
    """A single configuration, labelled by its search mode unless told otherwise."""
    return Variant(label or base.search_mode, base)


@dataclass(frozen=True)
class Change:
    """A question whose outcome differs between two runs."""

    id: str
    question: str
    aspect: str  # "retrieval", "answer" or "abstention"
    before: str
    after: str
    better: bool

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def changes(before: RunResult, after: RunResult) -> list[Change]:
    """Questions that got better or worse from `before` to `after`: the rank of the first
    relevant chunk (within the top 10), whether the answer holds the evidence, and abstention
    on unanswerable questions."""
    found: list[Change] = []
    by_id = {q.id: q for q in after.questions}
    for old in before.questions:
        new = by_id.get(old.id)
        if new is None:
            continue
        if old.answerable:
            if old.first_relevant != new.first_relevant:
                found.append(
                    Change(
                        old.id,
                        old.question,
                        "retrieval",
                        _rank(old),
                        _rank(new),
                        _rank_key(new) < _rank_key(old),
                    )
                )
            if old.answer_evidence != new.answer_evidence:
                found.append(
                    Change(
                        old.id,
                        old.question,
                        "answer",
                        _outcome(old),
                        _outcome(new),
                        bool(new.answer_evidence),
                    )
                )
        elif old.abstained != new.abstained:
            found.append(
                Change(
                    old.id,
                    old.question,
                    "abstention",
                    _outcome(old),
                    _outcome(new),
                    new.abstained,
                )
            )
    return found


def _rank(result: QuestionResult) -> str:
    return f"rank {result.first_relevant}" if result.first_relevant else "not in top 10"


def _rank_key(result: QuestionResult) -> int:
    return result.first_relevant or 10**6


def _outcome(result: QuestionResult) -> str:
    if result.abstained:
        return "abstained"
    if not result.answerable:
        return "answered"
    return "evidence" if result.answer_evidence else "no evidence"
