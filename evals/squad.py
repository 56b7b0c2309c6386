"""SQuAD-format articles as an askdocs collection: one text file per article, a question set.

    python -m askdocs.evals.squad [--source FILE] [--out DIR]

Each article becomes `DIR/docs/<title>.txt` (its paragraphs separated by blank lines) and every
question a line of `DIR/questions.jsonl` whose evidence is the crowd-marked answer text. Whole
articles go to one split, so test questions are about articles that tuning never saw (the
held-out sets askdocs is judged on are other articles, not other questions on the same ones).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
# The SQuAD sample is not bundled: it lies with the shared datasets beside the repository.
SOURCE = REPOSITORY.parent / "shared" / "datasets" / "squad-train-sample" / "train-v1.1-sample.json"
DEFAULT_OUT = REPOSITORY / ".cache" / "squad"
# Articles (by position in the file) whose questions form the test split: about a third of the
# questions, articles of several kinds (a place, science, a product, a film).
TEST_ARTICLES = frozenset({2, 4, 7, 9})


def build(source: Path = SOURCE, out: Path = DEFAULT_OUT) -> tuple[Path, Path]:
    """Write the documents and the question set under `out`; return (docs dir, questions)."""
    if not source.is_file():
        raise FileNotFoundError(f"SQuAD file not found: {source}")
    data: list[dict[str, Any]] = json.loads(source.read_text(encoding="utf-8"))["data"]
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for old in docs.glob("*.txt"):
        old.unlink()
    lines: list[str] = []
    for position, article in enumerate(data):
        title = str(article["title"])
        paragraphs = [" ".join(p["context"].split()) for p in article["paragraphs"]]
        name = re.sub(r"[^\w.()-]+", "_", title)
        (docs / f"{name}.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        split = "test" if position in TEST_ARTICLES else "dev"
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = list(dict.fromkeys(" ".join(a["text"].split()) for a in qa["answers"]))
                record = {
                    "id": qa["id"],
                    "question": " ".join(qa["question"].split()),
                    "answers": [a for a in answers if a],
                    "answerable": True,
                    "split": split,
                }
                lines.append(json.dumps(record, ensure_ascii=False))
    questions = out / "questions.jsonl"
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return docs, questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    docs, questions = build(args.source, args.out)
    print(f"documents: {docs}\nquestions: {questions}")


if __name__ == "__main__":
    main()
