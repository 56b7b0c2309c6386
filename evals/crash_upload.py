"""The kill -9 harness for uploads: the server is SIGKILLed while it handles an upload.

Each round starts `askdocs`' app under uvicorn in a child process, waits until it serves (its
start-up has then tidied what the last kill left), checks the index and the uploads folder,
then uploads two files (a new one and a changed `shared.txt`) and polls the upload's job, or
every third round deletes an uploaded document, and kills the server at a random moment of the
request or the job. Checked after every
restart:

- the live version passes `evals.crash.self_check` (checksums, counts, offsets);
- a document whose source is in uploads/ is in the live version iff its file is there, with
  the content that was indexed (the file's content hash equals the stored one);
- no `.incoming-*` folder is left in uploads/;
- an upload whose job was reported done (or a delete answered 200) is live;
- the version that was live before the round still exists (live, or kept as the previous).

    python -m askdocs.evals.crash_upload --rounds 20 [--seed N] [--workdir DIR]

Violations are counted, not raised, so the harness also measures code that fails them; the
exit status is 1 when there was any. Embeds with `evals.crash.FakeEmbedder` (no model).
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from askdocs.evals.child import free_port
from askdocs.evals.crash import (
    FakeEmbedder,
    fake_settings,
    harness_parser,
    self_check,
    write_corpus,
)

KEY = "crash-upload-admin-key"
START_TIMEOUT_S = 60.0
ROOT = Path(__file__).resolve().parent.parent


def serve_main(index: Path, port: int) -> None:
    """The child: serve the app over `index` with the fake embedder on 127.0.0.1:`port`."""
    import uvicorn

    from askdocs.service.app import create_app

    settings = fake_settings(index).replace(admin_key=KEY)
    app = create_app(settings, embedder=FakeEmbedder())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


class Server:
    """One server child process."""

    def __init__(self, index: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "askdocs.evals.crash_upload",
                "--serve",
                str(index),
                str(self.port),
            ],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server did not start: {self.proc.stderr.read()}")  # type: ignore[union-attr]
            try:
                httpx.get(f"{self.url}/healthz", timeout=1.0)
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError("the server did not answer in time") from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL (harmless once it exited) and reap."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


def upload_files(generation: int) -> list[tuple[str, bytes]]:
    """A new file and a changed shared one, long enough that ingesting takes a while."""
    lines = [
        f"Shared notes, revision {generation}, line {i}: item{i} v{generation}." for i in range(300)
    ]
    new = " ".join(
        f"Round {generation} document, sentence {i} about topic{i % 7}." for i in range(80)
    )
    return [
        (f"round-{generation:03d}.txt", new.encode()),
        ("shared.txt", "\n".join(lines).encode()),
    ]


def upload(url: str, files: list[tuple[str, bytes]]) -> int | str | None:
    """POST the files (202: their ingest is queued), then poll the job: "done" or "failed"
    once it has finished, another status code when the upload was refused, or None when the
    server died first."""
    try:
        accepted = httpx.post(
            f"{url}/api/documents",
            files=[("files", item) for item in files],
            headers={"X-Admin-Key": KEY},
            timeout=60.0,
        )
        if accepted.status_code != 202:
            return accepted.status_code
        while True:
            job = httpx.get(url + accepted.headers["location"], headers={"X-Admin-Key": KEY})
            status: str = job.json()["status"]
            if status in ("done", "failed"):
                return status
            time.sleep(0.01)
    except httpx.HTTPError:
        return None


def _delete_into(result: dict[str, int | str | None], url: str, doc_id: str) -> None:
    try:
        response = httpx.delete(
            f"{url}/api/documents/{doc_id}", headers={"X-Admin-Key": KEY}, timeout=60.0
        )
    except httpx.HTTPError:
        result["status"] = None
        return
    result["status"] = response.status_code


def _upload_into(
    result: dict[str, int | str | None], url: str, files: list[tuple[str, bytes]]
) -> None:
    result["status"] = upload(url, files)


# A finding: (kind, what), e.g. ("doc-without-file", "round-003.txt").
Finding = tuple[str, str]


@dataclass
class Tally:
    """What the rounds found. A finding counts in the round it first appears (a document
    left without its file stays so in every later check)."""

    rounds: int = 0
    upload_s: float = 0.0  # how long one un-killed upload took
    delete_s: float = 0.0  # and one delete
    # "upload old|new|finished", "delete ...": the change not made, made but not answered,
    # answered before the kill.
    outcomes: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)  # rounds introducing each kind
    bad_rounds: int = 0
    seen: set[Finding] = field(default_factory=set)
    log: list[str] = field(default_factory=list)

    def record(self, number: int, delay: float, outcome: str, findings: set[Finding]) -> None:
        """Tally one round."""
        new = findings - self.seen
        self.seen |= findings
        self.rounds += 1
        self.outcomes[outcome] += 1
        self.bad_rounds += bool(new)
        for kind in {kind for kind, _ in new}:
            self.violations[kind] += 1
        shown = "; ".join(f"{kind} {what}" for kind, what in sorted(new)) or "consistent"
        self.log.append(f"round {number:3d}: kill at {delay:.3f} s, {outcome}: {shown}")


def check(index: Path, previous_live: str | None) -> tuple[set[Finding], set[str]]:
    """Check the index and uploads/ after a restart: the findings, and the names of the
    uploaded files whose document is live."""
    from askdocs.ingest.documents import load_documents
    from askdocs.ingest.models import Document

    uploads = index / "uploads"
    findings = {("incoming", p.name) for p in uploads.glob(".incoming-*")}
    try:
        snapshot = self_check(index, FakeEmbedder())
    except Exception as exc:  # any failure of the live version is a finding here
        return findings | {("index", str(exc))}, set()
    if previous_live is not None and not (index / "versions" / previous_live).is_dir():
        findings.add(("version-lost", previous_live))
    prefix = str(uploads.resolve()) + "/"
    indexed = {s: h for s, h in snapshot.documents if s.startswith(prefix)}
    files = [p for p in uploads.glob("*") if p.is_file() and not p.name.startswith(".")]
    kept = {d.source: d.content_hash for d in load_documents(files) if isinstance(d, Document)}
    for source in indexed.keys() - kept.keys():
        findings.add(("doc-without-file", Path(source).name))
    for source in kept.keys() - indexed.keys():
        findings.add(("file-without-doc", Path(source).name))
    for source in indexed.keys() & kept.keys():
        if indexed[source] != kept[source]:
            findings.add(("stale-file", f"{Path(source).name} (indexed {indexed[source][:8]})"))
    return findings, {Path(s).name for s in indexed}


def run_rounds(workdir: Path, rounds: int, seed: int = 0) -> Tally:
    """Kill the server during `rounds` uploads; count what each restart finds."""
    from askdocs.index.layout import current_version
    from askdocs.index.writer import ingest_paths
    from askdocs.ingest.documents import document_id, source_of

    rng = random.Random(seed)
    index, docs = workdir / "index", workdir / "docs"
    write_corpus(docs, 0, files=6)
    ingest_paths(index, [docs], FakeEmbedder(), fake_settings(index))
    tally = Tally()
    server = Server(index)
    try:
        # One upload to the end: how long a request takes, so kills land throughout it.
        started = time.monotonic()
        assert upload(server.url, upload_files(0)) == "done", "an un-killed upload failed"
        tally.upload_s = time.monotonic() - started
        started = time.monotonic()
        probe: dict[str, int | str | None] = {}
        _delete_into(probe, server.url, document_id(source_of(index / "uploads" / "round-000.txt")))
        assert probe["status"] == 200, "an un-killed delete failed"
        tally.delete_s = time.monotonic() - started
        _, live_names = check(index, None)
        for number in range(1, rounds + 1):
            live = current_version(index)
            previous_live = live.name if live else None
            result: dict[str, int | str | None] = {}
            # Every third round deletes an earlier round's document instead.
            victims = sorted(n for n in live_names if n.startswith("round-"))
            deleting = number % 3 == 0 and bool(victims)
            if deleting:
                name = victims[0]
                doc_id = document_id(source_of(index / "uploads" / name))
                thread = threading.Thread(target=_delete_into, args=(result, server.url, doc_id))
            else:
                name = f"round-{number:03d}.txt"
                files = upload_files(number)
                thread = threading.Thread(target=_upload_into, args=(result, server.url, files))
            delay = rng.uniform(0.0, 1.2 * (tally.delete_s if deleting else tally.upload_s))
            thread.start()
            time.sleep(delay)
            server.kill()
            thread.join(timeout=60)
            server = Server(index)  # its start-up tidies
            findings, live_names = check(index, previous_live)
            done = (name not in live_names) if deleting else (name in live_names)
            answered = result.get("status") == (200 if deleting else "done")
            outcome = "finished" if answered else "new" if done else "old"
            if answered and not done:
                findings.add(("lost-change", name))
            tally.record(number, delay, f"{'delete' if deleting else 'upload'} {outcome}", findings)
    finally:
        server.kill()
    return tally


def main(argv: list[str] | None = None) -> None:
    """Command line: the parent harness, or (internally) the server child."""
    parser = harness_parser(__doc__)
    parser.add_argument("--verbose", action="store_true", help="print every round")
    parser.add_argument("--serve", nargs=2, metavar=("INDEX", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve_main(Path(args.serve[0]), int(args.serve[1]))
        return
    with tempfile.TemporaryDirectory(prefix="askdocs-crash-upload-") as tmp:
        workdir = args.workdir or Path(tmp)
        tally = run_rounds(workdir, args.rounds, args.seed)
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(tally.outcomes.items()))
    if args.verbose:
        print("\n".join(tally.log))
    print(
        f"{tally.rounds} kill -9 rounds during uploads and deletes (one takes {tally.upload_s:.3f} "
        f"and {tally.delete_s:.3f} s; kills land up to 1.2 times that): {outcomes}"
    )
    if tally.violations:
        kinds = ", ".join(f"{k} in {v}" for k, v in sorted(tally.violations.items()))
        print(f"{tally.bad_rounds} rounds left the index and uploads/ inconsistent: {kinds}")
        sys.exit(1)
    print("no violations: every document in uploads/ is live iff its file is kept; no leftovers")


if __name__ == "__main__":
    main()
