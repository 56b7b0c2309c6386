"""What adding one document to a large index costs, against a full re-ingest of that index:

    python -m askdocs.evals.incremental --chunks 20000 --workdir /tmp/inc --runs 5

The corpus is SciFact's abstracts (`--corpus`, any BEIR folder), varied copies added until about
`--chunks` chunks (evals/query_scale.py's `synthetic_documents`), written as .txt files into
WORKDIR/docs (the dataset itself is only read). Then, in one run:

- full: `askdocs ingest WORKDIR/docs` into a new index (reading, chunking, embedding, writing),
  timed once (`--full-runs` for more: each one embeds the whole corpus again);
- add 1: `askdocs ingest ONE_FILE` of a new abstract into that index, `--runs` times, a new
  document each time: the time of a write that costs what changed, median;
- add 1 by folder: `askdocs ingest WORKDIR/docs` with one new file in it (every file read and
  compared with the index, only the new one embedded), median of `--folder-runs`;

and prints the medians, each stage's share, and the ratio add 1 / full as one JSON line.

`--equality` checks instead that updates search like a fresh build: the first 400 abstracts
are ingested in three steps (320; 60 more; 10 changed and 20 removed), the same final documents
from scratch into another index, and the top 10 of 50 queries compared in each mode (chunks at
each rank, largest score difference).
`--synthetic` embeds with evals/query_scale.py's hash vectors (the write costs are the same;
the full ingest then lacks the model's work, so its ratio means nothing).
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from askdocs.evals.bench_figures import Machine
from askdocs.evals.query_scale import DEFAULT_CORPUS, SyntheticEmbedder, synthetic_documents
from askdocs.index.embedder import Embedder
from askdocs.ingest.models import Document
from askdocs.settings import Settings

app = typer.Typer(add_completion=False)


def write_corpus(folder: Path, docs: list[Document]) -> list[Path]:
    """Each document's text as a .txt file in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, doc in enumerate(docs):
        path = folder / f"{number:06d}.txt"
        path.write_text(doc.text, encoding="utf-8")
        paths.append(path)
    return paths


def timed_ingest(index: Path, paths: list[Path], embedder: Embedder) -> dict[str, Any]:
    """One `askdocs ingest PATHS` into `index`: seconds, stage timings, chunks."""
    from askdocs.index.writer import ingest_paths

    started = time.perf_counter()
    report = ingest_paths(index, paths, embedder, Settings(index=index), progress=False)
    return {
        "seconds": time.perf_counter() - started,
        "timings": report.timings,
        "chunks": report.chunks,
        "embedded": report.chunks_embedded,
    }


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median seconds and per-stage seconds of several runs."""
    stages = {name for run in runs for name in run["timings"]}
    return {
        "seconds": round(statistics.median(r["seconds"] for r in runs), 3),
        "stages": {
            name: round(statistics.median(r["timings"].get(name, 0.0) for r in runs), 3)
            for name in sorted(stages)
        },
        "runs": [round(r["seconds"], 3) for r in runs],
    }


def equality(workdir: Path, corpus: Path, embedder: Embedder, queries: int = 50) -> dict[str, Any]:
    """Searches of an index built in steps against one built at once (see the docstring)."""
    from dataclasses import replace

    from askdocs.evals.beir import load_corpus, load_queries
    from askdocs.evals.beir_eval import beir_documents
    from askdocs.index.collection import Collection
    from askdocs.index.writer import ingest_documents

    docs = beir_documents(corpus, list(load_corpus(corpus).values())[:400])
    changed = [
        replace(d, text=d.text + " Revised.", content_hash=d.content_hash + "'") for d in docs[:10]
    ]
    steps, scratch = workdir / "steps", workdir / "scratch"
    ingest_documents(steps, docs[:320], embedder, Settings(index=steps))
    ingest_documents(steps, docs[320:380], embedder, Settings(index=steps))
    removed = [d.id for d in docs[100:120]]
    ingest_documents(steps, changed, embedder, Settings(index=steps), remove_ids=removed)
    final = changed + docs[10:100] + docs[120:380]
    ingest_documents(scratch, final, embedder, Settings(index=scratch))
    texts = list(load_queries(corpus).values())[:queries]
    out: dict[str, Any] = {}
    views = Collection.open(steps, embedder), Collection.open(scratch, embedder)
    for mode in ("dense", "lexical", "hybrid"):
        same, total, diff = 0, 0, 0.0
        for query in texts:
            got, want = (view.search(query, 10, mode) for view in views)
            for g, w in zip(got, want, strict=True):
                same += (g.stored.chunk.doc_id, g.stored.chunk.start) == (
                    w.stored.chunk.doc_id,
                    w.stored.chunk.start,
                )
                diff = max(diff, abs(g.score - w.score))
            total += len(want)
        out[mode] = {"same_chunk_at_rank": same, "of": total, "max_score_difference": diff}
    out["chunks"] = [view.store.count()[1] for view in views]
    for view in views:
        view.close()
    return out


@app.command()
def main(
    workdir: Annotated[Path, typer.Option(help="where the files and indexes go (emptied)")],
    chunks: Annotated[int, typer.Option(help="about how many chunks the index holds")] = 20_000,
    corpus: Annotated[Path, typer.Option(help="BEIR folder whose abstracts are used")] = (
        DEFAULT_CORPUS
    ),
    runs: Annotated[int, typer.Option(help="single-file adds; their median")] = 5,
    folder_runs: Annotated[int, typer.Option(help="adds by re-ingesting the folder")] = 2,
    full_runs: Annotated[int, typer.Option(help="full ingests; their median")] = 1,
    synthetic: Annotated[bool, typer.Option(help="hash vectors instead of the model")] = False,
    check_equality: Annotated[
        bool, typer.Option("--equality", help="compare searches with a fresh build instead")
    ] = False,
) -> None:
    """Build, add, and print the figures as one JSON line."""
    shutil.rmtree(workdir, ignore_errors=True)
    real = Embedder.from_settings(Settings())
    embedder: Embedder = SyntheticEmbedder(real) if synthetic else real
    embedder.encode(["warm-up"])
    if check_equality:
        print(json.dumps(equality(workdir, corpus.resolve(), embedder)))
        return
    extra = runs + folder_runs
    docs = synthetic_documents(corpus.resolve(), chunks + round(extra * 3.5))
    files = write_corpus(workdir / "docs", docs[:-extra])
    added = write_corpus(workdir / "new", docs[-extra:])
    index = workdir / "index"
    full = []
    for _ in range(full_runs):
        shutil.rmtree(index, ignore_errors=True)
        full.append(timed_ingest(index, [workdir / "docs"], embedder))
    adds = [timed_ingest(index, [path], embedder) for path in added[:runs]]
    by_folder = []
    for path in added[runs:]:
        shutil.move(path, workdir / "docs" / f"new-{path.name}")
        by_folder.append(timed_ingest(index, [workdir / "docs"], embedder))
    out: dict[str, Any] = {
        "machine": Machine.this().__dict__,
        "embedder": "synthetic" if synthetic else embedder.backend_in_use,
        "documents": len(files),
        "chunks": full[-1]["chunks"],
        "full": _median(full),
        "add_1": _median(adds),
        "add_1_by_folder": _median(by_folder) if by_folder else None,
    }
    out["ratio_add_1"] = round(out["add_1"]["seconds"] / out["full"]["seconds"], 5)
    if by_folder:
        out["ratio_add_1_by_folder"] = round(
            out["add_1_by_folder"]["seconds"] / out["full"]["seconds"], 5
        )
    print(json.dumps(out))


if __name__ == "__main__":
    app()
