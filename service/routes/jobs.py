"""GET /api/jobs/{job_id}: how a background upload is doing (admin key)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from askdocs.errors import NotFoundError
from askdocs.service.deps import AdminDep, JobsDep
from askdocs.service.jobs import JobStatus

router = APIRouter(prefix="/api/jobs", tags=["admin"])


class JobState(BaseModel):
    """A job: queued, running, done (with its report) or failed (with the reason)."""

    job_id: str
    status: JobStatus
    report: dict[str, Any] | None = None  # an upload's: its documents' status, version, totals
    error: str | None = None


@router.get("/{job_id}", response_model=JobState, response_model_exclude_none=True)
def get_job(job_id: str, _admin: AdminDep, jobs: JobsDep) -> JobState:
    """The job's status; 404 for an id this server does not know (jobs live in memory: a
    restart forgets them)."""
    job = jobs.get(job_id)
    if job is None:
        raise NotFoundError(
            f"no job with id {job_id!r} (jobs are forgotten when the server restarts)"
        )
    return JobState(job_id=job.id, status=job.status, report=job.report, error=job.error)
