"""Retrieval ablation: chunking, chunk context and the second stage, one step at a time.

    python -m askdocs.evals.retrieval_ablation [--set squad] [--split dev] [--every 3]

Indexes the set's documents once per chunking (under .cache/ablation/) and runs every
answerable question without history through `Collection.search` (hybrid, k=5); prints a
markdown table of hit@1, hit@5 and search p50 per row. Dev splits only for tuning.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from askdocs.evals.questions import load_questions, of_split
from askdocs.evals.relevance import contains_evidence
from askdocs.evals.sets import question_set
from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.index.rerank import RerankConfig
from askdocs.index.writer import ingest_paths
from askdocs.settings import Settings

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "ablation"
# (label, chunking settings, second-stage depth)
ROWS: list[tuple[str, dict[str, object], int]] = [
    ("before: sentence windows, 128 tokens", {"chunk_paragraphs": False}, 0),
    ("+ paragraphs (128)", {"chunk_paragraphs": True}, 0),
    ("+ paragraphs, 192 tokens", {"chunk_paragraphs": True, "chunk_tokens": 192}, 0),
    (
        "+ title/section context",
        {"chunk_paragraphs": True, "chunk_tokens": 192, "chunk_context": True},
        0,
    ),
    (
        "+ best-sentence second stage",
        {"chunk_paragraphs": True, "chunk_tokens": 192, "chunk_context": True},
        30,
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="squad", help="sample, product or squad")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--every", type=int, default=1, help="use every n-th question")
    args = parser.parse_args()
    chosen = question_set(args.set)
    questions = [
        q
        for q in of_split(load_questions(chosen.questions), args.split)
        if q.answerable and not q.history
    ][:: args.every]
    print(f"{args.set} {args.split}: {len(questions)} questions\n")
    print("| row | chunks | hit@1 | hit@5 | search p50 ms |\n|---|---:|---:|---:|---:|")
    for label, chunking, depth in ROWS:
        name = "-".join(f"{k}={v}" for k, v in sorted(chunking.items()))
        settings = Settings(index=CACHE / args.set / name, **chunking)  # type: ignore[arg-type]
        embedder = Embedder.from_settings(settings)
        ingest_paths(settings.index, [chosen.docs], embedder, settings, prune=True)
        collection = Collection.open(settings.index, embedder, rerank=RerankConfig(depth))
        first = any_five = 0
        times: list[float] = []
        for question in questions:
            started = time.perf_counter()
            hits = collection.search(question.question, k=5)
            times.append(time.perf_counter() - started)
            found = [contains_evidence(h.stored.chunk.text, question.answers) for h in hits]
            first += bool(found and found[0])
            any_five += any(found)
        times.sort()
        n = len(questions)
        print(
            f"| {label} | {collection.manifest.chunks} | {first / n:.3f} | {any_five / n:.3f} "
            f"| {times[n // 2] * 1000:.1f} |",
            flush=True,
        )
        collection.close()


if __name__ == "__main__":
    main()
