"""How an index version was built: its manifest, written by the writer, and the ingests that
would add to a version otherwise than it says, refused.

What a search depends on is recorded (index/manifest.py). The embedding and chunking must match
for an ingest to carry chunks over; the fusion and document weights need not: they are
search-time settings (ASKDOCS_FUSION_DENSE_WEIGHT, ASKDOCS_LEXICAL_DOCUMENT_WEIGHT), and a
version records the ones its ingest ran with, so an eval can tell what it was built and
measured under.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from askdocs.errors import CorruptIndexError, IncompatibleIndexError
from askdocs.index.embedder import Embedder
from askdocs.index.integrity import checksums, remember, stamps, verify
from askdocs.index.lexical import TOKENIZER
from askdocs.index.manifest import EMBEDDED, POOLED, Manifest
from askdocs.settings import Settings


def describe(
    folder: Path, embedder: Embedder, settings: Settings, vector_index: str, counts: tuple[int, int]
) -> None:
    """Write the manifest of the version in `folder` holding (documents, chunks) `counts`, and
    record its files as verified: their checksums are taken here, from the bytes just written."""
    files = [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()]
    before = stamps(folder, files)  # taken before hashing, so a change made meanwhile shows
    sums = checksums(folder)
    build_manifest(embedder, settings, vector_index, counts, sums).save(folder)
    remember(folder, {name: before[name] for name in sums if name in before})


def build_manifest(
    embedder: Embedder,
    settings: Settings,
    vector_index: str,
    counts: tuple[int, int],
    sums: dict[str, str],
) -> Manifest:
    """The manifest of an index holding (documents, chunks) `counts`, made now."""
    return Manifest(
        model=embedder.model_name,
        dimension=embedder.dimension,
        max_seq_length=embedder.max_tokens,
        embedding_backend=embedder.backend_in_use,
        sentence_vectors=EMBEDDED if embedder.span_pooler() is None else POOLED,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        chunk_paragraphs=settings.chunk_paragraphs,
        chunk_context=settings.chunk_context,
        vector_index=vector_index,
        lexical_tokenizer=TOKENIZER,
        dense_weight=settings.fusion_dense_weight,
        document_weight=settings.lexical_document_weight,
        documents=counts[0],
        chunks=counts[1],
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        checksums=sums,
    )


def check_base(live: Path, manifest: Manifest) -> None:
    """Refuse to build on a live version whose files fail their checksums: the new version
    starts as a copy of its store and an update of its vectors and BM25 (index/writer.py),
    which would carry the damage over under fresh checksums. Files are hashed only when they
    changed since they were last verified, so this is a few stats."""
    try:
        verify(live, manifest.checksums)
    except CorruptIndexError as exc:
        raise CorruptIndexError(
            f"the live index version {live.name} is corrupt ({exc}); ingest will not build on "
            f"it. Write the name of an intact older version from {live.parent} into "
            f"{live.parent.parent / 'CURRENT'}, or ingest into a new --index"
        ) from exc


def check_compatible(
    manifest: Manifest, embedder: Embedder, settings: Settings, root: Path | str
) -> None:
    """Refuse to add chunks made otherwise than the index's: every chunk of a version is
    embedded by its manifest's model and chunked as it says."""
    manifest.check_model(embedder.model_name, root)
    built = (
        manifest.chunk_tokens,
        manifest.chunk_overlap,
        manifest.chunk_paragraphs,
        manifest.chunk_context,
    )
    wanted = (
        settings.chunk_tokens,
        settings.chunk_overlap,
        settings.chunk_paragraphs,
        settings.chunk_context,
    )
    if built != wanted:
        raise IncompatibleIndexError(
            f"index at {root} was chunked with {_chunking(*built)}; the settings ask for "
            f"{_chunking(*wanted)}. Ingest into a new --index to change chunking."
        )


# Backends whose vectors are the model's own to within rounding (cosine >= 0.9999 to float32):
# an index may hold vectors of any of them. int8 differs by quantisation noise (~0.99).
FULL_PRECISION = ("torch", "onnx", "torch-bf16")


def same_vectors(built: str, running: str) -> bool:
    """Whether vectors from backend `running` may join an index built with `built`."""
    return built == running or (built in FULL_PRECISION and running in FULL_PRECISION)


def check_backend(manifest: Manifest, embedder: Embedder, root: Path | str) -> None:
    """Refuse to add vectors made by a backend whose vectors differ from the index's by more
    than rounding (call only when about to embed: it loads the model): int8 vectors differ
    from the others by quantisation noise. The manifest names the backend of its last ingest."""
    backend = embedder.backend_in_use
    if not same_vectors(manifest.embedding_backend, backend):
        raise IncompatibleIndexError(
            f"index at {root} was embedded with the {manifest.embedding_backend} backend; this "
            f"ingest runs {backend}. Set ASKDOCS_EMBEDDING_BACKEND={manifest.embedding_backend} "
            "or ingest into a new --index."
        )


def _chunking(tokens: int, overlap: int, paragraphs: bool, context: bool) -> str:
    return (
        f"{tokens} tokens and {overlap} overlap"
        + (", whole paragraphs" if paragraphs else "")
        + (", read after their title and section" if context else "")
    )
