"""`askdocs eval`: question sets and BEIR datasets through the service's own retriever.

Registered in askdocs/cli.py with `app.command("eval")(eval_command)`. The command only gathers
its options; `run_eval` does the work and takes the function that loads an embedder, so tests
hand it the model they already hold. Heavy modules are imported inside the functions, so
`askdocs --help` stays fast.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from askdocs.console import load_settings
from askdocs.errors import AskdocsError
from askdocs.settings import Settings

if TYPE_CHECKING:
    from askdocs.evals.beir import BeirDataset
    from askdocs.evals.beir_eval import BeirResult
    from askdocs.evals.compare import Change, Variant
    from askdocs.evals.runner import RunResult
    from askdocs.index.backend import Backend
    from askdocs.index.embedder import Embedder

_MODES = ("dense", "lexical", "hybrid")

# Loads the embedding model a configuration names.
EmbedderFor = Callable[[Settings], "Embedder"]


@dataclass(frozen=True)
class EvalOptions:
    """What `askdocs eval` was asked to do: its options, as typed on the command line."""

    questions: Path | None = None
    docs: Path | None = None
    index: Path | None = None
    beir: Path | None = None
    question_set: str | None = None
    split: str = "test"
    mode: str | None = None
    top_k: int | None = None
    compare: str | None = None
    run_out: Path | None = None
    out: Path | None = None
    as_json: bool = False
    command: str = "askdocs eval"  # quoted in reports


# The options of `askdocs eval`, each declared once as a type (typer reads the option from the
# `Annotated` metadata), so the command's signature is one line per option.
QuestionsOption = Annotated[
    Path | None, typer.Option(help="Question set (JSONL) (default: the bundled set)")
]
DocsOption = Annotated[
    Path | None,
    typer.Option(help="Documents the questions are about (default: the bundled corpus)"),
]
IndexOption = Annotated[
    Path | None,
    typer.Option(
        help="Keep the eval index here and reuse it (default: a temp dir; never the "
        "index the other commands use)",
    ),
]
BeirOption = Annotated[Path | None, typer.Option(help="A BEIR dataset folder to evaluate instead.")]
SetOption = Annotated[
    str | None,
    typer.Option(
        "--set",
        help="A named collection with its questions: sample (the bundled set), product "
        "(product documentation in mixed formats) or squad (11 Wikipedia articles).",
    ),
]
SplitOption = Annotated[
    str,
    typer.Option(
        help="BEIR qrels split, or the question-set split (dev, test or all; a set without "
        "splits is run whole).",
    ),
]
ModeOption = Annotated[str | None, typer.Option(help="dense, lexical or hybrid (default: hybrid)")]
TopKOption = Annotated[
    int | None, typer.Option("-k", "--top-k", min=1, max=50, help="Chunks the answerer reads.")
]
CompareOption = Annotated[
    str | None,
    typer.Option(
        help="Configurations side by side, e.g. mode=dense,lexical,hybrid or "
        "chunk_tokens=96,128,256.",
    ),
]
RunOutOption = Annotated[
    Path | None, typer.Option(help="BEIR: write the ranking as a TREC run file.")
]
OutOption = Annotated[
    Path | None, typer.Option(help="Write a report (markdown, PNG chart, per-question results).")
]
# Shared with `askdocs bench`.
FiguresJson = Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")]


def eval_command(
    questions: QuestionsOption = None,
    docs: DocsOption = None,
    index: IndexOption = None,
    beir: BeirOption = None,
    question_set: SetOption = None,
    split: SplitOption = "test",
    mode: ModeOption = None,
    top_k: TopKOption = None,
    compare: CompareOption = None,
    run_out: RunOutOption = None,
    out: OutOption = None,
    as_json: FiguresJson = False,
) -> None:
    """Measure retrieval and answers on a question set, or retrieval on a BEIR dataset."""
    options = EvalOptions(
        questions=questions,
        docs=docs,
        index=index,
        beir=beir,
        question_set=question_set,
        split=split,
        mode=mode,
        top_k=top_k,
        compare=compare,
        run_out=run_out,
        out=out,
        as_json=as_json,
        command="askdocs eval " + " ".join(shlex.quote(a) for a in sys.argv[2:]),
    )
    run_eval(options, load_embedder)


def load_embedder(settings: Settings) -> Embedder:
    """The model `settings` name (the command's `EmbedderFor`)."""
    from askdocs.index.embedder import Embedder

    return Embedder.from_settings(settings)


def check_options(options: EvalOptions) -> None:
    """typer.BadParameter naming the option that is unknown or conflicts with another."""
    o = options  # short: every line below reads several options
    if o.mode is not None and o.mode not in _MODES:
        raise typer.BadParameter("must be dense, lexical or hybrid", param_hint="--mode")
    if o.mode is not None and o.compare is not None and o.compare.split("=")[0].strip() == "mode":
        raise typer.BadParameter("use either --mode or --compare mode=...", param_hint="--mode")
    if o.beir is not None and (o.questions is not None or o.docs is not None):
        raise typer.BadParameter("--beir replaces --questions and --docs", param_hint="--beir")
    if o.question_set is not None and (o.questions is not None or o.docs is not None or o.beir):
        raise typer.BadParameter(
            "--set replaces --questions, --docs and --beir", param_hint="--set"
        )
    if o.beir is None and o.run_out is not None:
        raise typer.BadParameter("--run-out needs --beir", param_hint="--run-out")


def run_eval(options: EvalOptions, embedder_for: EmbedderFor) -> None:
    """Check the options, run every configuration, print the figures (and write the report);
    a bad input is one line on stderr and exit status 1."""
    check_options(options)
    try:
        base = load_settings(search_mode=options.mode, top_k=options.top_k)
        from askdocs.evals.compare import parse_compare, variant_of

        variants = (
            parse_compare(options.compare, base)[1] if options.compare else [variant_of(base)]
        )
        runs = _Runs(variants, options.index, embedder_for)
        if options.beir is not None:
            _beir(options, options.beir, runs)
        else:
            _questions(options, runs)
    except (AskdocsError, ValueError, FileNotFoundError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


class _Runs:
    """The configurations to run, grouped by the index they can share, with one embedder per
    model."""

    def __init__(
        self, variants: list[Variant], index: Path | None, embedder_for: EmbedderFor
    ) -> None:
        self.variants = variants
        self.index = index
        self.embedder_for = embedder_for
        self._embedders: dict[str, Embedder] = {}

    def groups(self) -> Iterator[tuple[list[Variant], Path | None, Embedder]]:
        """(variants, index folder, embedder) of each group: the folder is `--index` itself,
        or a subfolder of it when the variants need several indexes."""
        from askdocs.evals.compare import slug

        grouped: dict[str, list[Variant]] = {}
        for variant in self.variants:
            grouped.setdefault(variant.index_key, []).append(variant)
        for key, group in grouped.items():
            root = self.index if self.index is None or len(grouped) == 1 else self.index / slug(key)
            model = group[0].settings.model
            if model not in self._embedders:
                self._embedders[model] = self.embedder_for(group[0].settings)
            yield group, root, self._embedders[model]


# --- question sets ----------------------------------------------------------------------------


def _questions(options: EvalOptions, runs: _Runs) -> None:
    from askdocs.evals.compare import changes
    from askdocs.evals.indexing import eval_collection, folder_documents
    from askdocs.evals.questions import BUNDLED_CORPUS, BUNDLED_QUESTIONS, load_questions, of_split
    from askdocs.evals.report import changes_table, metrics_table, text_table, write_report
    from askdocs.evals.runner import run_questions

    path, docs = options.questions or BUNDLED_QUESTIONS, options.docs or BUNDLED_CORPUS
    shown: str | Path = options.questions or BUNDLED_QUESTIONS.name
    if options.question_set is not None:
        from askdocs.evals.sets import question_set

        chosen = question_set(options.question_set)
        path = shown = chosen.questions
        docs = chosen.docs
    questions = load_questions(path)
    if options.split != "all" and any(q.split for q in questions):
        questions = of_split(questions, options.split)
    started = time.perf_counter()
    documents = folder_documents(docs)
    results: list[RunResult] = []
    for group, root, embedder in runs.groups():
        with eval_collection(documents, group[0].settings, embedder, root) as collection:
            for variant in group:
                with _progress(len(questions), f"{variant.label:>10}") as step:
                    result = run_questions(
                        collection, variant.settings, questions, variant.label, lambda _r: step()
                    )
                results.append(result)
    order = {v.label: i for i, v in enumerate(runs.variants)}
    results.sort(key=lambda r: order[r.label])
    found: dict[str, list[Change]] = {
        f"{results[0].label} → {r.label}": changes(results[0], r) for r in results[1:]
    }
    seconds = time.perf_counter() - started
    if options.as_json:
        payload = {
            "runs": [r.to_json() for r in results],
            "changes": {k: [c.to_json() for c in v] for k, v in found.items()},
            "seconds": round(seconds, 2),
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        typer.echo(f"{len(questions)} questions ({shown}) over {docs}\n")
        typer.echo(text_table(metrics_table(results)))
        for key, changed in found.items():
            better = sum(c.better for c in changed)
            typer.echo(f"\n{key}: {better} better, {len(changed) - better} worse")
            if changed:
                before, after = key.split(" → ")
                typer.echo(text_table(changes_table(before, after, changed)))
        typer.echo(f"\neval runtime {seconds:.1f} s")
    if options.out is not None:
        report = write_report(options.out, "askdocs eval", results, found, options.command)
        typer.echo(f"report: {report}", err=True)


# --- BEIR -------------------------------------------------------------------------------------


def _beir(options: EvalOptions, directory: Path, runs: _Runs) -> None:
    from askdocs.evals.beir import load_dataset
    from askdocs.evals.beir_eval import beir_documents
    from askdocs.evals.indexing import eval_collection
    from askdocs.evals.report import beir_table, text_table, write_beir_report

    started = time.perf_counter()
    data = load_dataset(directory, options.split)
    documents = beir_documents(directory, data.corpus.values())
    results: list[BeirResult] = []
    for group, root, embedder in runs.groups():
        indexing = time.perf_counter()
        with eval_collection(documents, group[0].settings, embedder, root) as collection:
            index_seconds = time.perf_counter() - indexing  # until it can be searched
            for variant in group:
                result = _beir_variant(collection, data, variant, options.split)
                result.dataset, result.index_seconds = directory.name, index_seconds
                results.append(result)
    # Groups come in the order of the configurations (one setting is compared at a time).
    _write_runs(options, results, runs.variants)
    seconds = time.perf_counter() - started
    if options.as_json:
        payload = {"results": [r.to_json() for r in results], "seconds": round(seconds, 2)}
        typer.echo(json.dumps(payload, indent=2))
    else:
        first = results[0]
        typer.echo(
            f"{directory.name} ({options.split}): {len(data.queries)} queries, "
            f"{first.documents} documents in {first.chunks} chunks\n"
        )
        typer.echo(text_table(beir_table(results)))
        typer.echo(f"\nindexing {first.index_seconds:.1f} s; eval runtime {seconds:.1f} s")
    if options.out is not None:
        report = write_beir_report(options.out, results, options.command)
        typer.echo(f"report: {report}", err=True)


def _beir_variant(
    collection: Backend, data: BeirDataset, variant: Variant, split: str
) -> BeirResult:
    """One configuration's run and figures; the caller fills in the dataset name and the
    indexing time."""
    from askdocs.evals.beir_eval import BeirResult, retrieve, score

    mode = variant.settings.search_mode
    with _progress(len(data.queries), f"{variant.label:>10}") as step:
        started = time.perf_counter()
        run = retrieve(collection, data.queries, mode, on_query=step)
        search_seconds = time.perf_counter() - started
    mean, per_query = score(data.qrels, run)
    documents, chunks = collection.count()
    return BeirResult(
        dataset="",
        split=split,
        mode=mode,
        metrics=mean,
        per_query=per_query,
        run=run,
        documents=documents,
        chunks=chunks,
        queries=len(data.queries),
        index_seconds=0.0,
        search_seconds=search_seconds,
    )


def _write_runs(options: EvalOptions, results: list[BeirResult], variants: list[Variant]) -> None:
    """The TREC run files of `--run-out` (one per configuration) and of the `--out` report."""
    from askdocs.evals.compare import slug
    from askdocs.evals.trec import write_run

    for result, variant in zip(results, variants, strict=True):
        name = slug(variant.label)
        tag = f"askdocs-{name}"
        if options.run_out is not None:
            target = options.run_out
            if len(results) > 1:
                target = target.with_name(f"{target.stem}.{name}{target.suffix}")
            write_run(result.run, target, tag, depth=100)
        if options.out is not None:
            (options.out / "runs").mkdir(parents=True, exist_ok=True)
            write_run(result.run, options.out / "runs" / f"{name}.trec", tag, depth=100)


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr (shown on a terminal only); yields the step function."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield lambda: bar.update(1)
