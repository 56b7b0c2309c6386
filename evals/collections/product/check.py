"""Check the Quillbox product collection against askdocs' own loaders.

    HF_HUB_OFFLINE=1 python evals/collections/product/check.py [--dump]

Asserts that every file loads (none skipped), that questions.jsonl has the expected shape, and
that every evidence span occurs in some document's extracted text after `normalise`. With
--dump it also prints each document's extracted text. Run from the repository root.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEYS = {"id", "question", "answers", "answerable", "split"}


def main() -> int:
    from askdocs.evals.relevance import normalise
    from askdocs.ingest.documents import discover, load_documents
    from askdocs.ingest.models import Document

    files, skipped = discover([HERE / "docs"])
    loaded = list(load_documents(files))
    docs = [d for d in loaded if isinstance(d, Document)]
    problems = [
        f"not loaded: {d}" for d in [*skipped, *(d for d in loaded if not isinstance(d, Document))]
    ]
    if len(docs) != len(files):
        problems.append(f"{len(files)} files found, {len(docs)} documents loaded")
    if "--dump" in sys.argv:
        for doc in docs:
            print(f"===== {Path(doc.source).name} | {doc.title}\n{doc.text}\n")
    texts = {Path(doc.source).name: normalise(doc.text) for doc in docs}

    ids: set[str] = set()
    kinds: Counter[tuple[str, str]] = Counter()
    rows = [
        json.loads(line)
        for line in (HERE / "questions.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    for row in rows:
        rid = row.get("id")
        if set(row) - {"history"} != KEYS:
            problems.append(f"{rid}: keys {sorted(row)}")
        if rid in ids:
            problems.append(f"{rid}: duplicate id")
        ids.add(rid)
        if row["split"] not in {"dev", "test"}:
            problems.append(f"{rid}: split {row['split']!r}")
        if row["answerable"] != bool(row["answers"]):
            problems.append(
                f"{rid}: answerable={row['answerable']} but {len(row['answers'])} answers"
            )
        for turn in row.get("history", []):
            if set(turn) != {"role", "content"} or turn["role"] not in {"user", "assistant"}:
                problems.append(f"{rid}: bad history turn {turn}")
        for span in row["answers"]:
            where = [name for name, text in texts.items() if normalise(span) in text]
            if not where:
                problems.append(f"{rid}: span not found: {span!r}")
        kinds[(rid.split("-", 1)[1].rsplit("-", 1)[0], row["split"])] += 1

    print(
        f"{len(docs)} documents, {sum(len(d.text.split()) for d in docs)} words; "
        f"{len(rows)} questions"
    )
    for kind in sorted({k for k, _ in kinds}):
        print(f"  {kind:8} dev {kinds[(kind, 'dev')]:3}  test {kinds[(kind, 'test')]:3}")
    for problem in problems:
        print("PROBLEM", problem)
    return 1 if problems else 0


if __name__ == "__main__":  # the loaders' sandbox starts worker processes that import this module
    sys.path.insert(0, str(HERE.parents[2]))
    sys.exit(main())
