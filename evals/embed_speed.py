"""How fast the embedding path alone runs, lever by lever, against the naive path.

    python -m askdocs.evals.embed_speed CORPUS --limit 300 --runs 3 [--configs a,b,...]

The chunk texts are made as ingest makes them (title and section before each chunk, answer
sentence spans). Each configuration then embeds them with `encode_with_spans` (what ingest
calls), and the naive path (sentence-transformers `encode` with its defaults) embeds the same
texts, every measurement in a fresh interpreter, the configurations taking turns run after run
so that a ratio compares figures measured back to back. Printed: medians of chunks/s, the median
of each run's ratio to the naive path, where the ONNX runtime's time went (tokenising, the
session, pooling), the share of padding among the token positions fed, and each configuration's
smallest cosine to the first configuration's vectors.

    python -m askdocs.evals.embed_speed CORPUS --limit 60 --runs 3 --session

times the ONNX session alone on the same padded batches with its graph and options varied
(threads, optimisation level, onnxruntime's transformer optimizer, int8).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from askdocs.evals.bench_figures import Machine
from askdocs.evals.child import run_module
from askdocs.index.embedder import Embedder, Progress

# name → Embedder keyword arguments; "naive" is sentence-transformers' encode.
CONFIGS: dict[str, dict[str, Any]] = {
    "naive": {},
    "onnx": {"backend": "onnx"},
    "onnx-int8": {"backend": "onnx-int8"},
    "onnx-charsort": {"backend": "onnx", "char_sort": True},
    "onnx-b8": {"backend": "onnx", "batch_size": 8},
    "onnx-b16": {"backend": "onnx", "batch_size": 16},
    "onnx-int8-b16": {"backend": "onnx-int8", "batch_size": 16},
    "onnx-b32": {"backend": "onnx", "batch_size": 32},
    "onnx-b128": {"backend": "onnx", "batch_size": 128},
    "bf16": {"backend": "onnx", "document_backend": "torch-bf16"},
    "bf16-padded": {"backend": "onnx", "document_backend": "torch-bf16", "packed": False},
}


def texts_of(corpus: Path, limit: int | None) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """The texts ingest gives the model for the corpus's first `limit` documents, and their
    answer sentence spans."""
    from askdocs.evals.bench_phases import corpus_documents
    from askdocs.index.embedding_inputs import embedding_inputs
    from askdocs.settings import Settings

    settings = Settings()
    inputs = embedding_inputs(
        corpus_documents(corpus, limit), Embedder.from_settings(settings), settings
    )
    return inputs.texts, inputs.shifted


class CharSortEmbedder(Embedder):
    """The batching before issue 15: texts sorted by characters, not tokens."""

    def _batches(self, texts: list[str], progress: Progress) -> Iterator[list[int]]:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            yield order[start : start + self.batch_size]


def measure(name: str, work: Path, vectors_out: Path) -> dict[str, Any]:
    """Embed the texts in `work` with configuration `name`; its figures (run in a child)."""
    data = json.loads(work.read_text())
    texts: list[str] = data["texts"]
    spans = [[(s, e) for s, e in row] for row in data["spans"]]
    if name == "naive":
        from askdocs.evals.bench_phases import naive_model

        model = naive_model()
        started = time.perf_counter()
        vectors = model.encode(texts, normalize_embeddings=True)
        seconds = time.perf_counter() - started
        np.save(vectors_out, vectors)
        return {"seconds": seconds}
    from askdocs.index.runtimes import Bf16Runtime, OnnxRuntime, RunStats

    options = dict(CONFIGS[name])
    packed = options.pop("packed", True)
    embedder = (
        CharSortEmbedder(**options) if options.pop("char_sort", False) else Embedder(**options)
    )
    embedder.encode(["warm-up"])
    runtime = embedder.model
    if isinstance(runtime, Bf16Runtime) and not packed:
        runtime.packed = None  # transformers' padded forward, as before packed tokens
    if isinstance(runtime, OnnxRuntime):
        runtime.stats = RunStats()
    started = time.perf_counter()
    vectors, _ = embedder.encode_with_spans(texts, spans)
    seconds = time.perf_counter() - started
    np.save(vectors_out, vectors)
    out: dict[str, Any] = {"seconds": seconds}
    if isinstance(runtime, OnnxRuntime):
        out.update(vars(runtime.stats))
    return out


def _child(name: str, work: Path, vectors_out: Path) -> dict[str, Any]:
    return run_module("askdocs.evals.embed_speed", "--child", name, str(work), str(vectors_out))


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.min(np.sum(a * b, axis=1)))


def run(corpus: Path, limit: int | None, runs: int, names: list[str]) -> None:
    """Measure every configuration `runs` times, in turns; print the medians."""
    texts, spans = texts_of(corpus, limit)
    machine = Machine.this()
    print(f"machine: {machine.cores} cores, {machine.cpu}; load {os.getloadavg()[0]:.2f}")
    print(f"corpus: {corpus}, {limit} documents, {len(texts)} chunk texts; runs: {runs}")
    figures: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "texts.json"
        work.write_text(json.dumps({"texts": texts, "spans": spans}))
        for run_no in range(runs):
            for name in names:
                figures[name].append(_child(name, work, Path(tmp) / f"{name}.npy"))
                print(f"  run {run_no + 1} {name}: {figures[name][-1]['seconds']:.1f} s",
                      file=sys.stderr)  # fmt: skip
        vectors = {name: np.load(Path(tmp) / f"{name}.npy") for name in names}
    reference = names[0]
    naive = [f["seconds"] for f in figures["naive"]] if "naive" in names else None
    print(f"load after: {os.getloadavg()[0]:.2f}")
    header = (f"{'config':<22}{'chunks/s':>9}{'×naive':>8}{'tokenise':>9}{'session':>8}"
              f"{'pool':>6}{'other':>6}{'padding':>8}  min cos to {reference}")  # fmt: skip
    print(header)
    for name in names:
        rows = figures[name]
        seconds = statistics.median(f["seconds"] for f in rows)
        # The ratio of each run's turns (measured back to back), then their median: steadier
        # than a ratio of medians when the machine's load changes between runs.
        ratios = [n / f["seconds"] for n, f in zip(naive, rows, strict=True)] if naive else []
        ratio = f"{statistics.median(ratios):.2f}" if ratios else "-"
        line = f"{name:<22}{len(texts) / seconds:>9.1f}{ratio:>8}"
        if "session_s" in rows[0]:
            parts = [statistics.median(f[k] / f["seconds"] for f in rows)
                     for k in ("tokenise_s", "session_s", "pool_s")]  # fmt: skip
            padding = 1 - rows[0]["tokens"] / max(rows[0]["positions"], 1)
            line += "".join(f"{p:>8.0%} " for p in parts)[:-1]
            line += f"{1 - sum(parts):>6.0%}{padding:>8.0%}"
        else:
            line += " " * 37
        line += f"  {_min_cosine(vectors[name], vectors[reference]):.5f}"
        print(line)


def fused_graphs(folder: Path, out: Path) -> dict[str, Path]:
    """onnxruntime's transformer optimizer run on the export in `folder` (Attention, LayerNorm
    and GELU fused into single operators), and that graph quantised to int8, written to `out`."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    from askdocs.index.model_source import resolve_model
    from askdocs.settings import Settings

    config = json.loads((Path(resolve_model(Settings().model)) / "config.json").read_text())
    fused = out / "model_fused.onnx"
    optimize_model(
        str(folder / "model.onnx"),
        model_type="bert",
        num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]),
    ).save_model_to_file(str(fused))
    fused_int8 = out / "model_fused_qint8.onnx"
    logging.getLogger().setLevel(logging.ERROR)
    quantize_dynamic(fused, fused_int8, weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"DefaultTensorType": 1})  # fmt: skip
    return {"fused": fused, "fused-int8": fused_int8}


def session_levers(corpus: Path, limit: int | None, runs: int) -> None:
    """The ONNX session alone on the same padded batches, graph and session options varied:
    the default session, thread counts, basic graph optimisations only, the fused graph, int8
    and the fused graph in int8. Medians of `runs` turns; speed relative to the default."""
    import onnxruntime as ort

    from askdocs.index.onnx_export import FP32_FILE, INT8_FILE
    from askdocs.index.pooling import normalise, pool

    texts, _ = texts_of(corpus, limit)
    int8 = Embedder(backend="onnx-int8")
    int8.encode(["export and quantise"])
    runtime = int8.model
    folder = Path(runtime.session._model_path).parent  # type: ignore[attr-defined]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    feeds = []
    for start in range(0, len(order), int8.batch_size):
        batch = [texts[i].lower() for i in order[start : start + int8.batch_size]]
        encodings = runtime.batcher.encode_batch(batch)  # type: ignore[attr-defined]
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds.append({"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids})

    def session(file: Path, threads: int = 0, basic: bool = False) -> Any:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = threads
        if basic:
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        return ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])

    with tempfile.TemporaryDirectory() as tmp:
        fused = fused_graphs(folder, Path(tmp))
        sessions = {
            "default (all opts)": session(folder / FP32_FILE),
            "intra_op threads=1": session(folder / FP32_FILE, threads=1),
            "intra_op threads=2": session(folder / FP32_FILE, threads=2),
            "basic opts only": session(folder / FP32_FILE, basic=True),
            "fused graph": session(fused["fused"]),
            "int8": session(folder / INT8_FILE),
            "fused graph, int8": session(fused["fused-int8"]),
        }
        seconds: dict[str, list[float]] = {name: [] for name in sessions}
        vectors: dict[str, np.ndarray] = {}
        print(f"session levers: {len(texts)} texts in {len(feeds)} batches; load "
              f"{os.getloadavg()[0]:.2f}")  # fmt: skip
        for _ in range(runs):
            for name, sess in sessions.items():
                wanted = {i.name for i in sess.get_inputs()}
                started = time.perf_counter()
                outs = [sess.run(None, {k: v for k, v in f.items() if k in wanted})[0]
                        for f in feeds]  # fmt: skip
                seconds[name].append(time.perf_counter() - started)
                vectors[name] = np.vstack([normalise(pool(o, f["attention_mask"], "mean"))
                                           for o, f in zip(outs, feeds, strict=True)])  # fmt: skip
    base = statistics.median(seconds["default (all opts)"])
    print(f"load after: {os.getloadavg()[0]:.2f}")
    print(f"{'session':<22}{'seconds':>8}{'speed':>7}  cosine to default (min, mean)")
    for name in sessions:
        median = statistics.median(seconds[name])
        cosines = np.sum(vectors[name] * vectors["default (all opts)"], axis=1)
        print(f"{name:<22}{median:>8.2f}{base / median:>6.2f}×  "
              f"{cosines.min():.5f}, {cosines.mean():.5f}")  # fmt: skip


def main(argv: list[str]) -> int:
    """Entry point; see the module docstring."""
    if argv and argv[0] == "--child":
        print(json.dumps(measure(argv[1], Path(argv[2]), Path(argv[3]))))
        return 0
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--configs", default="onnx,naive,onnx-int8", help=", ".join(CONFIGS))
    parser.add_argument(
        "--session", action="store_true", help="Vary the ONNX session and graph instead."
    )
    args = parser.parse_args(argv)
    if args.session:
        session_levers(args.corpus, args.limit, args.runs)
        return 0
    names = [n for n in args.configs.split(",") if n]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        parser.error(f"unknown configurations {unknown}; choose from {', '.join(CONFIGS)}")
    run(args.corpus, args.limit, args.runs, names)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
