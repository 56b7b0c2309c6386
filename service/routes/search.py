"""POST /api/search: the passages that match a query."""

from __future__ import annotations

from fastapi import APIRouter

from askdocs.service.deps import CollectionDep, SettingsDep
from askdocs.service.schemas import SearchRequest, SearchResponse, SearchResult

router = APIRouter(prefix="/api", tags=["search"])


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, collection: CollectionDep, settings: SettingsDep) -> SearchResponse:
    """Search the collection: dense, lexical or hybrid (the default)."""
    hits = collection.search(
        body.query, k=body.top_k or settings.top_k, mode=body.mode or settings.search_mode
    )
    return SearchResponse(
        results=[
            SearchResult(
                doc_id=h.stored.chunk.doc_id,
                title=h.stored.title,
                source=h.stored.source,
                text=h.stored.chunk.text,
                start=h.stored.chunk.start,
                end=h.stored.chunk.end,
                score=round(h.score, 6),
                section=h.stored.chunk.section,
                page=h.stored.chunk.page,
            )
            for h in hits
        ]
    )
