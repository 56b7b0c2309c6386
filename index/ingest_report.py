"""What one ingest did: documents added, updated, removed and skipped, per format, and the time
each stage took (index/writer.py fills it; the CLI prints it)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from askdocs.ingest.documents import Skipped


@dataclass
class FormatStats:
    """Per file format (suffix): files read, files skipped, their pages and stored chunks."""

    files: int = 0
    skipped: int = 0
    pages: int = 0
    chunks: int = 0


@dataclass
class IngestReport:
    """What one ingest did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    chunks_embedded: int = 0
    documents: int = 0
    chunks: int = 0
    version: str | None = None
    formats: dict[str, FormatStats] = field(default_factory=dict)  # by suffix, e.g. ".pdf"
    # Seconds spent per stage: loading (reading and parsing files), chunking, embedding,
    # writing (store, search indexes, manifest, switching versions).
    timings: dict[str, float] = field(default_factory=dict)

    def timed(self, stage: str, started: float) -> None:
        """Add the time since `started` (a perf_counter value) to `stage`."""
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - started

    @property
    def changed(self) -> bool:
        """Whether a new version was written."""
        return bool(self.added or self.updated or self.removed)
