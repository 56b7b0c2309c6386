"""Request and response bodies of the JSON API (separate from the stored records)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

from askdocs.service.answerer.pipeline import Citation

MAX_QUESTION_CHARS = 2000
MAX_HISTORY_TURNS = 20
MAX_TURN_CHARS = MAX_QUESTION_CHARS * 4
MAX_TOP_K = 50


def file_name(source: str) -> str:
    """What HTTP clients see of a document's source: its file name, never the server's path."""
    return PurePath(source).name or source


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("is blank: ask in words")
    return value


# A question or query: whitespace alone is refused (422) rather than answered.
Words = Annotated[str, AfterValidator(_not_blank)]

# Stored records keep the absolute path (incremental ingest needs it); replies carry the name.
PublicSource = Annotated[str, AfterValidator(file_name)]


class HistoryTurn(BaseModel):
    """One earlier turn of the conversation."""

    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class AskRequest(BaseModel):
    """POST /api/ask."""

    question: Words = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    top_k: int | None = Field(default=None, ge=1, le=MAX_TOP_K)
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)


# The answerer's `Citation` with the source reduced to its file name, built as
# `CitationOut(**asdict(citation))`: the fields are declared once, on the record, and a field
# added there is published too (redeclare it here with `Field(exclude=True)` if it must not be).
@pydantic_dataclass(frozen=True)
class CitationOut(Citation):
    """A cited excerpt; `document.text[start:end] == excerpt`."""

    source: PublicSource


class AskResponse(BaseModel):
    """The answer, whether the service abstained, and the numbered sources."""

    answer: str
    abstained: bool
    # Generated answers (DESIGN.md) are not built yet: every answer is extractive.
    mode: Literal["extractive", "generated"] = "extractive"
    dropped: int = 0
    citations: list[CitationOut]


class SearchRequest(BaseModel):
    """POST /api/search."""

    query: Words = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    top_k: int | None = Field(default=None, ge=1, le=MAX_TOP_K)
    mode: Literal["dense", "lexical", "hybrid"] | None = None


class SearchResult(BaseModel):
    """One retrieved passage; `document.text[start:end] == text`."""

    doc_id: str
    title: str
    source: PublicSource
    text: str
    start: int
    end: int
    score: float
    section: str | None = None
    page: int | None = None


class SearchResponse(BaseModel):
    """Results, best first."""

    results: list[SearchResult]


class DocumentSummary(BaseModel):
    """A document in the listing."""

    doc_id: str
    title: str
    source: PublicSource
    chunks: int


class DocumentList(BaseModel):
    """GET /api/documents."""

    documents: list[DocumentSummary]


class DocumentDetail(BaseModel):
    """GET /api/documents/{doc_id}: the text every offset points into."""

    doc_id: str
    title: str
    source: PublicSource
    text: str


class Passage(BaseModel):
    """GET /api/documents/{doc_id}/passage: `text` is `document.text[start:end]`; `before` and
    `after` are a little of its paragraph around it, with "…" where they were cut."""

    doc_id: str
    title: str
    source: PublicSource
    start: int
    end: int
    text: str
    before: str
    after: str


HealthStatus = Literal["ok", "degraded", "no-index", "corrupt", "incompatible"]


class Health(BaseModel):
    """GET /healthz: 200 while answering ("ok", or "degraded" when serving an older version
    because the live one is corrupt), 503 otherwise."""

    status: HealthStatus
    documents: int
    chunks: int
    version: str | None
    model: str
    warning: str | None = Field(
        default=None, description="Why the status is not ok, in a sentence."
    )
