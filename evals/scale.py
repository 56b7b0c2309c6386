"""Dense search at scale, on synthetic vectors: build time, latency, recall@10, memory.

    python -m askdocs.evals.scale --vectors 1000000 --dim 384 --queries 1000 --runs 3

The vectors are clustered, not uniform: `--centres` random unit centres, each vector a centre
plus isotropic Gaussian noise of norm ≈ `--noise`, normalised (noise 1.0 puts a vector at cosine
≈ 0.7 from its centre and ≈ 0.5 from its cluster-mates). Uniform random vectors in 384-d would be
the trivially hard case (no neighbour structure at all); a few tight clusters the trivially easy
one. Queries are fresh draws from the same distribution, not stored vectors.

The index is built by `VectorIndex.build`, which picks its kind from the number of vectors as
ingest does (or `--kind` forces one). Latency is per single query (k=10, one query at a time, as
the service searches), p50/p95/p99 of each run, median over `--runs`. Recall@10 is against exact
search (`faiss.knn`). Memory: the process's resident memory increase while building the index,
and the index's size on disk.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import faiss
import numpy as np
import typer

from askdocs.evals.percentiles import percentile
from askdocs.index.vectors import VectorIndex

DEEP_K = 1000  # what hybrid search asks the dense index for (index/collection.py)
GENERATE_BLOCK = 100_000

app = typer.Typer(add_completion=False)


def synthetic_vectors(
    count: int, dim: int, centres: np.ndarray, noise: float, rng: np.random.Generator
) -> np.ndarray:
    """`count` unit vectors, each a random centre plus Gaussian noise of norm ≈ `noise`."""
    out = np.empty((count, dim), dtype=np.float32)
    for start in range(0, count, GENERATE_BLOCK):
        stop = min(count, start + GENERATE_BLOCK)
        picks = rng.integers(0, len(centres), stop - start)
        block = rng.standard_normal((stop - start, dim), dtype=np.float32)
        block *= noise / math.sqrt(dim)
        block += centres[picks]
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:stop] = block
    return out


def unit_centres(count: int, dim: int, rng: np.random.Generator) -> np.ndarray:
    """`count` random directions on the unit sphere."""
    centres = rng.standard_normal((count, dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    return centres


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc; 0 where unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def latencies(index: VectorIndex, queries: np.ndarray, k: int) -> np.ndarray:
    """Seconds per single-query search, one query at a time."""
    times = np.empty(len(queries))
    for i, query in enumerate(queries):
        start = time.perf_counter()
        index.search(query, k)
        times[i] = time.perf_counter() - start
    return times


def percentiles_ms(runs: list[np.ndarray]) -> dict[str, float]:
    """p50/p95/p99 of each run in milliseconds, median over the runs."""
    out = {}
    for p in (50, 95, 99):
        per_run = [percentile(r.tolist(), p) for r in runs]
        out[f"p{p}_ms"] = round(float(np.median(per_run)) * 1e3, 3)
    return out


def recall(index: VectorIndex, queries: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Mean share of the exact top `k` that the index returns in its top `k`."""
    found = 0
    for query, exact in zip(queries, truth, strict=True):
        got = {cid for cid, _ in index.search(query, k)}
        found += len(got.intersection(exact[:k].tolist()))
    return found / (len(queries) * k)


def flat_p50_at_sizes(
    sizes: list[int], vectors: np.ndarray, queries: np.ndarray, dim: int
) -> dict[int, float]:
    """p50 (ms) of exact flat search, k=10, on the first `size` vectors, for each size."""
    out = {}
    for size in sizes:
        size = min(size, len(vectors))
        ids = np.arange(size, dtype=np.int64)
        flat = VectorIndex.build(dim, ids, vectors[:size], kind="flat")
        out[size] = round(float(np.median(latencies(flat, queries, 10))) * 1e3, 3)
        del flat
    return out


def measure(
    count: int,
    dim: int,
    n_queries: int,
    runs: int,
    centres: int,
    noise: float,
    kind: str | None,
    build_threads: int,
    search_threads: int,
    flat_sizes: list[int],
    seed: int,
) -> dict[str, Any]:
    """Generate, build, search; every figure of the report."""
    rng = np.random.default_rng(seed)
    centre_vectors = unit_centres(centres, dim, rng)
    vectors = synthetic_vectors(count, dim, centre_vectors, noise, rng)
    queries = synthetic_vectors(n_queries, dim, centre_vectors, noise, rng)
    ids = np.arange(1, count + 1, dtype=np.int64)  # chunk ids start at 1 in SQLite

    faiss.omp_set_num_threads(build_threads)
    rss_before = rss_bytes()
    start = time.perf_counter()
    index = VectorIndex.build(dim, ids, vectors, kind=kind)
    build_s = time.perf_counter() - start
    rss_increase = rss_bytes() - rss_before
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vectors.faiss"
        index.save(path)
        index_bytes = path.stat().st_size

    # Exact neighbours (ids are row + 1), with every thread: this is not the measured part.
    _, rows = faiss.knn(queries, vectors, DEEP_K, metric=faiss.METRIC_INNER_PRODUCT)
    truth = rows + 1

    faiss.omp_set_num_threads(search_threads)
    index.search(queries[0], 10)  # warm up
    runs_10 = [latencies(index, queries, 10) for _ in range(runs)]
    runs_deep = [latencies(index, queries, DEEP_K) for _ in range(runs)]
    flat_p50 = flat_p50_at_sizes(flat_sizes, vectors, queries[:200], dim) if flat_sizes else {}

    return {
        "vectors": count,
        "dim": dim,
        "queries": n_queries,
        "runs": runs,
        "data": f"clustered: {centres} random unit centres + Gaussian noise of norm {noise}",
        "seed": seed,
        "build_threads": build_threads,
        "search_threads": search_threads,
        "index": index.spec,
        "build_s": round(build_s, 2),
        "search_k10": percentiles_ms(runs_10),
        f"search_k{DEEP_K}": percentiles_ms(runs_deep),
        "recall_at_10": round(recall(index, queries, truth, 10), 4),
        f"recall_at_{DEEP_K}": round(recall(index, queries, truth, DEEP_K), 4),
        "vectors_bytes": int(vectors.nbytes),
        "rss_increase_bytes": int(rss_increase),
        "index_file_bytes": int(index_bytes),
        "flat_p50_ms_by_size": flat_p50,
    }


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def render(r: dict[str, Any]) -> str:
    """The report as an aligned table."""

    def timing(t: dict[str, float]) -> str:
        return f"p50 {t['p50_ms']:.2f} ms  p95 {t['p95_ms']:.2f} ms  p99 {t['p99_ms']:.2f} ms"

    rows = [
        ("vectors × dim", f"{r['vectors']:,} × {r['dim']}"),
        ("data", r["data"]),
        ("index", r["index"]),
        ("threads", f"build {r['build_threads']}, search {r['search_threads']}"),
        ("build time", f"{r['build_s']:.1f} s"),
        (f"search k=10 ({r['queries']} queries × {r['runs']} runs)", timing(r["search_k10"])),
        (f"search k={DEEP_K}", timing(r[f"search_k{DEEP_K}"])),
        ("recall@10 vs exact", f"{r['recall_at_10']:.4f}"),
        (f"recall@{DEEP_K} vs exact", f"{r[f'recall_at_{DEEP_K}']:.4f}"),
        ("raw vectors", _mb(r["vectors_bytes"])),
        ("RSS increase (build)", _mb(r["rss_increase_bytes"])),
        ("index file", _mb(r["index_file_bytes"])),
    ]
    for size, p50 in r["flat_p50_ms_by_size"].items():
        rows.append((f"flat p50 k=10 at {int(size):,}", f"{p50:.2f} ms"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


@app.command()
def main(
    vectors: Annotated[int, typer.Option(help="Number of synthetic chunk vectors.")] = 1_000_000,
    dim: Annotated[int, typer.Option(help="Vector dimension (all-MiniLM-L6-v2: 384).")] = 384,
    queries: Annotated[int, typer.Option(help="Queries per run.")] = 1000,
    runs: Annotated[int, typer.Option(help="Latency runs; the median is reported.")] = 3,
    centres: Annotated[int, typer.Option(help="Cluster centres of the synthetic data.")] = 4000,
    noise: Annotated[
        float, typer.Option(help="Noise norm around each centre (1.0: cos≈0.7).")
    ] = 1.0,
    kind: Annotated[
        str | None, typer.Option(help="Force flat, ivf or hnsw (default: as ingest chooses).")
    ] = None,
    build_threads: Annotated[
        int, typer.Option(help="FAISS threads while building (default: all cores).")
    ] = os.cpu_count() or 1,
    search_threads: Annotated[
        int,
        typer.Option(help="FAISS threads while searching; one query runs on one core anyway."),
    ] = 1,
    flat_sizes: Annotated[
        str, typer.Option(help="Also time exact flat search at these sizes, e.g. 10000,100000.")
    ] = "",
    seed: Annotated[int, typer.Option(help="Seed of numpy's RNG.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Time and score dense search over synthetic vectors at the given scale."""
    sizes = [int(s) for s in flat_sizes.split(",") if s.strip()]
    result = measure(
        vectors,
        dim,
        queries,
        runs,
        centres,
        noise,
        kind,
        build_threads,
        search_threads,
        sizes,
        seed,
    )
    typer.echo(json.dumps(result, indent=2) if as_json else render(result))


if __name__ == "__main__":
    app()
