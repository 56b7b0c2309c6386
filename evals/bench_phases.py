"""The phases of `askdocs bench`, each run in a fresh interpreter so that its peak memory is
its own: `python -m askdocs.evals.bench_phases PHASE JSON-ARGS` prints the phase's figures as
one JSON line.

- ingest: the corpus into a new index, then again unchanged;
- baseline: the same chunk texts through sentence-transformers' `encode` with its defaults into
  a flat FAISS index: what a first attempt would do;
- queries: search and ask latency in process (the question embedded anew each time);
- http: `askdocs serve` on a free loopback port: cold start to the first answer, single-client
  latency, throughput at each concurrency level, the service's peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from askdocs.evals.bench_figures import (
    BaselineFigures,
    BenchLevel,
    HttpFigures,
    IngestFigures,
    QueryFigures,
)
from askdocs.evals.child import free_port
from askdocs.evals.percentiles import Percentiles
from askdocs.settings import Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from askdocs.ingest.models import Document

SERVER_START_TIMEOUT_S = 180.0
# Requests per endpoint in the single-client HTTP latency.
SINGLE_CLIENT_REQUESTS = 100


def is_beir(corpus: Path) -> bool:
    """Whether `corpus` is a BEIR dataset folder."""
    return (corpus / "corpus.jsonl").is_file()


def corpus_documents(corpus: Path, limit: int | None) -> list[Document]:
    """The documents of a BEIR folder or a folder of files (the first `limit` when given)."""
    if is_beir(corpus):
        from askdocs.evals.beir import load_corpus
        from askdocs.evals.beir_eval import beir_documents

        return beir_documents(corpus, list(load_corpus(corpus).values())[:limit])
    from askdocs.evals.indexing import folder_documents

    return folder_documents(corpus, limit)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tree_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def phase_ingest(corpus: Path, index: Path, limit: int | None) -> IngestFigures:
    """Ingest the corpus into `index` (fresh), then once more unchanged."""
    from askdocs.index.embedder import Embedder
    from askdocs.index.writer import ingest_documents

    settings = Settings(index=index)
    embedder = Embedder.from_settings(settings)
    embedder.encode(["warm-up"])  # the model's load is cold start, not ingest
    started = time.perf_counter()
    docs = corpus_documents(corpus, limit)
    loading = time.perf_counter() - started
    report = ingest_documents(index, docs, embedder, settings)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = ingest_documents(index, corpus_documents(corpus, limit), embedder, settings)
    second = time.perf_counter() - started
    return IngestFigures(
        documents=report.documents,
        chunks=report.chunks,
        tokens=sum(embedder.count_tokens(text) for text in chunk_texts(index)),
        seconds=seconds,
        stages={"loading": loading, **report.timings},
        second_seconds=second,
        second_embedded=again.chunks_embedded,
        peak_rss_mb=_peak_rss_mb(),
        index_bytes=_tree_bytes(index),
    )


def chunk_texts(index: Path) -> list[str]:
    """The texts of every chunk in the live version of `index`."""
    from askdocs.index.layout import STORE, current_version
    from askdocs.index.store import Store

    live = current_version(index)
    if live is None:
        raise RuntimeError(f"{index} holds no index")
    store = Store(live / STORE, readonly=True)
    try:
        return [t for _, batch, _ in store.iter_chunks() for t in batch]
    finally:
        store.close()


def naive_model() -> SentenceTransformer:
    """The baseline: the settings' model in sentence-transformers with its defaults, warmed up."""
    from sentence_transformers import SentenceTransformer

    from askdocs.index.model_source import resolve_model

    model = SentenceTransformer(resolve_model(Settings().model), device="cpu")
    model.encode(["warm-up"])
    return model


def phase_baseline(index: Path) -> BaselineFigures:
    """The chunk texts askdocs made, embedded the naive way into a flat FAISS index."""
    import faiss

    texts = chunk_texts(index)
    model = naive_model()
    started = time.perf_counter()
    vectors = model.encode(texts)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    return BaselineFigures(len(texts), time.perf_counter() - started, _peak_rss_mb())


def phase_queries(index: Path, queries: list[str]) -> QueryFigures:
    """In-process search and ask latency, each question new to the query cache."""
    from askdocs.index.collection import Collection
    from askdocs.index.embedder import Embedder
    from askdocs.service.answerer import Answerer

    settings = Settings(index=index)
    embedder = Embedder.from_settings(settings)
    collection = Collection.from_settings(settings, embedder)
    answerer = Answerer(collection, settings)
    answerer.answer("warm-up question")
    search_ms: list[float] = []
    ask_ms: list[float] = []
    for query in queries:
        embedder.forget_queries()
        started = time.perf_counter()
        collection.search(query, k=settings.top_k, mode=settings.search_mode)
        search_ms.append((time.perf_counter() - started) * 1000)
        embedder.forget_queries()
        started = time.perf_counter()
        answerer.answer(query)
        ask_ms.append((time.perf_counter() - started) * 1000)
    collection.close()
    return QueryFigures(Percentiles.of(search_ms), Percentiles.of(ask_ms))


# --- the service over HTTP -------------------------------------------------------------------


@contextmanager
def running_server(index: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], float]]:
    """`askdocs serve` on a free loopback port: (url, process, seconds to the first answer);
    stopped on leaving."""
    import httpx

    port = free_port()
    env = {**os.environ, "ASKDOCS_INDEX": str(index), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "askdocs.cli", "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            while True:
                if process.poll() is not None:
                    err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                    raise RuntimeError(f"askdocs serve exited early: {err[-2000:]}")
                if time.perf_counter() - started > SERVER_START_TIMEOUT_S:
                    raise RuntimeError(
                        f"askdocs serve did not answer within {SERVER_START_TIMEOUT_S:.0f} s"
                    )
                try:
                    response = http.post("/api/ask", json={"question": "What is this about?"})
                    if response.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        yield url, process, time.perf_counter() - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _service_peak_rss_mb(pid: int) -> float:
    """The service's peak resident memory (VmHWM), Linux only."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def phase_http(
    index: Path, queries: list[str], clients: list[int], seconds: float, max_requests: int
) -> HttpFigures:
    """Cold start, single-client latency and concurrent throughput over HTTP.

    The service remembers recent query vectors; so that every timed request is a question it
    has not seen, search, ask and each concurrency level draw on separate queries (a level
    only repeats questions when it asks more than it was given: `repeated` says how many)."""
    import httpx

    from askdocs.evals.load import run_level

    n = max(1, len(queries) // (2 + len(clients)))
    parts = [queries[i * n : (i + 1) * n] for i in range(2 + len(clients))]
    with running_server(index) as (url, process, cold_start):
        latencies: dict[str, list[float]] = {"search": [], "ask": []}
        with httpx.Client(base_url=url, timeout=60) as http:
            for name, path, key, part in (
                ("search", "/api/search", "query", parts[0]),
                ("ask", "/api/ask", "question", parts[1]),
            ):
                for query in part[:SINGLE_CLIENT_REQUESTS]:
                    started = time.perf_counter()
                    http.post(path, json={key: query}).raise_for_status()
                    latencies[name].append((time.perf_counter() - started) * 1000)
        levels = []
        for clients_n, part in zip(clients, parts[2:], strict=True):
            limit = min(max_requests, len(part)) if max_requests > 0 else len(part)
            level = run_level(url, clients_n, seconds, limit, part)
            levels.append(BenchLevel(**asdict(level), repeated=max(0, level.requests - len(part))))
        return HttpFigures(
            cold_start_s=cold_start,
            search=Percentiles.of(latencies["search"]),
            ask=Percentiles.of(latencies["ask"]),
            levels=levels,
            peak_rss_mb=_service_peak_rss_mb(process.pid),
        )


Figures = IngestFigures | BaselineFigures | QueryFigures | HttpFigures


def run_phase(phase: str, args: dict[str, Any]) -> Figures:
    """The figures of one phase, from its JSON arguments."""
    if phase == "ingest":
        return phase_ingest(Path(args["corpus"]), Path(args["index"]), args["limit"])
    if phase == "baseline":
        return phase_baseline(Path(args["index"]))
    if phase == "queries":
        return phase_queries(Path(args["index"]), args["queries"])
    if phase == "http":
        return phase_http(
            Path(args["index"]),
            args["queries"],
            args["clients"],
            args["seconds"],
            args["max_requests"],
        )
    raise SystemExit(f"unknown phase {phase!r}")


def main(argv: list[str]) -> int:
    """Child entry point: run PHASE with JSON-ARGS; print its figures as one JSON line."""
    print(json.dumps(asdict(run_phase(argv[0], json.loads(argv[1])))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
