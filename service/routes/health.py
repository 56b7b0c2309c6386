"""GET /healthz."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from askdocs.errors import CorruptIndexError, IndexError_, IndexNotFoundError
from askdocs.service.deps import HolderDep
from askdocs.service.errors import public
from askdocs.service.schemas import Health, HealthStatus

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "No index, or none that can be served."}},
)
def healthz(holder: HolderDep, response: Response) -> Health:
    """Whether the service has an index to answer from (503 when it has none it can use)."""
    try:
        collection = holder.get()
    except IndexError_ as exc:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        state: HealthStatus = "no-index"
        warning = None
        if not isinstance(exc, IndexNotFoundError):
            state = "corrupt" if isinstance(exc, CorruptIndexError) else "incompatible"
            warning = public(str(exc), holder.settings.index)
        return Health(
            status=state,
            documents=0,
            chunks=0,
            version=None,
            model=holder.settings.model,
            warning=warning,
        )
    return Health(
        status="ok" if collection.warning is None else "degraded",
        documents=collection.manifest.documents,
        chunks=collection.manifest.chunks,
        version=collection.version,
        model=collection.manifest.model,
        warning=public(collection.warning, holder.settings.index) if collection.warning else None,
    )
