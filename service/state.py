"""The service's long-lived objects: the embedder and the live collection view.

The collection is reopened when another process (askdocs ingest) or an upload switches the
index to a new version; a request holds on to the view it started with, so it never reads a
mix of two versions. A corrupt live version is replaced by the newest intact older one (its
view carries a warning, shown by /healthz); a view whose store breaks while serving makes
requests fail with CorruptIndexError (503) instead of answering from damaged data.
"""

from __future__ import annotations

import threading
from pathlib import Path

from askdocs.errors import CorruptIndexError, IncompatibleIndexError, IndexError_
from askdocs.index.backend import Backend, open_backend
from askdocs.index.embedder import Embedder
from askdocs.index.layout import current_version
from askdocs.settings import Settings


class CollectionHolder:
    """Hands out the current `Collection`, reopening it when the live version changes."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._collection: Backend | None = None
        # The live version (CURRENT) the view was opened for: with a fallback it differs
        # from the view's own folder.
        self._opened_for: Path | None = None
        # Opening the live version failed: it is not retried (and re-verified) per request
        # until CURRENT names another version.
        self._failed: tuple[Path, IndexError_] | None = None
        self._lock = threading.Lock()

    def get(self) -> Backend:
        """The view of the live version (raises IndexNotFoundError when there is none,
        CorruptIndexError when no version is intact or the view's store broke)."""
        if self.settings.backend == "qdrant":
            return self._qdrant()
        live = current_version(self.settings.index)
        current = self._collection
        if current is None or live is None or self._opened_for != live:
            current = self._reopen(live)
        current.ensure_intact()
        return current

    def _qdrant(self) -> Backend:
        """Qdrant collections change in place: one view serves every request (opened again
        only until the collection exists)."""
        if self._collection is None:
            with self._lock:
                if self._collection is None:
                    self._collection = open_backend(self.settings, self.embedder)
        return self._collection

    def _reopen(self, live: Path | None) -> Backend:
        with self._lock:
            if self._collection is not None and live is not None and self._opened_for == live:
                return self._collection
            if self._failed is not None and self._failed[0] == live:
                raise self._failed[1]
            try:
                # The old view is not closed: requests in flight may still be reading it.
                collection = open_backend(self.settings, self.embedder, fallback=True)
            except (CorruptIndexError, IncompatibleIndexError) as exc:
                if live is not None:
                    self._failed = (live, exc)
                raise
            self._collection, self._opened_for, self._failed = collection, live, None
            return collection
