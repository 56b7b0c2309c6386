"""The kill -9 harness: an ingest is SIGKILLed at random moments; the index must survive.

Each round a child process ingests a changed folder (files added, changed and removed) into an
index; the parent kills it with SIGKILL after a random delay, then opens the index, self-checks
it (manifest checksums, row counts, FAISS size == chunk count, every chunk's offsets) and checks
that its documents are exactly the old set or exactly the new one, never a mix.

    python -m askdocs.evals.crash --rounds 20 [--workdir DIR] [--seed N]

`python -m askdocs.evals.crash_upload` does the same to the server during uploads
(index/uploads.py).

The child embeds with `FakeEmbedder`, a small deterministic stand-in for the real model: crash
safety is about storage, not retrieval quality, and the fake keeps a round well under a second.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from askdocs.errors import CorruptIndexError
from askdocs.index.collection import Collection
from askdocs.index.embedder import Embedder
from askdocs.settings import Settings

FAKE_MODEL = "fake:hashed-words-32"
FAKE_DIMENSION = 32
FAKE_MAX_TOKENS = 256
READY = "ready"
_WORD = re.compile(r"\w+")


class FakeEmbedder(Embedder):
    """Deterministic word-hashing vectors (unit length); tokens are words. No model to load."""

    def __init__(self) -> None:
        super().__init__(FAKE_MODEL)

    @property
    def dimension(self) -> int:
        """Length of the vectors."""
        return FAKE_DIMENSION

    @property
    def max_tokens(self) -> int:
        """Words read per text, special tokens included."""
        return FAKE_MAX_TOKENS

    def span_pooler(self) -> None:
        """None: sentences are embedded on their own."""
        return None

    @property
    def backend_in_use(self) -> str:
        """No model runs: word hashing is the backend (recorded in the manifest)."""
        return "hashed-words"

    def count_tokens(self, text: str) -> int:
        """Words in `text`."""
        return len(_WORD.findall(text))

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Each text as the normalised sum of its words' hashed one-hot vectors."""
        out = np.zeros((len(texts), FAKE_DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode("utf-8"), digest_size=2).digest()
                out[row, int.from_bytes(digest, "big") % FAKE_DIMENSION] += 1.0
            norm = float(np.linalg.norm(out[row]))
            out[row] = out[row] / norm if norm else 1.0 / np.sqrt(FAKE_DIMENSION)
        return out


def fake_settings(index: Path) -> Settings:
    """Settings for an index built with the fake embedder."""
    return Settings(index=index, chunk_tokens=64, chunk_overlap=8)


# --- self-check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What a healthy index holds: its version and (source, content hash) of every document."""

    version: str
    documents: frozenset[tuple[str, str]]


def self_check(index: Path, embedder: Embedder | None = None) -> Snapshot:
    """Open the live version and check it whole; raise CorruptIndexError on any inconsistency.

    Checks: manifest checksums (on open), row counts against the manifest, FAISS and BM25 sizes
    against the chunk count, FAISS ids against chunk ids, and every chunk's offsets into its
    document's text.
    """
    collection = Collection.open(index, embedder or FakeEmbedder(), check=True)
    try:
        manifest, store = collection.manifest, collection.store
        docs, chunks = store.count()
        if (docs, chunks) != (manifest.documents, manifest.chunks):
            raise CorruptIndexError(
                f"{collection.folder}: store has {docs} documents and {chunks} chunks, the "
                f"manifest says {manifest.documents} and {manifest.chunks}"
            )
        if len(collection.vectors) != chunks or len(collection.lexical.ids) != chunks:
            raise CorruptIndexError(
                f"{collection.folder}: FAISS holds {len(collection.vectors)} vectors and BM25 "
                f"{len(collection.lexical.ids)} rows for {chunks} chunks"
            )
        chunk_ids = [int(i) for batch, _, _ in store.iter_chunks() for i in batch]
        id_map = getattr(collection.vectors.index, "id_map", None)  # IndexIDMap2 keeps ids
        faiss_ids = [] if id_map is None else faiss.vector_to_array(id_map).tolist()
        if sorted(faiss_ids) != sorted(chunk_ids):
            raise CorruptIndexError(f"{collection.folder}: FAISS ids differ from the chunk ids")
        documents = set()
        for info in store.list_documents():
            doc = store.get_document(info.id)
            assert doc is not None
            documents.add((doc.source, doc.content_hash))
            rows = store.db.execute(
                "SELECT start, end, text FROM chunks WHERE doc_id = ?", (doc.id,)
            )
            for start, end, text in rows:
                if doc.text[start:end] != text:
                    raise CorruptIndexError(
                        f"{collection.folder}: a chunk of {doc.source} has wrong offsets"
                    )
        return Snapshot(collection.version, frozenset(documents))
    finally:
        collection.close()


# --- the child ------------------------------------------------------------------------------


def zygote_main() -> None:
    """Serve ingests to kill: import and warm up once, then fork one child per request.

    Reads `INDEX<TAB>FOLDER<TAB>DELAY` lines on stdin. For each, forks a child that ingests
    FOLDER into INDEX (pruning); with DELAY >= 0 sends it SIGKILL after DELAY seconds. Prints
    `exit STATUS SECONDS` once the child is reaped. The zygote is the child's parent, so the
    pid it kills cannot have been reused; forking from a warm process makes a round cost
    milliseconds instead of the second of imports a fresh interpreter needs. The zygote itself
    starts no threads, so forking it is safe.
    """
    from askdocs.index.writer import ingest_paths
    from askdocs.ingest.chunk import count_tokens

    count_tokens("warm up the tokenizer")
    print(READY, flush=True)
    for line in sys.stdin:
        index, folder, delay = line.rstrip("\n").split("\t")
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: ingest, then leave without running the parent's cleanup
            status = 0
            try:
                root = Path(index)
                ingest_paths(root, [Path(folder)], FakeEmbedder(), fake_settings(root), prune=True)
            except BaseException:
                import traceback

                traceback.print_exc()
                status = 1
            sys.stderr.flush()
            os._exit(status)
        if float(delay) >= 0:
            time.sleep(float(delay))
            os.kill(pid, signal.SIGKILL)  # harmless on a child that exited: not reaped yet
        _, wait_status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(wait_status)
        print(f"exit {code} {time.monotonic() - started:.4f}", flush=True)


def ingest_once(index: Path, folder: Path, max_file_bytes: int = 0) -> int:
    """Ingest `folder` into `index` with the fake embedder; 0, or 1 after printing the error.

    With `max_file_bytes`, writes past that size fail with EFBIG, as on a full disk.
    """
    from askdocs.errors import AskdocsError
    from askdocs.index.writer import ingest_paths

    if max_file_bytes:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of the process
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, hard))
    try:
        report = ingest_paths(index, [folder], FakeEmbedder(), fake_settings(index))
    except AskdocsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ingested {report.documents} documents into {report.version}")
    return 0


class Zygote:
    """The parent's handle on a zygote process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "askdocs.evals.crash", "--zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        if self._line() != READY:
            self.close()
            raise RuntimeError("the crash zygote did not start")

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def ingest(
        self, index: Path, folder: Path, kill_after: float | None = None
    ) -> tuple[int, float]:
        """Ingest `folder` into `index` in a forked child, SIGKILLed after `kill_after` seconds
        when given: (exit code, negative for a signal; seconds the child ran)."""
        assert self.proc.stdin is not None
        delay = -1.0 if kill_after is None else kill_after
        self.proc.stdin.write(f"{index}\t{folder}\t{delay}\n")
        self.proc.stdin.flush()
        kind, code, seconds = self._line().split()
        assert kind == "exit", kind
        return int(code), float(seconds)

    def run(self, index: Path, folder: Path) -> float:
        """One ingest to the end; the seconds it took."""
        code, seconds = self.ingest(index, folder)
        if code != 0:
            raise RuntimeError(f"an un-killed crash child failed with status {code}")
        return seconds

    def close(self) -> None:
        """Stop the zygote (it ends when its stdin closes)."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


# --- the parent ----------------------------------------------------------------------------


@dataclass
class RoundResult:
    """One kill: the delay, and whether the index was left at the old or the new version."""

    delay_s: float
    outcome: str  # "old", "new" or "finished" (the child completed before the kill)


def write_corpus(folder: Path, generation: int, files: int = 12) -> None:
    """Rewrite `folder` for `generation`: some files changed, one added, one removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.txt"):
        path.unlink()
    for i in range(files):
        version = generation if i % 3 == generation % 3 else 0
        words = " ".join(f"topic{i} word{(i * 7 + k) % 50} v{version}" for k in range(60))
        (folder / f"doc-{i:02d}.txt").write_text(
            f"Document {i}, revision {version}.\n\n{words}.\n\nIt ends here.", encoding="utf-8"
        )
    (folder / f"extra-{generation}.txt").write_text(
        f"Extra document of generation {generation}. " * 40, encoding="utf-8"
    )


def expected_documents(folder: Path) -> frozenset[tuple[str, str]]:
    """(source, content hash) of what an ingest of `folder` stores."""
    from askdocs.ingest.documents import discover, load_documents
    from askdocs.ingest.models import Document

    files, _ = discover([folder])
    return frozenset(
        (d.source, d.content_hash) for d in load_documents(files) if isinstance(d, Document)
    )


def run_rounds(
    workdir: Path, rounds: int, seed: int = 0, max_delay_s: float = 0.0
) -> list[RoundResult]:
    """Kill `rounds` ingests at random moments; raise AssertionError on any bad outcome.

    `max_delay_s` bounds the random delay after the child starts; 0 measures one ingest first
    and uses its duration, so kills land throughout the ingest and its write.
    """
    rng = random.Random(seed)
    index, folder = workdir / "index", workdir / "docs"
    zygote = Zygote()
    try:
        write_corpus(folder, 0)
        zygote.run(index, folder)
        write_corpus(folder, 1)
        took = zygote.run(index, folder)
        max_delay_s = max_delay_s if max_delay_s > 0 else 1.0 * took
        results: list[RoundResult] = []
        generation = 1
        for number in range(1, rounds + 1):
            before = self_check(index)
            generation += 1
            write_corpus(folder, generation)
            new = expected_documents(folder)
            assert new != before.documents
            delay = rng.uniform(0.0, max_delay_s)
            code, _ = zygote.ingest(index, folder, kill_after=delay)
            after = self_check(index)
            if after.documents == before.documents:
                outcome = "old"
                assert after.version == before.version, "same documents but another version"
            elif after.documents == new:
                outcome = "new"
            else:
                raise AssertionError(
                    f"round {number}: the index mixes versions after a kill at {delay:.3f}s"
                )
            if code == 0:
                assert outcome == "new", "a finished ingest left the old version"
                outcome = "finished"
            elif code != -signal.SIGKILL:
                raise AssertionError(f"round {number}: the child failed with status {code}")
            results.append(RoundResult(delay, outcome))
        # After all that, a normal ingest still works and leaves no debris.
        write_corpus(folder, generation + 1)
        zygote.run(index, folder)
    finally:
        zygote.close()
    assert self_check(index).documents == expected_documents(folder)
    versions = sorted(p.name for p in (index / "versions").iterdir())
    assert len(versions) <= 2, f"stale versions left behind: {versions}"
    return results


def harness_parser(doc: str) -> argparse.ArgumentParser:
    """The options every kill -9 harness takes: how many rounds, the random seed, and where
    to work (default: a temp dir)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Command line: the parent harness, or (internally) the child."""
    parser = harness_parser(__doc__)
    parser.add_argument("--zygote", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--ingest",
        nargs=2,
        metavar=("INDEX", "FOLDER"),
        help="just ingest FOLDER into INDEX with the fake embedder (no pruning) and exit",
    )
    parser.add_argument(
        "--max-file-bytes",
        type=int,
        default=0,
        help="with --ingest: no file may grow past this size (RLIMIT_FSIZE), like a full disk",
    )
    args = parser.parse_args(argv)
    if args.zygote:
        zygote_main()
        return
    if args.ingest:
        sys.exit(ingest_once(Path(args.ingest[0]), Path(args.ingest[1]), args.max_file_bytes))
    import tempfile

    with tempfile.TemporaryDirectory(prefix="askdocs-crash-") as tmp:
        workdir = args.workdir or Path(tmp)
        results = run_rounds(workdir, args.rounds, args.seed)
    counts = {k: sum(r.outcome == k for r in results) for k in ("old", "new", "finished")}
    print(
        f"{len(results)} kill -9 rounds survived: {counts['old']} left the old version, "
        f"{counts['new']} the new one, {counts['finished']} finished before the kill"
    )


if __name__ == "__main__":
    main()
