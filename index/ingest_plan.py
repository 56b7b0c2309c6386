"""What an ingest changes, shared by both writers (index/writer.py, index/qdrant_writer.py):
which documents are new, changed or unchanged, and which stored ones are removed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from askdocs.index.ingest_report import IngestReport
from askdocs.ingest.models import Document

# source -> (doc id, content hash) of every stored document
Stored = dict[str, tuple[str, str]]


def changed_documents(
    docs: Iterable[Document], stored: Stored, seen: set[str], report: IngestReport
) -> Iterator[Document]:
    """The new or changed documents of `docs`, first of each source, read as they come; counts
    unchanged, updated and added ones in `report` and every source read in `seen`."""
    for doc in docs:
        if doc.source in seen:
            continue
        seen.add(doc.source)
        previous = stored.get(doc.source)
        if previous is not None and previous[1] == doc.content_hash:
            report.unchanged += 1
            continue
        (report.updated if previous else report.added).append(doc.source)
        yield doc


def removed_ids(
    stored: Stored,
    seen: set[str],
    remove_ids: Iterable[str],
    remove_if: Callable[[str], bool] | None,
    report: IngestReport,
) -> set[str]:
    """`remove_ids` and the ids of stored documents `remove_if(source)` removes (unless their
    source was just read); every stored source removed is listed in `report.removed`."""
    wanted = set(remove_ids)
    for source, (doc_id, _) in stored.items():
        gone = remove_if is not None and source not in seen and remove_if(source)
        if doc_id in wanted or gone:
            report.removed.append(source)
            wanted.add(doc_id)
    return wanted
