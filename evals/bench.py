"""`askdocs bench`: how fast askdocs ingests and answers on this machine, with a naive baseline.

Each phase (`evals/bench_phases.py`: ingest, baseline, queries, http) runs `--runs` times in a
fresh child process; the table shows medians, and every figure has a ratio to the baseline
that holds on a noisy machine. A corpus is a BEIR folder (corpus.jsonl, queries.jsonl) or a
folder of documents (questions from `--questions`); by default the bundled sample corpus and
its questions, so the command runs anywhere. Pass a larger corpus (a BEIR folder such as
SciFact) for figures that mean something at scale.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from askdocs.evals.bench_figures import (
    BaselineFigures,
    BenchResult,
    HttpFigures,
    IngestFigures,
    Machine,
    QueryFigures,
    from_json,
    median_of,
)
from askdocs.evals.bench_phases import is_beir
from askdocs.evals.child import run_module
from askdocs.evals.cli import FiguresJson
from askdocs.evals.percentiles import Percentiles
from askdocs.evals.questions import BUNDLED_CORPUS, BUNDLED_QUESTIONS, load_questions

STAGES = ("loading", "chunking", "embedding", "writing")


def bench_queries(corpus: Path, questions: Path | None, limit: int) -> list[str]:
    """Up to `limit` queries: the BEIR folder's queries, else the question set's questions
    (default: the bundled set)."""
    if questions is None and is_beir(corpus):
        from askdocs.evals.beir import load_queries

        texts = list(load_queries(corpus).values())
    else:
        texts = [q.question for q in load_questions(questions or BUNDLED_QUESTIONS)]
    return [t for t in texts if t.strip()][:limit]


def run_child(phase: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its figures as JSON."""
    return run_module("askdocs.evals.bench_phases", phase, json.dumps(args))


def run_bench(
    corpus: Path,
    limit: int | None,
    queries: list[str],
    runs: int,
    clients: list[int],
    seconds: float,
    max_requests: int,
    http: bool,
    progress: Callable[[str], None] | None = None,
    pool: list[str] | None = None,
) -> BenchResult:
    """Every phase, `runs` times each, into one result of medians. `queries` are timed in
    process; `pool` (more queries, default the same) feeds the HTTP phase."""
    pool = pool or queries
    say = progress or (lambda _message: None)
    ingests: list[IngestFigures] = []
    baselines: list[BaselineFigures] = []
    query_runs: list[QueryFigures] = []
    http_runs: list[HttpFigures] = []
    with tempfile.TemporaryDirectory(prefix="askdocs-bench-") as tmp:
        for run in range(runs):
            index = str(Path(tmp) / f"index-{run}")
            say(f"ingest {run + 1}/{runs}")
            args: dict[str, Any] = {"corpus": str(corpus), "index": index, "limit": limit}
            ingests.append(from_json(IngestFigures, run_child("ingest", args)))
            say(f"baseline {run + 1}/{runs}")
            baselines.append(from_json(BaselineFigures, run_child("baseline", {"index": index})))
        index = str(Path(tmp) / "index-0")
        for run in range(runs):
            say(f"queries {run + 1}/{runs}")
            args = {"index": index, "queries": queries}
            query_runs.append(from_json(QueryFigures, run_child("queries", args)))
            if http:
                say(f"http {run + 1}/{runs}")
                args = {
                    "index": index,
                    "queries": pool,
                    "clients": clients,
                    "seconds": seconds,
                    "max_requests": max_requests,
                }
                http_runs.append(from_json(HttpFigures, run_child("http", args)))
    return BenchResult(
        machine=Machine.this(),
        corpus=str(corpus),
        runs=runs,
        ingest=median_of(ingests),
        baseline=median_of(baselines),
        queries=median_of(query_runs),
        http=median_of(http_runs) if http_runs else None,
    )


def table(result: BenchResult) -> str:
    """The figures as a readable table."""
    ingest, base, m = result.ingest, result.baseline, result.machine
    seconds = ingest.seconds
    chunks_s = ingest.chunks / seconds
    base_s = base.chunks / base.seconds
    shares = ", ".join(
        f"{stage} {100 * ingest.stages.get(stage, 0.0) / seconds:.0f}%" for stage in STAGES
    )
    rows: list[tuple[str, str]] = [
        ("machine", f"{m.cores} cores, {m.cpu}, {m.memory_gb} GB"),
        (
            "corpus",
            f"{result.corpus}: {ingest.documents} documents, {ingest.chunks} chunks, "
            f"{ingest.tokens} tokens",
        ),
        ("runs", f"median of {result.runs}"),
        (
            "ingest",
            f"{seconds:.1f} s: {ingest.documents / seconds:.1f} documents/s, "
            f"{chunks_s:.1f} chunks/s, {ingest.tokens / seconds:.0f} tokens/s",
        ),
        ("ingest stages", shares),
        (
            "baseline (ST encode → flat)",
            f"{base.seconds:.1f} s: {base_s:.1f} chunks/s; "
            f"askdocs/baseline = {chunks_s / base_s:.2f}×",
        ),
        (
            "unchanged re-ingest",
            f"{ingest.second_seconds:.2f} s ({100 * ingest.second_seconds / seconds:.1f}% of "
            f"the first), {ingest.second_embedded:.0f} chunks embedded",
        ),
        (
            "peak RSS ingest / baseline",
            f"{ingest.peak_rss_mb:.0f} MB / {base.peak_rss_mb:.0f} MB",
        ),
        ("index size", f"{ingest.index_bytes / 2**20:.1f} MB"),
        ("search in process ms", _pct(result.queries.search)),
        ("ask in process ms", _pct(result.queries.ask)),
    ]
    if result.http is not None:
        h = result.http
        rows.append(("cold start to first answer", f"{h.cold_start_s:.2f} s"))
        rows.append(("search over HTTP ms", _pct(h.search)))
        rows.append(("ask over HTTP ms", _pct(h.ask)))
        for level in h.levels:
            rows.append(
                (
                    f"ask, {level.clients:.0f} clients",
                    f"{level.requests_per_s:.1f} req/s, p50 {level.p50_ms:.0f} ms, "
                    f"p95 {level.p95_ms:.0f} ms, {sum(level.errors.values())} errors, "
                    f"{level.repeated:.0f} repeated questions",
                )
            )
        rows.append(("peak RSS service", f"{h.peak_rss_mb:.0f} MB"))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def _pct(p: Percentiles) -> str:
    return f"p50 {p.p50:.1f}, p95 {p.p95:.1f}, p99 {p.p99:.1f}"


def bench_command(
    corpus: Annotated[
        Path,
        typer.Argument(
            help="A BEIR folder or a folder of documents (default: the bundled sample corpus)",
            show_default=False,
        ),
    ] = BUNDLED_CORPUS,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first N documents of the corpus.")
    ] = None,
    questions: Annotated[
        Path | None,
        typer.Option(help="Question set (JSONL) for a folder corpus (default: the bundled set)"),
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
            help="At most this many requests per concurrency level (0: one per distinct query "
            "set aside for the level, so none hits the query cache).",
        ),
    ] = 0,
    http: Annotated[bool, typer.Option(help="Also measure the service over HTTP.")] = True,
    as_json: FiguresJson = False,
) -> None:
    """Measure ingest, search and answer speed on a real corpus, against a naive baseline."""
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

    def say(message: str) -> None:
        typer.echo(f"bench: {message}", err=True)

    try:
        pool = bench_queries(corpus, questions, 100_000)
        result = run_bench(
            corpus, limit, pool[:queries], runs, levels, seconds, max_requests, http, say, pool
        )
    except (RuntimeError, OSError, ValueError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(result.to_json(), indent=2) if as_json else table(result))
