"""GET /healthz."""

from __future__ import annotations

from fastapi import APIRouter

from askdocs.errors import IndexNotFoundError
from service.deps import HolderDep
from service.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz(holder: HolderDep) -> Health:
    """Whether the service has an index to answer from."""
    try:
        collection = holder.get()
    except IndexNotFoundError:
        return Health(
            status="no-index", documents=0, chunks=0, version=None, model=holder.settings.model
        )
    documents, chunks = collection.manifest.documents, collection.manifest.chunks
    return Health(
        status="ok",
        documents=documents,
        chunks=chunks,
        version=collection.version,
        model=collection.manifest.model,
    )
