"""The manifest records everything a search depends on, and an ingest that would build a version
otherwise than its manifest says is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from askdocs.errors import IncompatibleIndexError
from askdocs.evals.crash import FakeEmbedder, fake_settings, write_corpus
from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.layout import current_version
from askdocs.index.lexical import TOKENIZER
from askdocs.index.manifest import EMBEDDED, FORMAT_VERSION, MANIFEST, POOLED
from askdocs.index.writer import ingest_paths
from askdocs.settings import Settings


def _manifest(index: Path) -> dict[str, object]:
    live = current_version(index)
    assert live is not None
    data: dict[str, object] = json.loads((live / MANIFEST).read_text())
    return data


def _rewrite(index: Path, **changes: object) -> None:
    live = current_version(index)
    assert live is not None
    (live / MANIFEST).write_text(json.dumps({**_manifest(index), **changes}))


@pytest.fixture
def fake_index(tmp_path: Path) -> Path:
    index = tmp_path / "index"
    write_corpus(tmp_path / "docs", 0, files=4)
    ingest_paths(index, [tmp_path / "docs"], FakeEmbedder(), fake_settings(index))
    return index


def test_the_manifest_records_how_the_sample_index_was_built(
    sample_collection: Collection, sample_settings: Settings, embedder: Embedder
) -> None:
    recorded = _manifest(sample_settings.index)
    assert recorded["format_version"] == FORMAT_VERSION == 2
    assert recorded["model"] == sample_settings.model
    assert recorded["dimension"] == 384 and recorded["max_seq_length"] == 256
    # The default backend ran (the packaged model exports to ONNX) and pooled the sentences.
    assert recorded["embedding_backend"] == embedder.backend_in_use == "onnx"
    assert recorded["sentence_vectors"] == POOLED
    assert (recorded["chunk_tokens"], recorded["chunk_overlap"]) == (128, 32)
    assert recorded["chunk_paragraphs"] is False and recorded["chunk_context"] is False
    assert recorded["lexical_tokenizer"] == TOKENIZER
    assert (recorded["dense_weight"], recorded["document_weight"]) == (0.6, 2.0)
    assert recorded["vector_index"] == sample_collection.manifest.vector_index


def test_a_backend_without_span_pooling_records_sentences_embedded_alone(
    fake_index: Path,
) -> None:
    recorded = _manifest(fake_index)
    assert recorded["embedding_backend"] == "hashed-words"
    assert recorded["sentence_vectors"] == EMBEDDED


def test_a_version_records_the_search_weights_its_ingest_ran_with(tmp_path: Path) -> None:
    index = tmp_path / "index"
    write_corpus(tmp_path / "docs", 0, files=2)
    settings = fake_settings(index).replace(fusion_dense_weight=0.8, lexical_document_weight=0.5)
    ingest_paths(index, [tmp_path / "docs"], FakeEmbedder(), settings)
    recorded = _manifest(index)
    assert (recorded["dense_weight"], recorded["document_weight"]) == (0.8, 0.5)


def test_ingesting_with_another_backend_or_chunking_is_refused(
    fake_index: Path, tmp_path: Path
) -> None:
    more = tmp_path / "more"
    more.mkdir()
    (more / "pears.txt").write_text("Pears ripen after they are picked. " * 10)
    settings = fake_settings(fake_index)
    _rewrite(fake_index, embedding_backend="onnx-int8")
    with pytest.raises(IncompatibleIndexError, match="embedded with the onnx-int8 backend"):
        ingest_paths(fake_index, [more], FakeEmbedder(), settings)
    _rewrite(fake_index, embedding_backend="hashed-words")
    with pytest.raises(IncompatibleIndexError, match="read after their title and section"):
        ingest_paths(
            fake_index, [more], FakeEmbedder(), settings.model_copy(update={"chunk_context": True})
        )
    assert len(ingest_paths(fake_index, [more], FakeEmbedder(), settings).added) == 1


class Bf16Words(FakeEmbedder):
    """Word hashing that says it ran in bfloat16, as a bf16 ingest's manifest would."""

    @property
    def backend_in_use(self) -> str:
        return "torch-bf16"


def test_full_precision_backends_share_an_index_and_int8_does_not(
    fake_index: Path, tmp_path: Path
) -> None:
    """A bf16 ingest may add to an index built on onnx (and the service's fp32 uploads to a
    bf16 one): their vectors differ by rounding; int8 is refused either way."""
    more = tmp_path / "more"
    more.mkdir()
    (more / "pears.txt").write_text("Pears ripen after they are picked. " * 10)
    settings = fake_settings(fake_index)
    _rewrite(fake_index, embedding_backend="onnx")
    assert len(ingest_paths(fake_index, [more], Bf16Words(), settings).added) == 1
    assert _manifest(fake_index)["embedding_backend"] == "torch-bf16"
    (more / "plums.txt").write_text("Plums are stone fruit. " * 10)
    _rewrite(fake_index, embedding_backend="onnx-int8")
    with pytest.raises(IncompatibleIndexError, match="embedded with the onnx-int8 backend"):
        ingest_paths(fake_index, [more], Bf16Words(), settings)


def test_another_bm25_tokenizer_is_refused_on_open(fake_index: Path) -> None:
    _rewrite(fake_index, lexical_tokenizer="whitespace")
    with pytest.raises(IncompatibleIndexError, match="tokenized otherwise"):
        Collection.open(fake_index, FakeEmbedder())
