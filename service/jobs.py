"""Background jobs: uploads are ingested one at a time on a worker thread, and polled by id.

The index has one writer, so one worker runs the jobs in the order they came. Jobs live in
memory only: a restart forgets them. Nothing is lost by that: a job's files wait in a journaled
pending folder (index/uploads.py), and the next start-up keeps them exactly when the live index
holds them; a job queued or running at shutdown is settled the same way. The last `KEEP`
finished jobs can be polled; older ones are forgotten.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from askdocs.errors import AskdocsError

log = logging.getLogger("askdocs.service")

JobStatus = Literal["queued", "running", "done", "failed"]
KEEP = 1000
_STOP = None  # put on the queue by `close`


def _no_report() -> dict[str, Any]:
    return {}


def _nothing() -> None:
    return None


@dataclass
class Job:
    """One job: what it is doing, and once finished its report or why it failed."""

    id: str
    status: JobStatus = "queued"
    report: dict[str, Any] | None = None
    error: str | None = None
    # Runs the job (returning its report); `cancel` gives up a job that never ran.
    run: Callable[[], dict[str, Any]] = field(default=_no_report, repr=False)
    cancel: Callable[[], None] = field(default=_nothing, repr=False)


class JobQueue:
    """Jobs run in order on one worker thread, started with the first job."""

    def __init__(self) -> None:
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._closed = False

    def submit(
        self, run: Callable[[], dict[str, Any]], cancel: Callable[[], None] = _nothing
    ) -> Job:
        """Queue a job; `run` makes its report, `cancel` undoes it if it never runs."""
        job = Job(secrets.token_hex(8), run=run, cancel=cancel)
        with self._lock:
            if self._closed:
                raise RuntimeError("the job queue is closed")
            self._jobs[job.id] = job
            self._forget_old()
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="askdocs-jobs")
                self._worker.start()
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None (never submitted, or forgotten)."""
        with self._lock:
            return self._jobs.get(job_id)

    def close(self, timeout: float = 60.0) -> None:
        """Let the running job finish, cancel the queued ones, stop the worker."""
        with self._lock:
            self._closed = True
            worker = self._worker
        while True:  # the queued jobs never run
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                cancel = job.cancel
                self._finish(job, error="the server stopped before this job ran")
                cancel()
        self._queue.put(_STOP)
        if worker is not None:
            worker.join(timeout)

    def _work(self) -> None:
        while (job := self._queue.get()) is not _STOP:
            assert job is not None
            job.status = "running"
            try:
                self._finish(job, report=job.run())
            except AskdocsError as exc:  # a message meant for users (a corrupt index, …)
                self._finish(job, error=str(exc))
            except Exception as exc:
                log.exception("job %s failed", job.id)
                self._finish(job, error=f"internal error ({type(exc).__name__})")

    def _finish(
        self, job: Job, report: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        with self._lock:
            job.report, job.error = report, error
            job.status = "failed" if error is not None else "done"
            job.run, job.cancel = _no_report, _nothing  # let go of what the job held

    def _forget_old(self) -> None:
        """Drop the oldest finished jobs beyond KEEP (queued and running ones stay)."""
        finished = [i for i, j in self._jobs.items() if j.status in ("done", "failed")]
        for job_id in finished[: max(0, len(finished) - KEEP)]:
            del self._jobs[job_id]
