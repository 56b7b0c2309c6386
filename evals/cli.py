"""`askdocs eval`: question sets and BEIR datasets through the service's own retriever.

Registered in askdocs/cli.py with `app.command("eval")(eval_command)`. Heavy modules are
imported inside the command, so `askdocs --help` stays fast.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from askdocs.console import load_settings
from askdocs.errors import AskdocsError
from askdocs.settings import Settings

if TYPE_CHECKING:
    from askdocs.evals.beir_eval import BeirResult
    from askdocs.evals.compare import Change, Variant
    from askdocs.evals.runner import RunResult
    from askdocs.index.embedder import Embedder

_MODES = ("dense", "lexical", "hybrid")


def eval_command(
    questions: Annotated[
        Path | None,
        typer.Option("--questions", help="Question set (JSONL) (default: the bundled set)"),
    ] = None,
    docs: Annotated[
        Path | None,
        typer.Option(
            "--docs", help="Documents the questions are about (default: the bundled corpus)"
        ),
    ] = None,
    index: Annotated[
        Path | None,
        typer.Option(
            "--index",
            help="Keep the eval index here and reuse it (default: a temp dir; never the "
            "index the other commands use)",
        ),
    ] = None,
    beir: Annotated[
        Path | None, typer.Option("--beir", help="A BEIR dataset folder to evaluate instead.")
    ] = None,
    question_set: Annotated[
        str | None,
        typer.Option(
            "--set",
            help="A named collection with its questions: sample (the bundled set), product "
            "(product documentation in mixed formats) or squad (11 Wikipedia articles).",
        ),
    ] = None,
    split: Annotated[
        str,
        typer.Option(
            "--split",
            help="BEIR qrels split, or the question-set split (dev, test or all; a set without "
            "splits is run whole).",
        ),
    ] = "test",
    mode: Annotated[
        str | None, typer.Option("--mode", help="dense, lexical or hybrid (default: hybrid)")
    ] = None,
    top_k: Annotated[
        int | None, typer.Option("-k", "--top-k", min=1, max=50, help="Chunks the answerer reads.")
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="Configurations side by side, e.g. mode=dense,lexical,hybrid or "
            "chunk_tokens=96,128,256.",
        ),
    ] = None,
    run_out: Annotated[
        Path | None,
        typer.Option("--run-out", help="BEIR: write the ranking as a TREC run file."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write a report (markdown, PNG chart, per-question results)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Measure retrieval and answers on a question set, or retrieval on a BEIR dataset."""
    if mode is not None and mode not in _MODES:
        raise typer.BadParameter("must be dense, lexical or hybrid", param_hint="--mode")
    if mode is not None and compare is not None and compare.split("=")[0].strip() == "mode":
        raise typer.BadParameter("use either --mode or --compare mode=...", param_hint="--mode")
    if beir is not None and (questions is not None or docs is not None):
        raise typer.BadParameter("--beir replaces --questions and --docs", param_hint="--beir")
    if question_set is not None and (questions is not None or docs is not None or beir):
        raise typer.BadParameter(
            "--set replaces --questions, --docs and --beir", param_hint="--set"
        )
    if beir is None and run_out is not None:
        raise typer.BadParameter("--run-out needs --beir", param_hint="--run-out")
    command = "askdocs eval " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    try:
        base = load_settings(search_mode=mode, top_k=top_k)
        from askdocs.evals.compare import parse_compare, variant_of

        variants = parse_compare(compare, base)[1] if compare else [variant_of(base)]
        if beir is not None:
            _beir(beir, split, variants, index, run_out, out, as_json, command)
        else:
            if question_set is not None:
                from askdocs.evals.sets import question_set as named_set

                chosen = named_set(question_set)
                questions, docs = chosen.questions, chosen.docs
            _questions(questions, docs, split, variants, index, out, as_json, command)
    except (AskdocsError, ValueError, FileNotFoundError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


# --- question sets ----------------------------------------------------------------------------


def _questions(
    questions_path: Path | None,
    docs: Path | None,
    split: str,
    variants: list[Variant],
    index: Path | None,
    out: Path | None,
    as_json: bool,
    command: str,
) -> None:
    from askdocs.evals.compare import changes
    from askdocs.evals.questions import BUNDLED_CORPUS, BUNDLED_QUESTIONS, load_questions, of_split
    from askdocs.evals.report import changes_table, metrics_table, text_table, write_report
    from askdocs.evals.runner import eval_collection, run_questions

    questions = load_questions(questions_path or BUNDLED_QUESTIONS)
    if split != "all" and any(q.split for q in questions):
        questions = of_split(questions, split)
    docs = docs or BUNDLED_CORPUS
    started = time.perf_counter()
    embedders: dict[str, Embedder] = {}
    results: list[RunResult] = []
    groups = _by_index(variants)
    for key, group in groups.items():
        root = _variant_index(index, key, len(groups))
        embedder = _embedder_for(group[0].settings, embedders)
        with eval_collection(docs, group[0].settings, embedder, root) as collection:
            for variant in group:
                with _progress(len(questions), f"{variant.label:>10}") as step:
                    results.append(
                        run_questions(
                            collection,
                            variant.settings,
                            questions,
                            variant.label,
                            lambda _result: step(),
                        )
                    )
    order = {v.label: i for i, v in enumerate(variants)}
    results.sort(key=lambda r: order[r.label])
    found: dict[str, list[Change]] = {
        f"{results[0].label} → {r.label}": changes(results[0], r) for r in results[1:]
    }
    seconds = time.perf_counter() - started
    if as_json:
        payload = {
            "runs": [r.to_json() for r in results],
            "changes": {k: [c.to_json() for c in v] for k, v in found.items()},
            "seconds": round(seconds, 2),
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        typer.echo(
            f"{len(questions)} questions ({questions_path or BUNDLED_QUESTIONS.name}) over {docs}\n"
        )
        typer.echo(text_table(metrics_table(results)))
        for key, changed in found.items():
            better = sum(c.better for c in changed)
            typer.echo(f"\n{key}: {better} better, {len(changed) - better} worse")
            if changed:
                before, after = key.split(" → ")
                typer.echo(text_table(changes_table(before, after, changed)))
        typer.echo(f"\neval runtime {seconds:.1f} s")
    if out is not None:
        report = write_report(out, "askdocs eval", results, found, command)
        typer.echo(f"report: {report}", err=True)


# --- BEIR -------------------------------------------------------------------------------------


def _beir(
    directory: Path,
    split: str,
    variants: list[Variant],
    index: Path | None,
    run_out: Path | None,
    out: Path | None,
    as_json: bool,
    command: str,
) -> None:
    from askdocs.evals.beir import load_dataset
    from askdocs.evals.beir_eval import beir_collection
    from askdocs.evals.report import beir_table, text_table, write_beir_report
    from askdocs.evals.trec import write_run

    started = time.perf_counter()
    data = load_dataset(directory, split)
    embedders: dict[str, Embedder] = {}
    results: list[BeirResult] = []
    groups = _by_index(variants)
    for key, group in groups.items():
        root = _variant_index(index, key, len(groups))
        embedder = _embedder_for(group[0].settings, embedders)
        with beir_collection(directory, data.corpus, group[0].settings, embedder, root) as (
            collection,
            index_seconds,
        ):
            documents, chunks = collection.store.count()
            for variant in group:
                results.append(
                    _beir_variant(
                        collection,
                        data.queries,
                        data.qrels,
                        variant,
                        directory.name,
                        split,
                        documents,
                        chunks,
                        index_seconds,
                    )
                )
    if run_out is not None or out is not None:
        for result, variant in zip(results, variants, strict=True):
            tag = f"askdocs-{_slug(variant.label)}"
            if run_out is not None:
                target = run_out if len(results) == 1 else _suffixed(run_out, variant.label)
                write_run(result.run, target, tag, depth=100)
            if out is not None:
                (out / "runs").mkdir(parents=True, exist_ok=True)
                write_run(result.run, out / "runs" / f"{_slug(variant.label)}.trec", tag, 100)
    seconds = time.perf_counter() - started
    if as_json:
        payload = {"results": [r.to_json() for r in results], "seconds": round(seconds, 2)}
        typer.echo(json.dumps(payload, indent=2))
    else:
        first = results[0]
        typer.echo(
            f"{directory.name} ({split}): {len(data.queries)} queries, "
            f"{first.documents} documents in {first.chunks} chunks\n"
        )
        typer.echo(text_table(beir_table(results)))
        typer.echo(f"\nindexing {first.index_seconds:.1f} s; eval runtime {seconds:.1f} s")
    if out is not None:
        report = write_beir_report(out, results, command)
        typer.echo(f"report: {report}", err=True)


def _beir_variant(
    collection: Any,
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    variant: Variant,
    dataset: str,
    split: str,
    documents: int,
    chunks: int,
    index_seconds: float,
) -> BeirResult:
    from askdocs.evals.beir_eval import BeirResult, retrieve, score

    mode = variant.settings.search_mode
    with _progress(len(queries), f"{variant.label:>10}") as step:
        started = time.perf_counter()
        run = retrieve(collection, queries, mode, on_query=step)
        search_seconds = time.perf_counter() - started
    mean, per_query = score(qrels, run)
    return BeirResult(
        dataset,
        split,
        mode,
        mean,
        per_query,
        run,
        documents,
        chunks,
        len(queries),
        index_seconds,
        search_seconds,
    )


# --- helpers ----------------------------------------------------------------------------------


def _embedder(settings: Settings) -> Embedder:
    from askdocs.index.embedder import Embedder

    return Embedder.from_settings(settings)


def _embedder_for(settings: Settings, loaded: dict[str, Embedder]) -> Embedder:
    """One embedder per model, shared by the variants that use it."""
    if settings.model not in loaded:
        loaded[settings.model] = _embedder(settings)
    return loaded[settings.model]


def _by_index(variants: list[Variant]) -> dict[str, list[Variant]]:
    groups: dict[str, list[Variant]] = {}
    for variant in variants:
        groups.setdefault(variant.index_key, []).append(variant)
    return groups


def _variant_index(index: Path | None, key: str, groups: int) -> Path | None:
    """The index folder of one group of variants: `index` itself, or a subfolder of it when
    the variants need several indexes."""
    if index is None or groups == 1:
        return index
    return index / _slug(key)


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr (shown on a terminal only); yields the step function."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield lambda: bar.update(1)


def _suffixed(path: Path, label: str) -> Path:
    return path.with_name(f"{path.stem}.{_slug(label)}{path.suffix}")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
