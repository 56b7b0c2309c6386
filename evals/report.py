"""Tables for the terminal, and the `--out` report: markdown, a PNG chart, per-question
results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from askdocs.evals.beir_eval import BEIR_METRICS, BeirResult
from askdocs.evals.compare import Change, slug
from askdocs.evals.runner import METRICS, RunResult

# Metrics drawn in the chart of a question-set run (all are fractions in [0, 1]).
CHART_METRICS = (
    "hit@1",
    "hit@5",
    "mrr@10",
    "ndcg@10",
    "answer_evidence",
    "abstention_recall",
    "citation_validity",
)

Table = tuple[list[str], list[list[str]]]


def fmt(name: str, value: float | None) -> str:
    """A metric value for display: milliseconds with one decimal, fractions with three."""
    if value is None:
        return "–"
    return f"{value:.1f}" if name.endswith("_ms") else f"{value:.3f}"


def metrics_table(results: Sequence[RunResult]) -> Table:
    """Metrics as rows, one column per configuration."""
    headers = ["metric", *(r.label for r in results)]
    rows = [[name, *(fmt(name, r.metrics.get(name)) for r in results)] for name in METRICS]
    rows.append(["runtime_s", *(f"{r.seconds:.1f}" for r in results)])
    return headers, rows


def beir_table(results: Sequence[BeirResult]) -> Table:
    """One row per dataset and mode."""
    headers = ["dataset", "mode", *BEIR_METRICS, "queries", "search_s"]
    rows = [
        [
            r.dataset,
            r.mode,
            *(f"{r.metrics[m]:.4f}" for m in BEIR_METRICS),
            str(r.queries),
            f"{r.search_seconds:.1f}",
        ]
        for r in results
    ]
    return headers, rows


def changes_table(label_before: str, label_after: str, found: Sequence[Change]) -> Table:
    """The questions that changed, better ones first."""
    headers = ["", "id", "aspect", label_before, label_after, "question"]
    ordered = sorted(found, key=lambda c: (not c.better, c.aspect, c.id))
    rows = [
        ["better" if c.better else "worse", c.id, c.aspect, c.before, c.after, _short(c.question)]
        for c in ordered
    ]
    return headers, rows


def text_table(table: Table) -> str:
    """Columns aligned with spaces; numbers right-aligned."""
    headers, rows = table
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = []
    for i, row in enumerate([headers, *rows]):
        cells = [
            cell.rjust(width) if _numeric(cell) else cell.ljust(width)
            for cell, width in zip(row, widths, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(table: Table) -> str:
    """A GitHub-flavoured markdown table."""
    headers, rows = table
    align = [
        "---:" if all(_numeric(r[i]) for r in rows) and rows else "---" for i in range(len(headers))
    ]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return cell == "–"
    return True


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- files ------------------------------------------------------------------------------------


def write_report(
    out: Path,
    title: str,
    results: Sequence[RunResult],
    found: dict[str, list[Change]],
    command: str,
) -> Path:
    """Write report.md, chart.png, results.json and questions-<label>.jsonl into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for result in results:
        with (out / f"questions-{slug(result.label)}.jsonl").open("w", encoding="utf-8") as f:
            for question in result.questions:
                f.write(json.dumps(asdict(question), ensure_ascii=False) + "\n")
    payload = {
        "runs": [r.to_json() for r in results],
        "changes": {k: [c.to_json() for c in v] for k, v in found.items()},
    }
    (out / "results.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    _chart(
        out / "chart.png",
        [r.label for r in results],
        {m: [r.metrics.get(m) for r in results] for m in CHART_METRICS},
        title,
    )
    lines = [
        f"# {title}",
        "",
        f"`{command}`",
        "",
        "![metrics](chart.png)",
        "",
        markdown_table(metrics_table(results)),
        "",
    ]
    for result in results:
        misses = [q for q in result.questions if q.answerable and not q.retrieval.get("hit@5")]
        wrong = [q for q in result.questions if q.answerable and not q.answer_evidence]
        lines += [f"## {result.label}", "", f"Configuration: `{json.dumps(result.config)}`", ""]
        lines += [
            f"- {len(misses)} answerable questions with no relevant chunk in the top 5: "
            + (", ".join(q.id for q in misses) or "none")
        ]
        lines += [
            f"- {len(wrong)} answerable questions whose answer lacks the evidence: "
            + (", ".join(q.id for q in wrong) or "none"),
            "",
        ]
    for key, changed in found.items():
        before, after = key.split(" → ")
        lines += [f"## Changes {key}", ""]
        lines += [markdown_table(changes_table(before, after, changed)) if changed else "None.", ""]
    report = out / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return report


def write_beir_report(out: Path, results: Sequence[BeirResult], command: str) -> Path:
    """Write report.md, chart.png, results.json and per-query figures into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {"results": [r.to_json() for r in results]}
    (out / "results.json").write_text(json.dumps(payload, indent=2))
    per_query = {f"{r.dataset}/{r.mode}": r.per_query for r in results}
    (out / "per_query.json").write_text(json.dumps(per_query, indent=1))
    labels = [f"{r.dataset} {r.mode}" for r in results]
    _chart(
        out / "chart.png",
        labels,
        {m: [r.metrics[m] for r in results] for m in BEIR_METRICS},
        "BEIR " + ", ".join(sorted({f"{r.dataset} ({r.split})" for r in results})),
    )
    lines = [
        f"# BEIR: {', '.join(sorted({r.dataset for r in results}))}",
        "",
        f"`{command}`",
        "",
        "![metrics](chart.png)",
        "",
        markdown_table(beir_table(results)),
        "",
    ]
    if results:
        first = results[0]
        lines += [
            f"{first.documents} documents in {first.chunks} chunks, indexed in "
            f"{first.index_seconds:.1f} s.",
            "",
        ]
    report = out / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    return report


def _chart(
    path: Path, labels: list[str], series: dict[str, list[float | None]], title: str
) -> None:
    """Grouped bars: one group per metric, one bar per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = list(series)
    width = 0.8 / max(len(labels), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(metrics) * max(1, len(labels)) / 2), 4))
    for i, label in enumerate(labels):
        xs = [m + (i - (len(labels) - 1) / 2) * width for m in range(len(metrics))]
        ys = [series[name][i] or 0.0 for name in metrics]
        ax.bar(xs, ys, width, label=label)
    ax.set_xticks(range(len(metrics)), metrics, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
