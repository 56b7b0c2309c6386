"""Bulk ingest on Ray: a local two-node cluster (ray.cluster_utils.Cluster) produces the same
index as a local ingest, on both backends, and resumes by content hash."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from askdocs.errors import MissingExtraError
from askdocs.index.backend import Backend, open_backend
from askdocs.index.ray_ingest import ray_ingest_paths
from askdocs.index.writer import ingest_paths
from askdocs.settings import Settings
from tests.conftest import SAMPLE_CORPUS


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """Two Ray nodes of one CPU each on this machine; the driver connected to them."""
    import ray
    from ray.cluster_utils import Cluster

    store = 100 * 2**20
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "object_store_memory": store, "include_dashboard": False},
    )
    cluster.add_node(num_cpus=1, object_store_memory=store)
    ray.init(address=cluster.address, log_to_driver=False)
    assert len([n for n in ray.nodes() if n["Alive"]]) == 2  # type: ignore[no-untyped-call]
    yield cluster.address
    ray.shutdown()
    cluster.shutdown()  # type: ignore[no-untyped-call]


def _chunks(collection: Backend) -> tuple[list[tuple[int, str]], np.ndarray]:
    rows = [
        (cid, text)
        for ids, texts, _ in collection.iter_chunks()
        for cid, text in zip(ids.tolist(), texts, strict=True)
    ]
    return rows, np.vstack([vectors for _, _, vectors in collection.iter_chunks()])


@pytest.mark.parametrize("backend", ["embedded", "qdrant"])
def test_ray_ingest_on_two_nodes_equals_a_local_ingest_and_resumes(
    ray_cluster: str, tmp_path: Path, embedder, backend: str
) -> None:
    docs = Path(shutil.copytree(SAMPLE_CORPUS, tmp_path / "docs"))
    (docs / "extra.md").write_text("# Wells\n\nThe village dug three new wells in 2021.\n")

    def settings(name: str) -> Settings:
        if backend == "qdrant":
            return Settings(backend="qdrant", qdrant_path=tmp_path / "q", qdrant_collection=name)
        return Settings(index=tmp_path / name)

    local, distributed = settings("local"), settings("ray")
    ingest_paths(local.index, [docs], embedder, local)
    report = ray_ingest_paths(distributed.index, [docs], embedder, distributed, address=ray_cluster)
    assert (len(report.added), report.chunks_embedded) == (3, report.chunks)
    expected, expected_vectors = _chunks(open_backend(local, embedder))
    rows, vectors = _chunks(open_backend(distributed, embedder))
    assert rows == expected  # same chunk ids and texts
    assert np.abs(vectors - expected_vectors).max() <= 1e-5

    again = ray_ingest_paths(distributed.index, [docs], embedder, distributed)
    assert (again.unchanged, again.chunks_embedded, again.changed) == (3, 0, False)
    (docs / "extra.md").write_text("# Wells\n\nThe village dug seven boreholes in 2024.\n")
    (docs / "DPKO work on gender-based violence.txt").unlink()
    changed = ray_ingest_paths(distributed.index, [docs], embedder, distributed, prune=True)
    assert changed.updated == [str(docs / "extra.md")] and changed.unchanged == 1
    assert changed.removed == [str(docs / "DPKO work on gender-based violence.txt")]
    collection = open_backend(distributed, embedder)
    assert collection.count() == (2, changed.chunks)
    assert "seven boreholes" in collection.search("boreholes", 1)[0].stored.chunk.text


def test_a_missing_ray_names_the_pip_command(monkeypatch: pytest.MonkeyPatch, embedder) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'askdocs\[ray\]'"):
        ray_ingest_paths(Path("unused"), [SAMPLE_CORPUS], embedder, Settings())
