"""Search and ask latency at scale, on a synthetic index built without the model's work:

    python -m askdocs.evals.query_scale --chunks 100000 --index /tmp/q100k --queries 200

The documents are SciFact abstracts (`--corpus`, any BEIR folder) repeated until the index holds
about `--chunks` chunks; each copy after the first is rotated by a few sentences and borrows one
sentence of another abstract, so copies are near-duplicates, not identical, and BM25 sees a real
vocabulary with real term statistics. They go through the real ingest (cleaning, chunking with
the model's tokenizer, SQLite, FAISS, BM25) with one change: chunk and sentence vectors come from
`SyntheticEmbedder`, clustered unit vectors derived from each text's hash (evals/scale.py's
distribution), so 100,000 chunks take minutes, not hours. Queries are the corpus's queries,
embedded by the real model, set up as the service sets it up (`Embedder.from_settings(...,
serving=True)`; FAISS searches each query on one thread, index/vectors.py).

An index already at `--index` is reused (delete it to rebuild). Figures, each the median over
`--runs` runs of the p50 over the queries, in milliseconds:

- search: `Collection.search` hybrid, k = top_k, the query embedded anew each time;
- rank: the same with the query's vector cached: retrieval, fusion and loading the texts only;
- ask: `Answerer.answer`, the query embedded anew;
- and the throughput of `--clients` threads asking in parallel (queries per second).
"""

from __future__ import annotations

import hashlib
import json
import statistics
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from askdocs.evals.beir import load_queries
from askdocs.evals.percentiles import percentile
from askdocs.evals.scale import synthetic_vectors, unit_centres
from askdocs.index.embedder import Embedder
from askdocs.ingest.models import Document
from askdocs.settings import Settings

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "scifact"
CENTRES = 256
NOISE = 1.0
CHUNKS_PER_DOCUMENT = 3.5  # SciFact's abstracts make about this many 128-token chunks

app = typer.Typer(add_completion=False)


class SyntheticEmbedder(Embedder):
    """The real model's tokenizer, dimension and name, but vectors made up from each text's
    hash: clustered unit vectors (evals/scale.py), the same for the same text."""

    def __init__(self, real: Embedder) -> None:
        super().__init__(real.model_name, real.batch_size, real.backend)
        self._runtime = real.model
        self._centres = unit_centres(CENTRES, self.dimension, np.random.default_rng(0))

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
            rng = np.random.default_rng(seed)
            out[i] = synthetic_vectors(1, self.dimension, self._centres, NOISE, rng)[0]
        return out

    def span_pooler(self) -> None:
        return None


def synthetic_documents(corpus: Path, chunks: int) -> list[Document]:
    """Copies of the corpus's abstracts, varied, until about `chunks` chunks."""
    from askdocs.evals.beir import BeirDoc, load_corpus
    from askdocs.evals.beir_eval import beir_documents
    from askdocs.ingest.sentences import split_sentences

    base = [d for d in load_corpus(corpus).values() if d.text.strip()]
    wanted = max(1, round(chunks / CHUNKS_PER_DOCUMENT))
    rng = np.random.default_rng(7)
    sentences = [[d.text[s:e] for s, e in split_sentences(d.text)] or [d.text] for d in base]
    entries: list[BeirDoc] = []
    for n in range(wanted):
        copy, i = divmod(n, len(base))
        doc = base[i]
        if copy == 0:
            entries.append(doc)
            continue
        own = sentences[i]
        turn = copy % len(own)
        other = sentences[int(rng.integers(len(base)))]
        borrowed = other[int(rng.integers(len(other)))]
        text = " ".join(own[turn:] + own[:turn] + [borrowed])
        entries.append(BeirDoc(f"{doc.id}-{copy}", f"{doc.title} ({copy})", text))
    return beir_documents(corpus, entries)


def build(index: Path, corpus: Path, chunks: int, embedder: Embedder) -> dict[str, Any]:
    """Ingest the synthetic documents into a new index at `index`."""
    from askdocs.index.writer import ingest_documents

    started = time.perf_counter()
    docs = synthetic_documents(corpus, chunks)
    report = ingest_documents(index, docs, SyntheticEmbedder(embedder), Settings(index=index))
    return {"documents": report.documents, "chunks": report.chunks,
            "build_s": round(time.perf_counter() - started, 1)}  # fmt: skip


def queries_of(corpus: Path, count: int) -> list[str]:
    """The first `count` queries of a BEIR folder."""
    return list(load_queries(corpus).values())[:count]


def _p50_ms(seconds: list[float]) -> float:
    return percentile(seconds, 50) * 1e3


def measure(
    index: Path, queries: list[str], runs: int, clients: int, embedder: Embedder | None = None
) -> dict[str, float]:
    """Median over `runs` of each figure (see the module's docstring); `embedder` embeds the
    questions (default: the settings' one)."""
    from askdocs.index.collection import Collection
    from askdocs.service.answerer import Answerer

    settings = Settings(index=index)
    embedder = embedder or Embedder.from_settings(settings, serving=True)
    collection = Collection.from_settings(settings, embedder, check=False)
    answerer = Answerer(collection, settings)
    answerer.answer("warm-up question")
    k = settings.top_k

    def timed(call: Any, fresh: bool) -> list[float]:
        out = []
        for query in queries:
            if fresh:
                embedder.forget_queries()
            started = time.perf_counter()
            call(query)
            out.append(time.perf_counter() - started)
        return out

    figures: dict[str, list[float]] = {"search": [], "rank": [], "ask": [], "qps": []}
    for _ in range(runs):
        figures["search"].append(_p50_ms(timed(lambda q: collection.search(q, k), True)))
        timed(embedder.encode_query, False)  # every vector cached for `rank`
        figures["rank"].append(_p50_ms(timed(lambda q: collection.search(q, k), False)))
        figures["ask"].append(_p50_ms(timed(answerer.answer, True)))
        figures["qps"].append(_throughput(answerer, embedder, queries, clients))
    collection.close()
    return {name: round(statistics.median(values), 2) for name, values in figures.items()}


def _throughput(answerer: Any, embedder: Embedder, queries: list[str], clients: int) -> float:
    """Questions answered per second by `clients` threads sharing the queries."""
    embedder.forget_queries()
    todo = list(queries)
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not todo:
                    return
                query = todo.pop()
            answerer.answer(query)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(queries) / (time.perf_counter() - started)


@app.command()
def main(
    index: Annotated[Path, typer.Option(help="where the synthetic index is (built if absent)")],
    chunks: Annotated[int, typer.Option(help="about how many chunks to build")] = 10_000,
    corpus: Annotated[Path, typer.Option(help="BEIR folder: texts and queries")] = DEFAULT_CORPUS,
    queries: Annotated[int, typer.Option(help="queries per run")] = 200,
    runs: Annotated[int, typer.Option(help="runs; each figure is their median")] = 3,
    clients: Annotated[int, typer.Option(help="threads for the throughput figure")] = 8,
) -> None:
    """Build (once) and measure; print the figures as one JSON line."""
    out: dict[str, Any] = {"index": str(index)}
    embedder = Embedder.from_settings(Settings())  # one model for building and measuring
    if not index.exists():
        out.update(build(index, corpus.resolve(), chunks, embedder))
    out.update(measure(index, queries_of(corpus, queries), runs, clients, embedder))
    print(json.dumps(out))


if __name__ == "__main__":
    app()
