"""Uploads answer 202 with a job to poll: the helper tests use to wait for its outcome."""

from __future__ import annotations

import time
from typing import Any, Protocol

# A guard against a job that never ends, not a claim about speed.
JOB_DEADLINE_S = 300.0


class _Getter(Protocol):
    def get(self, url: str, *, headers: dict[str, str]) -> Any: ...


def finished_job(client: _Getter, accepted: Any, headers: dict[str, str]) -> dict[str, Any]:
    """Poll the job an upload was accepted with (202 and its Location) until it is done or
    failed; the job's final state (`report` when done, `error` when failed). `client` is a
    TestClient or an httpx.Client with the server's base URL."""
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["location"]
    assert location == f"/api/jobs/{accepted.json()['job_id']}"
    deadline = time.monotonic() + JOB_DEADLINE_S
    while True:
        response = client.get(location, headers=headers)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']} after {JOB_DEADLINE_S} s"
        time.sleep(0.02)


def upload_report(client: _Getter, accepted: Any, headers: dict[str, str]) -> dict[str, Any]:
    """The report of an upload's job, which must succeed."""
    job = finished_job(client, accepted, headers)
    assert job["status"] == "done", job
    report: dict[str, Any] = job["report"]
    return report
