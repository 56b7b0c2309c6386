"""The figures of `askdocs bench`, typed: what each phase measures, the machine, and the medians
over runs. A phase runs in a child process and hands its figures back as JSON (`from_json`)."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import asdict, dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_args, get_origin, get_type_hints

from askdocs.evals.load import LevelResult
from askdocs.evals.percentiles import Percentiles

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    D = TypeVar("D", bound=DataclassInstance)
else:
    D = TypeVar("D")


@dataclass
class Machine:
    """What the figures were measured on."""

    cores: int | None
    cpu: str
    memory_gb: float
    python: str

    @classmethod
    def this(cls) -> Machine:
        """This machine: cores, CPU model, memory, Python."""
        model = platform.processor() or "unknown"
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        return cls(os.cpu_count(), model, round(memory_gb, 1), platform.python_version())


@dataclass
class IngestFigures:
    """A fresh ingest of the corpus, then an unchanged one."""

    documents: int
    chunks: int
    tokens: int
    seconds: float
    stages: dict[str, float]  # seconds per stage: loading, chunking, embedding, writing
    second_seconds: float
    second_embedded: int  # chunks the unchanged ingest embedded (0 when nothing changed)
    peak_rss_mb: float
    index_bytes: int


@dataclass
class BaselineFigures:
    """The same chunk texts through sentence-transformers' `encode` into a flat FAISS index."""

    chunks: int
    seconds: float
    peak_rss_mb: float


@dataclass
class QueryFigures:
    """In-process latency (ms) of search and of a whole answer."""

    search: Percentiles
    ask: Percentiles


@dataclass
class BenchLevel(LevelResult):
    """One concurrency level over HTTP, and how many of its questions were asked again."""

    repeated: int = 0


@dataclass
class HttpFigures:
    """The service over HTTP: cold start, single-client latency (ms), concurrency levels."""

    cold_start_s: float
    search: Percentiles
    ask: Percentiles
    levels: list[BenchLevel]
    peak_rss_mb: float


@dataclass
class BenchResult:
    """Every figure of one `askdocs bench` run (medians over runs)."""

    machine: Machine
    corpus: str
    runs: int
    ingest: IngestFigures
    baseline: BaselineFigures
    queries: QueryFigures
    http: HttpFigures | None = None  # None with --no-http

    def to_json(self) -> dict[str, Any]:
        """The figures as `askdocs bench --json` prints them (`"http": {}` with --no-http)."""
        data = asdict(self)
        data["http"] = data["http"] or {}
        return data


def median_of(results: list[D]) -> D:
    """Field-by-field median of equally shaped figures: floats by their median, counts by the
    lower median (a count that was observed), texts from the first, nested figures, lists
    and dicts element by element (a key some runs lack counts as 0 in those)."""
    first = results[0]
    medians = {f.name: _median([getattr(r, f.name) for r in results]) for f in fields(first)}
    return replace(first, **medians)


def _median(column: list[Any]) -> Any:
    first = column[0]
    if is_dataclass(first):
        return median_of(column)
    if isinstance(first, list):
        return [_median(list(items)) for items in zip(*column, strict=True)]
    if isinstance(first, dict):
        keys = dict.fromkeys(k for d in column for k in d)
        return {k: _median([d.get(k, 0) for d in column]) for k in keys}
    if isinstance(first, bool) or not isinstance(first, int | float):
        return first
    if isinstance(first, int):
        return statistics.median_low(column)
    return statistics.median(column)


def from_json(kind: type[D], data: dict[str, Any]) -> D:
    """Figures of type `kind` from their `asdict` form."""
    hints = get_type_hints(kind)
    values = {f.name: _typed(hints[f.name], data[f.name]) for f in fields(kind) if f.init}
    return kind(**values)


def _typed(hint: Any, value: Any) -> Any:
    if isinstance(hint, type) and is_dataclass(hint):
        return from_json(hint, value)
    if get_origin(hint) is list:
        (item,) = get_args(hint)
        return [_typed(item, v) for v in value]
    return value
