"""Peak memory of an ingest at two corpus sizes: does it grow with the corpus?

    python -m askdocs.evals.ingest_memory --documents 2000,8000 --workdir /tmp/mem

For each size, that many SciFact abstracts (varied copies past the corpus's 5,183, as in
evals/query_scale.py) are written as .txt files, then `askdocs ingest FOLDER` runs in a fresh
interpreter into a new index; its peak RSS (`ru_maxrss`) is what the figure is. The index
size on disk is printed beside it: a store of the whole corpus is expected to be on disk, not
in memory. `--synthetic` (the default) embeds with evals/query_scale.py's hash vectors, so a
size of 8,000 documents takes a minute, not a quarter of an hour; the model's own memory does
not depend on the corpus size (`--no-synthetic` to include it).
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from askdocs.evals.child import run_module
from askdocs.evals.query_scale import CHUNKS_PER_DOCUMENT, DEFAULT_CORPUS

app = typer.Typer(add_completion=False)


def ingest_child(index: Path, folder: Path, synthetic: bool) -> dict[str, Any]:
    """In the child: ingest `folder` into `index`; its figures, peak RSS included."""
    from askdocs.evals.query_scale import SyntheticEmbedder
    from askdocs.index.embedder import Embedder
    from askdocs.index.writer import ingest_paths
    from askdocs.settings import Settings

    settings = Settings(index=index)
    embedder = Embedder.from_settings(settings)
    if synthetic:
        embedder = SyntheticEmbedder(embedder)
    embedder.encode(["warm-up"])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = ingest_paths(index, [folder], embedder, settings, progress=False)
    return {
        "documents": report.documents,
        "chunks": report.chunks,
        "seconds": round(time.perf_counter() - started, 1),
        "rss_before_ingest_mb": round(before / 1024, 1),  # ru_maxrss is in KB on Linux
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "index_mb": round(sum(p.stat().st_size for p in index.rglob("*") if p.is_file()) / 2**20),
    }


def write_documents(folder: Path, count: int, corpus: Path) -> None:
    """`count` abstracts as .txt files in `folder`."""
    from askdocs.evals.incremental import write_corpus
    from askdocs.evals.query_scale import synthetic_documents

    docs = synthetic_documents(corpus.resolve(), round(count * CHUNKS_PER_DOCUMENT))
    write_corpus(folder, docs[:count])


@app.command()
def main(
    workdir: Annotated[Path, typer.Option(help="where files and indexes go (emptied)")],
    documents: Annotated[str, typer.Option(help="corpus sizes, comma-separated")] = "2000,8000",
    corpus: Annotated[Path, typer.Option(help="BEIR folder whose abstracts are used")] = (
        DEFAULT_CORPUS
    ),
    synthetic: Annotated[bool, typer.Option(help="hash vectors instead of the model")] = True,
    child: Annotated[str, typer.Option(hidden=True)] = "",
) -> None:
    """Ingest each size in a fresh interpreter; print one JSON line per size."""
    if child:
        into, read = child.split("\t")
        print(json.dumps(ingest_child(Path(into), Path(read), synthetic)))
        return
    shutil.rmtree(workdir, ignore_errors=True)
    for count in (int(n) for n in documents.split(",")):
        folder, index = workdir / f"docs-{count}", workdir / f"index-{count}"
        write_documents(folder, count, corpus)
        flag = "--synthetic" if synthetic else "--no-synthetic"
        figures = run_module(
            "askdocs.evals.ingest_memory",
            "--workdir",
            str(workdir),
            flag,
            "--child",
            f"{index}\t{folder}",
        )
        print(json.dumps({"documents_written": count, **figures}), flush=True)
        shutil.rmtree(index, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    app()
