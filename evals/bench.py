"""`askdocs bench`: how fast askdocs ingests and answers on this machine, with a naive baseline.

Phases, each a fresh child process so that peak memory is its own:

- ingest: the corpus into a new index (median of `--runs`), then again unchanged; seconds per
  stage (loading, chunking, embedding, writing), documents/s, chunks/s, tokens/s, peak RSS;
- baseline: the same chunk texts through sentence-transformers' `encode` with its defaults
  into a flat FAISS index: what a first attempt would do, so every figure is also a ratio that
  holds on a noisy machine;
- queries: search and ask latency in process (the question embedded anew each time);
- http: `askdocs serve` started on a free loopback port: cold start to the first answer,
  single-client latency of /api/search and /api/ask, throughput with 8 and 32 clients
  (bounded in time and requests), the service's peak RSS.

A corpus is a BEIR folder (corpus.jsonl, queries.jsonl) or a folder of documents (questions
from `--questions`, default the bundled set).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from askdocs.settings import Settings

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "scifact"
BUNDLED_QUESTIONS = Path(__file__).resolve().parent / "questions" / "sample.jsonl"
STAGES = ("loading", "chunking", "embedding", "writing")
SERVER_START_TIMEOUT_S = 180.0


# --- corpus ----------------------------------------------------------------------------------


def is_beir(corpus: Path) -> bool:
    """Whether `corpus` is a BEIR dataset folder."""
    return (corpus / "corpus.jsonl").is_file()


def bench_queries(corpus: Path, questions: Path | None, limit: int) -> list[str]:
    """Up to `limit` queries: the BEIR queries, else the question set's questions."""
    path = corpus / "queries.jsonl" if questions is None and is_beir(corpus) else questions
    path = path or BUNDLED_QUESTIONS
    out: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                out.append(str(row.get("text") or row.get("question") or ""))
            if len(out) >= limit:
                break
    return [q for q in out if q.strip()]


def _documents(corpus: Path, limit: int | None) -> tuple[list[Any], list[Any]]:
    """(documents, skipped) of the corpus, the first `limit` documents when given."""
    if is_beir(corpus):
        from askdocs.evals.beir import load_corpus
        from askdocs.evals.beir_eval import beir_document

        entries = list(load_corpus(corpus).values())[:limit]
        prefix = f"{corpus.resolve() / 'corpus.jsonl'}#"
        return [beir_document(d, prefix + d.id) for d in entries if d.text or d.title], []
    from askdocs.ingest.documents import discover, load_documents
    from askdocs.ingest.models import Document

    files, skipped = discover([corpus])
    loaded = list(load_documents(files[:limit]))
    docs = [d for d in loaded if isinstance(d, Document)]
    return docs, skipped + [d for d in loaded if not isinstance(d, Document)]


# --- child phases ----------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_ingest(corpus: Path, index: Path, limit: int | None) -> dict[str, Any]:
    """Ingest the corpus into `index` (fresh), then once more unchanged."""
    from askdocs.index.embedder import Embedder
    from askdocs.index.writer import ingest_documents

    settings = Settings(index=index)
    embedder = Embedder.from_settings(settings)
    embedder.encode_query("warm-up")  # the model load is cold start, not ingest
    started = time.perf_counter()
    docs, _ = _documents(corpus, limit)
    loading = time.perf_counter() - started
    report = ingest_documents(index, docs, embedder, settings)
    seconds = time.perf_counter() - started
    timings = {"loading": loading, **report.timings}
    started = time.perf_counter()
    docs_again, _ = _documents(corpus, limit)
    again = ingest_documents(index, docs_again, embedder, settings)
    second = time.perf_counter() - started
    tokens = sum(embedder.count_tokens(text) for text in _chunk_texts(index))
    return {
        "documents": report.documents,
        "chunks": report.chunks,
        "tokens": tokens,
        "seconds": seconds,
        "stages": timings,
        "second_seconds": second,
        "second_embedded": again.chunks_embedded,
        "peak_rss_mb": _peak_rss_mb(),
        "index_bytes": _tree_bytes(index),
    }


def _chunk_texts(index: Path) -> list[str]:
    """The texts of every chunk in the live version of `index`."""
    from askdocs.index.layout import STORE, current_version
    from askdocs.index.store import Store

    live = current_version(index)
    assert live is not None
    store = Store(live / STORE, readonly=True)
    try:
        return [t for _, batch, _ in store.iter_chunks() for t in batch]
    finally:
        store.close()


def phase_baseline(index: Path) -> dict[str, Any]:
    """The chunk texts askdocs made, embedded the naive way into a flat FAISS index."""
    import faiss
    from sentence_transformers import SentenceTransformer

    from askdocs.index.embedder import resolve_model

    texts = _chunk_texts(index)
    model = SentenceTransformer(resolve_model(Settings().model), device="cpu")
    model.encode(["warm-up"])
    started = time.perf_counter()
    vectors = model.encode(texts)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    return {
        "chunks": len(texts),
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": _peak_rss_mb(),
    }


def phase_queries(index: Path, queries: list[str]) -> dict[str, Any]:
    """In-process search and ask latency, each question new to the query cache."""
    from askdocs.index.collection import Collection
    from askdocs.index.embedder import Embedder
    from askdocs.service.answerer import Answerer

    settings = Settings(index=index)
    embedder = Embedder.from_settings(settings)
    collection = Collection.open(index, embedder)
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
    return {"search": _percentiles(search_ms), "ask": _percentiles(ask_ms)}


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    from askdocs.evals.percentiles import percentile

    ordered = sorted(values)
    return {f"p{q}": round(percentile(ordered, q), 2) for q in (50, 95, 99)}


# --- the service over HTTP -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(index: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], float]]:
    """`askdocs serve` on a free loopback port: (url, process, seconds to the first answer)."""
    import httpx

    port = _free_port()
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
                    raise RuntimeError("askdocs serve did not answer within 180 s")
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
) -> dict[str, Any]:
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
                for query in part[:100]:
                    started = time.perf_counter()
                    http.post(path, json={key: query}).raise_for_status()
                    latencies[name].append((time.perf_counter() - started) * 1000)
        levels = []
        for clients_n, part in zip(clients, parts[2:], strict=True):
            limit = min(max_requests, len(part)) if max_requests > 0 else len(part)
            level = run_level(url, clients_n, seconds, limit, part).__dict__
            level["repeated"] = max(0, level["requests"] - len(part))
            levels.append(level)
        return {
            "cold_start_s": cold_start,
            "search": _percentiles(latencies["search"]),
            "ask": _percentiles(latencies["ask"]),
            "levels": levels,
            "peak_rss_mb": _service_peak_rss_mb(process.pid),
        }


# --- the driver ------------------------------------------------------------------------------


@dataclass
class BenchResult:
    """Every figure of one `askdocs bench` run (medians over runs)."""

    machine: dict[str, Any]
    corpus: str
    runs: int
    ingest: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    queries: dict[str, Any] = field(default_factory=dict)
    http: dict[str, Any] = field(default_factory=dict)


def machine() -> dict[str, Any]:
    """Cores, CPU model, memory, Python: what the figures were measured on."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gb": round(memory_gb, 1),
        "python": platform.python_version(),
    }


def run_child(phase: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its JSON result."""
    command = [sys.executable, "-m", "askdocs.evals.bench", phase, json.dumps(args)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench phase {phase} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def median_of(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Field-by-field median of equally shaped results (non-numbers from the first)."""
    first = results[0]
    out: dict[str, Any] = {}
    for key, value in first.items():
        if isinstance(value, bool) or not isinstance(value, int | float | dict):
            out[key] = value
        elif isinstance(value, dict):
            out[key] = median_of([r[key] for r in results])
        else:
            out[key] = statistics.median(r[key] for r in results)
    return out


def run_bench(
    corpus: Path,
    limit: int | None,
    queries: list[str],
    runs: int,
    clients: list[int],
    seconds: float,
    max_requests: int,
    http: bool,
    progress: Any = None,
    pool: list[str] | None = None,
) -> BenchResult:
    """Every phase, `runs` times each, into one result of medians. `queries` are timed in
    process; `pool` (more queries, default the same) feeds the HTTP phase."""
    pool = pool or queries
    result = BenchResult(machine(), str(corpus), runs)
    say = progress or (lambda _message: None)
    with tempfile.TemporaryDirectory(prefix="askdocs-bench-") as tmp:
        ingests, baselines, query_runs, http_runs = [], [], [], []
        for run in range(runs):
            index = Path(tmp) / f"index-{run}"
            say(f"ingest {run + 1}/{runs}")
            ingests.append(run_child("ingest", {"corpus": str(corpus), "index": str(index),
                                                "limit": limit}))  # fmt: skip
            say(f"baseline {run + 1}/{runs}")
            baselines.append(run_child("baseline", {"index": str(index)}))
        index = Path(tmp) / "index-0"
        for run in range(runs):
            say(f"queries {run + 1}/{runs}")
            query_runs.append(run_child("queries", {"index": str(index), "queries": queries}))
            if http:
                say(f"http {run + 1}/{runs}")
                http_runs.append(run_child("http", {"index": str(index), "queries": pool,
                                                    "clients": clients, "seconds": seconds,
                                                    "max_requests": max_requests}))  # fmt: skip
        result.ingest = median_of(ingests)
        result.baseline = median_of(baselines)
        result.queries = median_of(query_runs)
        if http_runs:
            result.http = median_of([{k: v for k, v in r.items() if k != "levels"}
                                     for r in http_runs])  # fmt: skip
            result.http["levels"] = [
                median_of([r["levels"][i] for r in http_runs]) for i in range(len(clients))
            ]
    return result


def table(result: BenchResult) -> str:
    """The figures as a readable table."""
    ingest, base = result.ingest, result.baseline
    rows: list[tuple[str, str]] = []
    m = result.machine
    rows.append(("machine", f"{m['cores']} cores, {m['cpu']}, {m['memory_gb']} GB"))
    rows.append(("corpus", f"{result.corpus}: {ingest['documents']} documents, "
                           f"{ingest['chunks']} chunks, {ingest['tokens']} tokens"))  # fmt: skip
    rows.append(("runs", f"median of {result.runs}"))
    seconds = ingest["seconds"]
    chunks_s = ingest["chunks"] / seconds
    base_s = base["chunks"] / base["seconds"]
    speed = (
        f"{seconds:.1f} s: {ingest['documents'] / seconds:.1f} documents/s, "
        f"{chunks_s:.1f} chunks/s, {ingest['tokens'] / seconds:.0f} tokens/s"
    )
    rows.append(("ingest", speed))
    shares = ", ".join(
        f"{stage} {100 * ingest['stages'].get(stage, 0.0) / seconds:.0f}%" for stage in STAGES
    )
    rows.append(("ingest stages", shares))
    rows.append(("baseline (ST encode → flat)", f"{base['seconds']:.1f} s: {base_s:.1f} chunks/s; "
                 f"askdocs/baseline = {chunks_s / base_s:.2f}×"))  # fmt: skip
    rows.append(("unchanged re-ingest", f"{ingest['second_seconds']:.2f} s "
                 f"({100 * ingest['second_seconds'] / seconds:.1f}% of the first), "
                 f"{ingest['second_embedded']:.0f} chunks embedded"))  # fmt: skip
    rows.append(("peak RSS ingest / baseline", f"{ingest['peak_rss_mb']:.0f} MB / "
                 f"{base['peak_rss_mb']:.0f} MB"))  # fmt: skip
    rows.append(("index size", f"{ingest['index_bytes'] / 2**20:.1f} MB"))
    q = result.queries
    rows.append(("search in process ms", _pct(q["search"])))
    rows.append(("ask in process ms", _pct(q["ask"])))
    if result.http:
        h = result.http
        rows.append(("cold start to first answer", f"{h['cold_start_s']:.2f} s"))
        rows.append(("search over HTTP ms", _pct(h["search"])))
        rows.append(("ask over HTTP ms", _pct(h["ask"])))
        for level in h["levels"]:
            errors = sum(level["errors"].values()) if level["errors"] else 0
            rows.append((f"ask, {level['clients']:.0f} clients",
                         f"{level['requests_per_s']:.1f} req/s, p50 {level['p50_ms']:.0f} ms, "
                         f"p95 {level['p95_ms']:.0f} ms, {errors} errors, "
                f"{level.get('repeated', 0):.0f} repeated questions"))  # fmt: skip
        rows.append(("peak RSS service", f"{h['peak_rss_mb']:.0f} MB"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def _pct(p: dict[str, float]) -> str:
    return f"p50 {p['p50']:.1f}, p95 {p['p95']:.1f}, p99 {p['p99']:.1f}"


def _tree_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def bench_command(
    corpus: Annotated[
        Path | None,
        typer.Argument(help="A BEIR folder or a folder of documents [default: SciFact]"),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first N documents of the corpus.")
    ] = None,
    questions: Annotated[
        Path | None,
        typer.Option(help="Question set (JSONL) for a folder corpus [default: the bundled set]"),
    ] = None,
    queries: Annotated[int, typer.Option(min=1, help="Queries timed per run.")] = 100,
    runs: Annotated[int, typer.Option(min=1, help="Runs of each phase; medians are shown.")] = 3,
    clients: Annotated[
        str, typer.Option(help="Concurrent HTTP clients, comma-separated.")
    ] = "8,32",
    seconds: Annotated[
        float, typer.Option(min=1, max=300, help="At most this long per concurrency level.")
    ] = 30.0,
    max_requests: Annotated[
        int,
        typer.Option(
            min=0,
            help="At most this many requests per concurrency level [default 0: one per "
            "distinct query set aside for the level, so none hits the query cache].",
        ),
    ] = 0,
    http: Annotated[bool, typer.Option(help="Also measure the service over HTTP.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Measure ingest, search and answer speed on a real corpus, against a naive baseline."""
    corpus = corpus or DEFAULT_CORPUS
    if not corpus.is_dir():
        raise typer.BadParameter(f"{corpus} is not a folder", param_hint="CORPUS")
    try:
        levels = [int(n) for n in clients.split(",") if n.strip()]
    except ValueError:
        raise typer.BadParameter(
            "a comma-separated list of numbers", param_hint="--clients"
        ) from None
    if any(n < 1 or n > 256 for n in levels):
        raise typer.BadParameter("each between 1 and 256", param_hint="--clients")
    asked = bench_queries(corpus, questions, queries)
    pool = bench_queries(corpus, questions, 100_000)

    def say(message: str) -> None:
        typer.echo(f"bench: {message}", err=True)

    try:
        result = run_bench(
            corpus, limit, asked, runs, levels, seconds, max_requests, http, say, pool
        )
    except RuntimeError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(asdict(result), indent=2) if as_json else table(result))


def main(argv: list[str]) -> int:
    """Child entry point: `python -m askdocs.evals.bench PHASE JSON-ARGS`; prints a JSON line."""
    phase, args = argv[0], json.loads(argv[1])
    if phase == "ingest":
        out = phase_ingest(Path(args["corpus"]), Path(args["index"]), args["limit"])
    elif phase == "baseline":
        out = phase_baseline(Path(args["index"]))
    elif phase == "queries":
        out = phase_queries(Path(args["index"]), args["queries"])
    elif phase == "http":
        out = phase_http(Path(args["index"]), args["queries"], args["clients"],
                         args["seconds"], args["max_requests"])  # fmt: skip
    else:
        raise SystemExit(f"unknown phase {phase!r}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
