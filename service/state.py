"""The service's long-lived objects: the embedder and the live collection view.

The collection is reopened when another process (askdocs ingest) or an upload switches the
index to a new version; a request holds on to the view it started with, so it never reads a
mix of two versions.
"""

from __future__ import annotations

import threading

from askdocs.settings import Settings
from index.collection import Collection
from index.embedder import Embedder
from index.layout import current_version
from index.rerank import RerankConfig
from service.answerer import Answerer


class CollectionHolder:
    """Hands out the current `Collection`, reopening it when the live version changes."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._collection: Collection | None = None
        self._lock = threading.Lock()

    def get(self) -> Collection:
        """The view of the live version (raises IndexNotFoundError when there is none)."""
        live = current_version(self.settings.index)
        current = self._collection
        if current is not None and live is not None and current.folder == live:
            return current
        with self._lock:
            if self._collection is None or self._collection.folder != live:
                # The old view is not closed: requests in flight may still be reading it.
                self._collection = Collection.open(
                    self.settings.index,
                    self.embedder,
                    rerank=RerankConfig.from_settings(self.settings),
                )
            return self._collection

    def answerer(self) -> Answerer:
        """An answerer over the current view."""
        return Answerer(self.get(), self.settings)
