"""Bulk ingest on a Ray cluster: `askdocs ingest PATH... --engine ray [--ray-address ADDR]`.

Ray Data does the heavy work in its workers: files are parsed (`map_batches` over the file
list, each through the same loaders and sandbox limits as a local ingest), then chunked and
embedded by a pool of embedding actors (one model per actor). The driver keeps only what is
cheap: comparing content hashes with what the configured backend stores (unchanged documents
are never sent to the actors, so an interrupted run resumes where it stopped), and writing the
results with the backend's own writer, batch by batch. The writer chunks each document again
(cheap and deterministic) and takes the actors' vectors instead of embedding
(`PrecomputedEmbedder`), so a Ray ingest stores exactly the chunks a local one would.

ray is an optional extra (`pip install 'askdocs[ray]'`), imported here only.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from askdocs.errors import IndexError_, MissingExtraError
from askdocs.index.backend import stored_hashes
from askdocs.index.embedder import Embedder, Progress
from askdocs.index.embedding_inputs import embedding_inputs
from askdocs.index.ingest_report import IngestReport
from askdocs.index.writer import ingest_documents
from askdocs.ingest.documents import discover, load_documents, source_of
from askdocs.ingest.models import Document
from askdocs.settings import EmbeddingBackend, Settings

# Documents written per backend write (a new version on the embedded backend).
WRITE_BATCH = 500
PARSE_BATCH = 16  # files per parse task
EMBED_BATCH = 32  # documents per embedding call in an actor

# A chunk's model text and its sentence spans: what its vectors are looked up by.
Key = tuple[str, tuple[tuple[int, int], ...]]


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise MissingExtraError("ray", "ray") from exc
    return ray


def _parse(batch: dict[str, np.ndarray]) -> dict[str, list[bytes]]:
    """A Ray task: load the batch's files; each row a pickled Document or Skipped."""
    files = [Path(str(p)) for p in batch["path"]]
    return {"item": [pickle.dumps(item) for item in load_documents(files)]}


class EmbeddingActor:
    """A Ray actor holding one model: chunks documents as ingest does and embeds them."""

    def __init__(
        self, settings_json: str, cache_dir: str | None, backend: EmbeddingBackend
    ) -> None:
        self.settings = Settings.model_validate_json(settings_json)
        s = self.settings
        folder = Path(cache_dir) if cache_dir else None
        # Actors embed documents only, on the driver's documents' backend (`backend`).
        self.embedder = Embedder(s.model, s.embed_batch_size, backend, folder)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[bytes]]:
        docs = [pickle.loads(blob) for blob in batch["doc"]]
        inputs = embedding_inputs(docs, self.embedder, self.settings)
        vectors, spans = self.embedder.encode_with_spans(inputs.texts, inputs.shifted)
        rows = [
            ((text, tuple(map(tuple, shifted))), vector, span)
            for text, shifted, vector, span in zip(
                inputs.texts, inputs.shifted, vectors, spans, strict=True
            )
        ]
        return {"chunk": [pickle.dumps(row) for row in rows]}


class PrecomputedEmbedder(Embedder):
    """The driver's embedder, serving the actors' vectors to the writer.

    It shares the real embedder's state (tokenizer, model name, backend: what chunking and the
    manifest read) and answers `encode_with_spans` from the table; a chunk missing from it is
    an error, never silently embedded here.
    """

    def __init__(self, real: Embedder, table: dict[Key, tuple[np.ndarray, np.ndarray]]):
        self.__dict__.update(real.__dict__)
        self.table = table

    def encode_with_spans(
        self, texts: list[str], spans: Any, progress: Progress = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The stored vectors of `texts` and their `spans`, from the actors."""
        found = []
        for text, row in zip(texts, spans, strict=True):
            key = (text, tuple(tuple(s) for s in row))
            if key not in self.table:
                raise IndexError_("Ray ingest: a chunk was not embedded by the workers")
            found.append(self.table[key])
        vectors = np.zeros((len(found), self.dimension), dtype=np.float32)
        for i, (vector, _) in enumerate(found):
            vectors[i] = vector
        return vectors, [span for _, span in found]


def ray_ingest_paths(
    root: Path,
    paths: Iterable[Path],
    embedder: Embedder,
    settings: Settings,
    prune: bool = False,
    address: str | None = None,
    actors: int = 2,
) -> IngestReport:
    """Ingest like `index.writer.ingest_paths`, parsing, chunking and embedding on Ray (the
    cluster at `address`, else a local one)."""
    ray = _ray()
    started = time.perf_counter()
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # askdocs prints its own report
    files, skipped = discover(paths)
    docs: list[Document] = []
    if files:
        items = [{"path": str(f)} for f in files]
        parsed = ray.data.from_items(items, override_num_blocks=_blocks(len(items))).map_batches(
            _parse, batch_size=PARSE_BATCH
        )
        for row in parsed.iter_rows():
            item = pickle.loads(row["item"])
            (docs if isinstance(item, Document) else skipped).append(item)
    order = {source_of(f): i for i, f in enumerate(files)}
    docs.sort(key=lambda d: order.get(d.source, len(order)))  # as a local ingest reads them
    loading = time.perf_counter() - started
    stored = stored_hashes(settings)
    changed = [d for d in docs if stored.get(d.source) != d.content_hash]
    report = IngestReport(skipped=list(skipped))
    for start in range(0, max(len(changed), 1), WRITE_BATCH):
        batch = changed[start : start + WRITE_BATCH]
        table = _embed(ray, batch, embedder, settings, actors) if batch else {}
        last = start + WRITE_BATCH >= len(changed)
        gone = (lambda source: not Path(source).exists()) if prune and last else None
        step = ingest_documents(
            root,
            batch + (docs if last else []),  # the last write also sees the unchanged ones
            PrecomputedEmbedder(embedder, table),
            settings,
            remove_if=gone,
        )
        _merge(report, step)
    report.unchanged = len(docs) - len(changed)
    report.timings["loading"] = loading
    return report


def _embed(
    ray: Any, docs: list[Document], embedder: Embedder, settings: Settings, actors: int
) -> dict[Key, tuple[np.ndarray, np.ndarray]]:
    """Chunk and embed `docs` in the actor pool; the vectors by chunk text and spans."""
    cache = str(embedder.cache_dir) if embedder.cache_dir else None
    items = [{"doc": pickle.dumps(d)} for d in docs]
    blocks = max(actors, _blocks(len(items)))
    chunks = ray.data.from_items(items, override_num_blocks=blocks).map_batches(
        EmbeddingActor,
        fn_constructor_kwargs={
            "settings_json": settings.model_dump_json(),
            "cache_dir": cache,
            "backend": embedder.document_backend,
        },
        batch_size=EMBED_BATCH,
        compute=ray.data.ActorPoolStrategy(size=actors),
    )
    table: dict[Key, tuple[np.ndarray, np.ndarray]] = {}
    for row in chunks.iter_rows():
        key, vector, spans = pickle.loads(row["chunk"])
        table[key] = (vector, spans)
    return table


def _blocks(items: int) -> int:
    """Blocks to split `items` rows into: enough for every worker to get some."""
    return max(1, min(items, 64, -(-items // EMBED_BATCH)))


def _merge(report: IngestReport, step: IngestReport) -> None:
    """Add one write's report to the whole run's."""
    report.added += [s for s in step.added if s not in report.added]
    report.updated += [s for s in step.updated if s not in report.updated]
    report.removed += step.removed
    report.chunks_embedded += step.chunks_embedded
    report.documents, report.chunks, report.version = step.documents, step.chunks, step.version
    for stage, seconds in step.timings.items():
        report.timings[stage] = report.timings.get(stage, 0.0) + seconds
