"""The `askdocs` command line. Heavy modules are imported inside each command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer

from askdocs.console import Options, fail, load_settings
from askdocs.errors import AskdocsError
from askdocs.settings import SearchMode, Settings, default_index_dir

if TYPE_CHECKING:  # the writer (and what it imports) loads only when a command needs it
    from askdocs.index.ingest_report import IngestReport

app = typer.Typer(
    help="Ask questions about your documents; every answer quotes its sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

IndexOption = Annotated[
    Path | None,
    typer.Option(
        "--index",
        help=f"Index directory [default: $ASKDOCS_INDEX, else {default_index_dir()}]",
        show_default=False,
    ),
]
TopK = Annotated[int | None, typer.Option("-k", "--top-k", min=1, max=50, help="Results.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]

T = TypeVar("T")


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="On an error, show the traceback, not just one line.")
    ] = False,
) -> None:
    """Ask questions about your documents; every answer quotes its sources."""
    Options.debug = debug


def _settings(index: Path | None, **overrides: Any) -> Settings:
    """Settings from the environment with the command's options on top, validated together."""
    settings = load_settings(index=index, **overrides)
    if settings.index.exists() and not settings.index.is_dir():
        fail(f"index {settings.index} is a file, not a folder; pass another --index")
    return settings


def _run(action: Callable[[], T]) -> T:
    """Run a command body, turning askdocs and system errors into one line and exit status 1."""
    try:
        return action()
    except AskdocsError as exc:
        fail(str(exc))
    except OSError as exc:
        # A read-only or full disk, a missing permission: the system's reason, with the path.
        where = f": {exc.filename}" if exc.filename else ""
        fail(f"{exc.strerror or exc}{where}")
    except KeyboardInterrupt:
        fail("interrupted", 130)


def _collection(settings: Settings) -> Any:
    from askdocs.index.backend import open_backend
    from askdocs.index.embedder import Embedder

    return open_backend(settings, Embedder.from_settings(settings))


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    index: IndexOption = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove stored documents whose files are gone.")
    ] = False,
    as_json: JsonFlag = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bars on stderr (files read, embedding) [default: when a terminal].",
            show_default=False,
        ),
    ] = None,
    engine: Annotated[
        Literal["local", "ray"],
        typer.Option(
            "--engine",
            help="local, or ray: parse, chunk and embed on a Ray cluster (pip install "
            "'askdocs\\[ray]').",
        ),
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address", help="The address of the Ray cluster (default: start a local one)."
        ),
    ] = None,
) -> None:
    """Add new and changed documents to the index; unchanged files are not embedded again."""
    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        # Nothing is written: a typo must not leave an empty index that then "works".
        fail(f"no such file or folder: {', '.join(missing)}")
    settings = _settings(index)

    def body() -> None:
        from askdocs.index.backend import location
        from askdocs.index.embedder import Embedder
        from askdocs.index.writer import ingest_paths

        embedder = Embedder.from_settings(settings)
        try:
            if engine == "ray":
                from askdocs.index.ray_ingest import ray_ingest_paths

                report = ray_ingest_paths(
                    settings.index, paths, embedder, settings, prune, ray_address
                )
            else:
                report = ingest_paths(
                    settings.index, paths, embedder, settings, prune=prune, progress=progress
                )
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            fail(f"cannot write to index {settings.index}: {exc.strerror or exc}{where}")
        # The stages' timings cover the whole ingest (writing is what the others leave).
        print_ingest_report(report, location(settings), as_json, sum(report.timings.values()))

    _run(body)


def print_ingest_report(
    report: IngestReport, index: Path | str, as_json: bool = False, seconds: float | None = None
) -> None:
    """What `askdocs ingest` prints: skipped files on stderr, then JSON or the counts, a table
    per file format and, given the ingest's `seconds`, a last line with its speed."""
    for skipped in report.skipped:
        typer.secho(f"warning: skipped {skipped.path}: {skipped.reason}", fg="yellow", err=True)
    if as_json:
        typer.echo(json.dumps(asdict(report), indent=2))
        return
    typer.echo(
        f"{len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.removed)} removed, {report.unchanged} unchanged, "
        f"{len(report.skipped)} skipped; {report.chunks_embedded} chunks embedded"
    )
    typer.echo(
        f"index {index}: {report.documents} documents, {report.chunks} chunks "
        f"(version {report.version})"
    )
    if report.formats:
        typer.echo(f"\n{'format':<10}{'files':>7}{'skipped':>9}{'pages':>7}{'chunks':>8}")
        for suffix, row in sorted(report.formats.items()):
            pages = row.pages or "-"
            typer.echo(f"{suffix:<10}{row.files:>7}{row.skipped:>9}{pages:>7}{row.chunks:>8}")
    if seconds is not None:
        typer.echo(ingest_summary(report, seconds))


def ingest_summary(report: IngestReport, seconds: float) -> str:
    """One line: files read, chunks embedded, time, chunks/s and the stages' shares."""
    files = sum(row.files for row in report.formats.values())
    rate = report.chunks_embedded / seconds if seconds > 0 else 0.0
    total = sum(report.timings.values()) or 1.0
    shares = ", ".join(
        f"{stage} {report.timings[stage] / total:.0%}"
        for stage in ("loading", "chunking", "embedding", "writing")
        if stage in report.timings
    )
    return (
        f"done in {seconds:.1f} s: {files:,} files read, {report.chunks_embedded:,} chunks "
        f"embedded, {rate:,.1f} chunks/s ({shares})"
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    top_k: TopK = None,
    mode: Annotated[
        str | None, typer.Option("--mode", help="dense, lexical or hybrid [default: hybrid]")
    ] = None,
    index: IndexOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the passages that best match QUERY."""
    _refuse_blank(query, "QUERY")
    if mode not in (None, "dense", "lexical", "hybrid"):
        raise typer.BadParameter("must be dense, lexical or hybrid", param_hint="--mode")
    settings = _settings(index, top_k=top_k, search_mode=mode)

    def body() -> None:
        collection = _collection(settings)
        search_mode: SearchMode = settings.search_mode
        hits = collection.search(query, k=settings.top_k, mode=search_mode)
        results = [
            {
                "doc_id": h.stored.chunk.doc_id,
                "title": h.stored.title,
                "source": h.stored.source,
                "text": h.stored.chunk.text,
                "start": h.stored.chunk.start,
                "end": h.stored.chunk.end,
                "score": round(h.score, 6),
                "section": h.stored.chunk.section,
                "page": h.stored.chunk.page,
            }
            for h in hits
        ]
        if as_json:
            typer.echo(json.dumps({"results": results}, indent=2, ensure_ascii=False))
            return
        if not results:
            typer.echo("No results.")
        for rank, r in enumerate(results, start=1):
            typer.secho(f"{rank}. {r['title']}  (score {r['score']:.4f})", bold=True)
            typer.echo(f"   {r['source']} [{r['start']}:{r['end']}]{_where(r)}")
            typer.echo(_indent(str(r["text"])))

    _run(body)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in plain language.")],
    top_k: TopK = None,
    index: IndexOption = None,
    as_json: JsonFlag = False,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            help='The conversation so far, a JSON file: [{"role": "user"|"assistant", '
            '"content": "..."}, ...]',
        ),
    ] = None,
) -> None:
    """Answer QUESTION from the documents, citing the excerpts it rests on."""
    _refuse_blank(question, "QUESTION")
    settings = _settings(index, top_k=top_k)

    def body() -> None:
        from askdocs.chat import load_history
        from askdocs.service.answerer import Answerer

        turns = load_history(history) if history is not None else []
        answerer = Answerer(_collection(settings), settings)
        _answer_and_show(answerer, question, turns, as_json)

    _run(body)


@app.command()
def chat(index: IndexOption = None, top_k: TopK = None) -> None:
    """Ask questions one after another; follow-ups ("And in Mali?") keep the conversation.
    An empty line, "exit" or Ctrl-D ends it."""
    settings = _settings(index, top_k=top_k)

    def body() -> None:
        from askdocs.chat import chat_loop
        from askdocs.service.answerer import Answerer

        answerer = Answerer(_collection(settings), settings)
        typer.echo("Ask a question (empty line to quit).")

        def answer(question: str, turns: list[Any]) -> Any:
            reply = _answer_and_show(answerer, question, turns, False)
            typer.echo("")
            return reply

        chat_loop(answer, lambda _reply: None, input)

    _run(body)


def _refuse_blank(text: str, name: str) -> None:
    if not text.strip():
        raise typer.BadParameter("is empty; ask in words", param_hint=name)


def _answer_and_show(answerer: Any, question: str, turns: list[Any], as_json: bool) -> Any:
    """Answer through the service's code path (generated when ASKDOCS_LLM_URL is set), the
    text printed as it arrives, then the sources; or the JSON of POST /api/ask."""
    from askdocs.service.generation.generate import Delta, Done, answer_events

    reply: Any = None
    for event in answer_events(answerer, question, turns):
        if isinstance(event, Delta) and not as_json:
            typer.echo(event.text, nl=False)
        elif isinstance(event, Done):
            reply = event.reply
    if not as_json:
        typer.echo("")
    _show_answer(reply, as_json)
    return reply


def _show_answer(result: Any, as_json: bool) -> None:
    """The sources of an answer whose text is shown (or, as JSON, the whole answer)."""
    citations = [asdict(c) for c in result.citations]
    if as_json:
        payload = {
            "answer": result.answer,
            "abstained": result.abstained,
            "mode": result.mode,
            "dropped": result.dropped,
            "citations": citations,
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if result.mode == "generated" or result.dropped:
        kind = "generated" if result.mode == "generated" else "extractive (fallback)"
        typer.echo(f"({kind}; {result.dropped} unsupported sentence(s) dropped)", err=True)
    if citations:
        typer.echo("\nSources:")
    for c in citations:
        typer.secho(f"[{c['n']}] {c['title']}", bold=True)
        typer.echo(f"    {c['source']} [{c['start']}:{c['end']}]{_where(c)}")
        typer.echo(_indent(f"\u201c{c['excerpt']}\u201d"))


@app.command()
def serve(
    index: IndexOption = None,
    host: Annotated[str | None, typer.Option(help="Interface [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: 8000]")] = None,
) -> None:
    """Serve the JSON API (and the chat page) over HTTP."""
    settings = _settings(index, host=host, port=port)

    def body() -> None:
        import uvicorn

        from askdocs.index.layout import current_version
        from askdocs.service.app import check_index, create_app
        from askdocs.service.serving import uvicorn_options

        _check_can_listen(settings.host, settings.port)
        if current_version(settings.index) is None:
            typer.secho(
                f"warning: no index at {settings.index} yet; /healthz says no-index until you run "
                f"askdocs ingest DOCS --index {settings.index} or upload documents",
                fg="yellow",
                err=True,
            )
        # A corrupt index with no intact version to fall back to ends here, in one line
        # (raised in the lifespan, uvicorn would print it as a traceback).
        elif warning := check_index(settings):
            typer.secho(f"warning: {warning}", fg="yellow", err=True)
        typer.echo(f"askdocs: serving {settings.index} on http://{settings.host}:{settings.port}")
        uvicorn.run(create_app(settings), **uvicorn_options(settings))

    _run(body)


def _check_can_listen(host: str, port: int) -> None:
    """Fail with one line before the model loads when the address cannot be bound."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _where(item: dict[str, Any]) -> str:
    parts = []
    if item.get("page"):
        parts.append(f"page {item['page']}")
    if item.get("section"):
        parts.append(str(item["section"]))
    return f"  ({', '.join(parts)})" if parts else ""


def _indent(text: str, width: int = 4) -> str:
    return "\n".join(" " * width + line for line in text.splitlines())


def add_eval_commands(target: typer.Typer) -> None:
    """Register `eval` and `bench`, which live in the evals package."""
    # Imported here, not at the top: `import askdocs.cli` stays free of the evals package.
    from askdocs.evals.bench import bench_command
    from askdocs.evals.cli import eval_command

    target.command("eval")(eval_command)
    target.command("bench")(bench_command)


def main() -> None:
    """Entry point of the console script."""
    add_eval_commands(app)
    app()


if __name__ == "__main__":
    main()
    sys.exit(0)
