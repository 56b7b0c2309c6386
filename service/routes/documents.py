"""GET /api/documents, GET /api/documents/{doc_id} and its /passage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from askdocs.service.deps import CollectionDep
from askdocs.service.passages import around
from askdocs.service.schemas import DocumentDetail, DocumentList, DocumentSummary, Passage

router = APIRouter(prefix="/api/documents", tags=["documents"])

MAX_PASSAGE_CHARS = 10_000
MAX_CONTEXT_CHARS = 1_000


@router.get("", response_model=DocumentList)
def list_documents(collection: CollectionDep) -> DocumentList:
    """Every document in the collection."""
    return DocumentList(
        documents=[
            DocumentSummary(doc_id=d.id, title=d.title, source=d.source, chunks=d.chunks)
            for d in collection.list_documents()
        ]
    )


@router.get("/{doc_id}", response_model=DocumentDetail)
def get_document(doc_id: str, collection: CollectionDep) -> DocumentDetail:
    """One document with its full text (the text all offsets point into)."""
    doc = collection.get_document(doc_id)
    return DocumentDetail(doc_id=doc.id, title=doc.title, source=doc.source, text=doc.text)


@router.get("/{doc_id}/passage", response_model=Passage)
def get_passage(
    doc_id: str,
    collection: CollectionDep,
    start: Annotated[int, Query(ge=0)],
    end: Annotated[int, Query(ge=0)],
    context: Annotated[int, Query(ge=0, le=MAX_CONTEXT_CHARS)] = 160,
) -> Passage:
    """`document.text[start:end]` with up to `context` characters of its paragraph each side."""
    doc = collection.get_document(doc_id)
    if not start < end <= len(doc.text) or end - start > MAX_PASSAGE_CHARS:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"start and end must satisfy 0 <= start < end <= {len(doc.text)} (the document's "
            f"length) and span at most {MAX_PASSAGE_CHARS} characters",
        )
    before, after = around(doc.text, start, end, context)
    return Passage(
        doc_id=doc.id,
        title=doc.title,
        source=doc.source,
        start=start,
        end=end,
        text=doc.text[start:end],
        before=before,
        after=after,
    )
