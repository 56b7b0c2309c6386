"""GET /api/documents and GET /api/documents/{doc_id}."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import CollectionDep
from service.schemas import DocumentDetail, DocumentList, DocumentSummary

router = APIRouter(prefix="/api/documents", tags=["documents"])


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
