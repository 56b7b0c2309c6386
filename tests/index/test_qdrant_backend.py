"""The Qdrant backend (Qdrant's local mode) against the embedded one on the sample corpus:
the same rankings, answers and citations, and incremental ingest, deletes and the invariant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from askdocs.errors import NotFoundError
from askdocs.index.backend import open_backend
from askdocs.index.collection import Collection
from askdocs.index.qdrant_backend import QdrantCollection
from askdocs.index.writer import ingest_documents, ingest_paths
from askdocs.service.answerer import Answerer
from askdocs.settings import SearchMode, Settings
from tests.conftest import SAMPLE_QUESTIONS
from tests.service.upload_jobs import upload_report

QUESTIONS = [json.loads(line)["question"] for line in SAMPLE_QUESTIONS.read_text().splitlines()]


@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
def test_lexical_and_hybrid_rank_the_same_chunks_with_the_same_scores(
    sample_collection: Collection, qdrant_collection, mode: SearchMode
) -> None:
    for question in QUESTIONS:
        embedded = sample_collection.rank(question, 10, mode)
        qdrant = qdrant_collection.rank(question, 10, mode)
        assert [cid for cid, _ in qdrant] == [cid for cid, _ in embedded], question
        assert [s for _, s in qdrant] == pytest.approx([s for _, s in embedded], rel=1e-5)


def test_dense_ranks_the_same_scores_and_texts(
    sample_collection: Collection, qdrant_collection
) -> None:
    for question in QUESTIONS:
        embedded = sample_collection.rank(question, 10, "dense")
        qdrant = qdrant_collection.rank(question, 10, "dense")
        assert [s for _, s in qdrant] == pytest.approx([s for _, s in embedded], abs=1e-6)
        # Identical chunks (a paragraph both documents hold) tie and may come in either order,
        # or either be the one cut at k: the texts at each rank are the same.
        texts = sample_collection.chunks([cid for cid, _ in embedded])
        found = qdrant_collection.chunks([cid for cid, _ in qdrant])
        assert [found[cid].chunk.text for cid, _ in qdrant] == [
            texts[cid].chunk.text for cid, _ in embedded
        ], question


def test_answers_and_citations_are_identical_on_the_sample_questions(
    sample_collection: Collection, qdrant_collection
) -> None:
    settings = Settings()
    embedded, qdrant = Answerer(sample_collection, settings), Answerer(qdrant_collection, settings)
    answered = 0
    for question in QUESTIONS:
        a, b = embedded.answer(question), qdrant.answer(question)
        assert (b.answer, b.abstained) == (a.answer, a.abstained), question
        cited = [(c.doc_id, c.start, c.end, c.excerpt, c.title, c.source) for c in a.citations]
        assert [(c.doc_id, c.start, c.end, c.excerpt, c.title, c.source) for c in b.citations] == (
            cited
        )
        for c in b.citations:
            assert qdrant_collection.get_document(c.doc_id).text[c.start : c.end] == c.excerpt
        answered += not b.abstained
    assert answered > len(QUESTIONS) // 2


def test_documents_counts_and_idf_match_the_embedded_store(
    sample_collection: Collection, qdrant_collection
) -> None:
    assert qdrant_collection.list_documents() == sample_collection.list_documents()
    assert qdrant_collection.count() == sample_collection.count()
    for info in sample_collection.list_documents():
        assert qdrant_collection.get_document(info.id) == sample_collection.get_document(info.id)
    terms = ["spotlight", "women", "mali", "neverseenword"]
    assert qdrant_collection.inverse_document_frequency(terms) == pytest.approx(
        sample_collection.inverse_document_frequency(terms), rel=1e-6
    )
    assert qdrant_collection.manifest.chunks == sample_collection.manifest.chunks
    ids = [cid for batch, _, _ in sample_collection.iter_chunks() for cid in batch.tolist()]
    assert [cid for batch, _, _ in qdrant_collection.iter_chunks() for cid in batch.tolist()] == ids


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_incremental_ingest_skips_unchanged_replaces_changed_and_prunes(
    tmp_path: Path, embedder
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    _write(docs, "wells.md", "# Wells\n\nThe village dug three new wells in 2021 for clean water.")
    _write(docs, "roads.md", "# Roads\n\nThe district paved forty kilometres of rural roads.")
    settings = Settings(
        backend="qdrant", qdrant_path=tmp_path / "qdrant", qdrant_collection="incremental"
    )
    first = ingest_paths(settings.index, [docs], embedder, settings)
    assert (len(first.added), first.documents) == (2, 2)
    again = ingest_paths(settings.index, [docs], embedder, settings)
    assert (again.unchanged, again.chunks_embedded, again.changed) == (2, 0, False)

    _write(docs, "wells.md", "# Wells\n\nThe village dug seven boreholes in 2024 for irrigation.")
    changed = ingest_paths(settings.index, [docs], embedder, settings)
    assert (changed.updated, changed.unchanged) == ([str(docs / "wells.md")], 1)
    collection = open_backend(settings, embedder)
    assert collection.count() == (2, first.chunks)
    top = collection.search("boreholes irrigation", k=1, mode="lexical")[0]
    assert "seven boreholes" in top.stored.chunk.text
    assert not any("three new wells" in h.stored.chunk.text for h in collection.search("wells", 5))
    wells = top.stored.chunk.doc_id
    text = collection.get_document(wells).text
    assert text[top.stored.chunk.start : top.stored.chunk.end] == top.stored.chunk.text

    (docs / "roads.md").unlink()
    kept = ingest_paths(settings.index, [docs], embedder, settings)
    assert kept.removed == [] and kept.documents == 2  # without --prune nothing is removed
    pruned = ingest_paths(settings.index, [docs], embedder, settings, prune=True)
    assert pruned.removed == [str(docs / "roads.md")] and pruned.documents == 1
    assert collection.count() == (1, pruned.chunks)
    assert [d.id for d in collection.list_documents()] == [wells]
    assert all(h.stored.chunk.doc_id == wells for h in collection.search("rural roads", 5))


def test_delete_by_id_removes_the_document_its_chunks_and_sentences(
    tmp_path: Path, embedder, sample_corpus: Path
) -> None:
    settings = Settings(
        backend="qdrant", qdrant_path=tmp_path / "qdrant", qdrant_collection="deletes"
    )
    ingest_paths(settings.index, [sample_corpus], embedder, settings)
    collection = QdrantCollection.from_settings(settings, embedder)
    victim = collection.list_documents()[0]
    report = ingest_documents(settings.index, [], embedder, settings, remove_ids=[victim.id])
    assert len(report.removed) == 1 and report.documents == 1
    with pytest.raises(NotFoundError):
        collection.get_document(victim.id)
    assert all(h.stored.chunk.doc_id != victim.id for h in collection.search("Spotlight", 20))
    assert collection.count() == (1, report.chunks)
    sentences = collection.client.count(collection.names.sentences, exact=True).count
    survivors = [key for key in _sentence_keys(collection) if key[0] == victim.id]
    assert sentences > 0 and survivors == []


def _sentence_keys(collection) -> list[tuple[str, int, int]]:
    points, _ = collection.client.scroll(collection.names.sentences, limit=10_000)
    return [(p.payload["doc_id"], p.payload["start"], p.payload["end"]) for p in points]


def test_admin_upload_and_delete_through_the_api(tmp_path: Path, embedder) -> None:
    from fastapi.testclient import TestClient

    from askdocs.service.app import create_app

    settings = Settings(
        index=tmp_path / "index",
        backend="qdrant",
        qdrant_path=tmp_path / "qdrant",
        qdrant_collection="admin",
        admin_key="k" * 16,
    )
    text = "# Zebra\n\nThe Zebra project audit ledger is stored in vault seven in Nairobi."
    with TestClient(create_app(settings, embedder=embedder)) as client:
        headers = {"X-Admin-Key": "k" * 16}
        files = {"files": ("zebra.md", text.encode(), "text/markdown")}
        uploaded = client.post("/api/documents", files=files, headers=headers)
        report = upload_report(client, uploaded, headers)
        doc_id = uploaded.json()["files"][0]["doc_id"]
        assert report["documents"][0]["status"] == "added", report
        asked = client.post("/api/ask", json={"question": "Where is the Zebra audit ledger?"})
        citation = asked.json()["citations"][0]
        document = client.get(f"/api/documents/{doc_id}").json()
        assert document["text"][citation["start"] : citation["end"]] == citation["excerpt"]
        assert "vault seven" in citation["excerpt"]
        deleted = client.delete(f"/api/documents/{doc_id}", headers=headers)
        assert deleted.status_code == 200 and deleted.json()["total_documents"] == 0
        assert client.get(f"/api/documents/{doc_id}").status_code == 404
        assert client.get("/healthz").json()["documents"] == 0


@pytest.mark.parametrize("fusion", ["rrf", "dbsf"])
def test_server_side_fusion_ranks_both_rankings_chunks(
    qdrant_collection, qdrant_settings: Settings, embedder, fusion: str
) -> None:
    settings = qdrant_settings.replace(qdrant_fusion=fusion)
    fused = QdrantCollection.from_settings(settings, embedder)
    query = "gender parity strategy for corrections officers"
    hits = fused.search(query, 5)
    assert len(hits) == 5 and [h.score for h in hits] == sorted(
        (h.score for h in hits), reverse=True
    )
    # What each ranking puts first is among the fused five.
    found = {h.stored.id for h in hits}
    assert qdrant_collection.rank(query, 1, "dense")[0][0] in found
    assert qdrant_collection.rank(query, 1, "lexical")[0][0] in found
    for hit in hits:
        chunk = hit.stored.chunk
        assert fused.get_document(chunk.doc_id).text[chunk.start : chunk.end] == chunk.text
