"""The askdocs error hierarchy. The CLI and the API translate these into messages and statuses.

AskdocsError
├── IngestError            a file could not be turned into a document
│   └── UnreadableFileError    binary, undecodable, empty or unsupported file (skipped)
├── IndexError_            the on-disk collection
│   ├── IndexNotFoundError     no index at the path yet
│   ├── IncompatibleIndexError built with another model or format version
│   ├── CorruptIndexError      a file fails its checksum or cannot be read, CURRENT holds
│   │                          junk, or no version is intact (the service answers 503)
│   └── IndexLockedError       another ingest holds the write lock
├── MissingExtraError     an optional dependency (qdrant-client, ray) is not installed; the
│                          message names the pip command
├── ModelError             the embedding model cannot be loaded
│   └── ExportError            it cannot be exported to ONNX or quantised (the embedder logs it
│                              and runs the model on torch instead)
├── NotFoundError          a document id that is not in the collection
└── GenerationError        the model server (ASKDOCS_LLM_URL) failed, timed out or replied
                           with something unreadable (the answer is then the extractive one)
"""

from __future__ import annotations


class AskdocsError(Exception):
    """Base class of every error askdocs raises on purpose."""


class IngestError(AskdocsError):
    """A file could not be ingested."""


class UnreadableFileError(IngestError):
    """A file is skipped: binary, undecodable, empty or of an unsupported type."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexError_(AskdocsError):  # noqa: N801, N818 - the underscore avoids the builtin
    """Something is wrong with the on-disk collection."""


class IndexNotFoundError(IndexError_):
    """There is no index at the given path yet."""


class IncompatibleIndexError(IndexError_):
    """The index was built with another model or format version."""


class CorruptIndexError(IndexError_):
    """An index file is missing, unreadable or fails its checksum (also while serving), or
    CURRENT does not name a version."""


class IndexLockedError(IndexError_):
    """Another process is writing to the index."""


class MissingExtraError(AskdocsError):
    """An optional dependency is missing; the message says which `pip install` adds it."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"{package} is not installed; install it with: pip install 'askdocs[{extra}]'"
        )
        self.package = package
        self.extra = extra


class ModelError(AskdocsError):
    """The embedding model cannot be loaded."""


class ExportError(ModelError):
    """The embedding model cannot be exported to ONNX or quantised to int8."""


class NotFoundError(AskdocsError):
    """A document id that is not in the collection."""


class GenerationError(AskdocsError):
    """The model server failed, timed out or sent a reply that is not an OpenAI chat
    completion; callers fall back to the extractive answer."""
