"""Generated answers from a real model server, measured through POST /api/ask/stream.

    python -m askdocs.evals.llm_check --llm-url http://127.0.0.1:8177/v1 [--model M]
        [--questions FILE] [--docs DIR] [--limit N] [--json] [--extractive-only]

Indexes the documents (default: the bundled corpus and question set), serves askdocs twice
in this process over real HTTP on loopback — once extractive (no model), once generating
with the given server — and asks every question through the stream endpoint. Prints:

- sentences kept: the share of the model's sentences that passed the check;
- answers generated, fallen back to extractive, abstained (the model is not asked);
- unsupported sentences shown: every shown sentence audited again (evals/llm_audit.py, an
  independent, stricter audit plus the service's check re-run); each one found is printed.
  The target is 0;
- latency p50/p95 (ms) from the request to the first event, to the first delta (the first
  checked sentence) and to `done`; and in extractive mode, to the first event.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx

from askdocs.evals.child import free_port
from askdocs.evals.llm_audit import Finding, audit_answer
from askdocs.evals.percentiles import Percentiles
from askdocs.evals.questions import BUNDLED_CORPUS, BUNDLED_QUESTIONS, Question, load_questions
from askdocs.settings import Settings

REQUEST_TIMEOUT_S = 600.0


@dataclass
class Timed:
    """One streamed answer: its events and when they came (ms after the request)."""

    events: list[tuple[str, Any]]
    first_event_ms: float
    first_delta_ms: float
    done_ms: float


@dataclass
class Report:
    """The figures llm_check prints."""

    questions: int = 0
    generated: int = 0
    fell_back: int = 0
    abstained: int = 0
    errors: int = 0
    sentences_kept: int = 0
    sentences_dropped: int = 0
    unsupported: list[dict[str, Any]] = field(default_factory=list)
    latency_ms: dict[str, Percentiles] = field(default_factory=dict)
    extractive_first_event_ms: Percentiles | None = None

    @property
    def kept_share(self) -> float:
        total = self.sentences_kept + self.sentences_dropped
        return self.sentences_kept / total if total else 0.0


def ask_stream(url: str, question: Question, client: httpx.Client) -> Timed:
    """Ask over POST /api/ask/stream, timing the events as they arrive."""
    body = {"question": question.question, "history": [vars(t) for t in question.history]}
    events: list[tuple[str, Any]] = []
    first_event = first_delta = done = 0.0
    started = time.perf_counter()
    with client.stream("POST", f"{url}/api/ask/stream", json=body) as reply:
        reply.raise_for_status()
        name = ""
        for line in reply.iter_lines():  # httpx keeps a line cut between reads whole
            now = (time.perf_counter() - started) * 1000
            if line.startswith("event: "):
                name = line[7:]
                first_event = first_event or now
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
                if name == "delta" and not first_delta:
                    first_delta = now
                if name in ("done", "error"):
                    done = now
    return Timed(events, first_event, first_delta, done)


def _serve(settings: Settings, embedder: Any) -> tuple[str, Any]:
    import uvicorn

    from askdocs.service.app import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(settings, embedder), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def run(
    settings: Settings,
    questions: list[Question],
    docs: Path,
    say: Any = print,
    generate: bool = True,
) -> Report:
    """Index `docs`, serve it extractive (and generating), ask `questions` through both."""
    from askdocs.evals.indexing import eval_collection, folder_documents
    from askdocs.index.embedder import Embedder

    embedder = Embedder.from_settings(settings)
    report = Report(questions=len(questions))
    with (
        TemporaryDirectory(prefix="askdocs-llm-check-") as tmp,
        eval_collection(folder_documents(docs), settings, embedder, index=Path(tmp) / "index"),
    ):
        # The servers open the index (or the configured Qdrant collection) themselves.
        base = settings.replace(index=Path(tmp) / "index")
        servers = [_serve(base.replace(llm_url=""), embedder)]
        if generate:
            servers.append(_serve(base, embedder))
        try:
            with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
                url = servers[0][0]
                ask_stream(url, questions[0], client)  # warm-up, not counted
                firsts = [ask_stream(url, q, client).first_event_ms for q in questions]
                report.extractive_first_event_ms = Percentiles.of(firsts)
                if generate:
                    _generated(report, servers[1][0], questions, client, say)
        finally:
            for _, server in servers:
                server.should_exit = True
    return report


def _generated(
    report: Report, url: str, questions: list[Question], client: httpx.Client, say: Any
) -> None:
    timings: dict[str, list[float]] = {"first_event": [], "first_delta": [], "done": []}
    for i, question in enumerate(questions, start=1):
        timed = ask_stream(url, question, client)
        _count(report, question, timed)
        if report.unsupported and report.unsupported[-1]["id"] == question.id:
            say(f"UNSUPPORTED SHOWN: {report.unsupported[-1]}")
        done = timed.events[-1][1] if timed.events else {}
        # Timed: the answers the model wrote sentences for (shown or dropped).
        if done.get("mode") == "generated" or done.get("dropped"):
            timings["first_event"].append(timed.first_event_ms)
            timings["first_delta"].append(timed.first_delta_ms)
            timings["done"].append(timed.done_ms)
        say(
            f"[{i}/{len(questions)}] {question.id}: {done.get('mode', 'error')}, "
            f"dropped {done.get('dropped', '-')}, {timed.done_ms:.0f} ms"
        )
    report.latency_ms = {k: Percentiles.of(v) for k, v in timings.items()}


def _count(report: Report, question: Question, timed: Timed) -> None:
    names = [name for name, _ in timed.events]
    if not names or names[-1] != "done":
        report.errors += 1
        return
    sources, done = timed.events[0][1]["citations"], timed.events[-1][1]
    report.sentences_dropped += done["dropped"]
    if done["abstained"]:
        report.abstained += 1
    elif done["mode"] == "extractive":
        report.fell_back += 1
    else:
        report.generated += 1
        shown = [data["text"].strip() for name, data in timed.events if name == "delta"]
        findings: list[Finding] = audit_answer(shown, sources)
        report.sentences_kept += len(findings)
        for finding in findings:
            if finding.problems:
                report.unsupported.append(
                    {"id": question.id, "sentence": finding.sentence, "why": finding.problems}
                )


def format_report(report: Report, model: str) -> str:
    """The figures as text."""

    def pct(p: Percentiles | None) -> str:
        return "-" if p is None else f"p50 {p.p50:.0f} ms, p95 {p.p95:.0f} ms"

    lines = [
        f"model: {model}",
        f"questions: {report.questions} (errors: {report.errors})",
        f"sentences kept: {report.sentences_kept} of "
        f"{report.sentences_kept + report.sentences_dropped} ({report.kept_share:.1%})",
        f"answers generated: {report.generated}, fell back to extractive: {report.fell_back}, "
        f"abstained (model not asked): {report.abstained}",
        f"unsupported sentences shown: {len(report.unsupported)}",
        *(f"  {u['id']}: {u['sentence']!r}: {'; '.join(u['why'])}" for u in report.unsupported),
        "generated mode (answers the model wrote sentences for):",
        f"  first event: {pct(report.latency_ms.get('first_event'))}",
        f"  first delta: {pct(report.latency_ms.get('first_delta'))}",
        f"  done:        {pct(report.latency_ms.get('done'))}",
        f"extractive mode, first event: {pct(report.extractive_first_event_ms)}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--llm-url", required=True, help="OpenAI-compatible base URL (…/v1)")
    parser.add_argument("--model", default="", help="model name sent to the server")
    parser.add_argument("--timeout", type=float, default=120.0, help="ASKDOCS_LLM_TIMEOUT_S")
    parser.add_argument("--questions", type=Path, default=BUNDLED_QUESTIONS)
    parser.add_argument("--docs", type=Path, default=BUNDLED_CORPUS)
    parser.add_argument("--limit", type=int, default=0, help="the first N questions only")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--extractive-only", action="store_true", help="time the extractive stream only"
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings(llm_url=args.llm_url, llm_model=args.model, llm_timeout_s=args.timeout)
        questions = load_questions(args.questions)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    questions = questions[: args.limit] if args.limit > 0 else questions

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    report = run(settings, questions, args.docs, say, generate=not args.extractive_only)
    if args.json:
        payload = {
            **{k: v for k, v in vars(report).items() if k != "latency_ms"},
            "kept_share": round(report.kept_share, 4),
            "latency_ms": {k: vars(v) for k, v in report.latency_ms.items()},
            "extractive_first_event_ms": vars(
                report.extractive_first_event_ms or Percentiles(0, 0, 0)
            ),
            "model": args.model or args.llm_url,
        }
        print(json.dumps(payload, indent=2))
    else:
        print(format_report(report, args.model or args.llm_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
