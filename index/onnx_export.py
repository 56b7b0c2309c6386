"""Exporting the embedding model to ONNX, quantising it to int8, and caching both on disk.

The export reads the model with sentence-transformers (so it needs torch, once) and is written to
`onnx_cache_dir()` (``$XDG_CACHE_HOME/askdocs/onnx``, else ``~/.cache/askdocs/onnx``), in one folder
per model keyed by the model folder's files, then reused. When that folder cannot be written the
export goes to a temporary folder for this process only. A model the ONNX path cannot reproduce
(not a local folder, modules other than Transformer → Pooling → Normalize) is an ExportError, as is
any failure of the export or the quantisation: the embedder then runs the model on torch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from askdocs.errors import ExportError
from askdocs.index.model_source import load_sentence_transformer
from askdocs.index.pooling import POOLING_MODES

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedModel

log = logging.getLogger("askdocs.embedder")

# Bump when the exported files change, so old exports are not reused.
EXPORT_FORMAT = 1
META_FILE = "askdocs_onnx.json"
FP32_FILE = "model.onnx"
INT8_FILE = "model_qint8.onnx"
TOKENIZER_FILE = "tokenizer.json"


def onnx_cache_dir() -> Path:
    """Where ONNX exports are kept: $XDG_CACHE_HOME/askdocs/onnx, else ~/.cache/askdocs/onnx."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "askdocs" / "onnx"


def export_key(path: str) -> str:
    """Names a model folder's export: its location and the size and mtime of every file in it."""
    root = Path(path).resolve()
    if not root.is_dir():
        raise ExportError(f"{path!r} is not a local folder")
    digest = hashlib.sha256(f"{EXPORT_FORMAT}\n{root}\n".encode())
    for file in sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts):
        stat = file.stat()
        digest.update(f"{file.relative_to(root)}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def describe(st: SentenceTransformer, path: str) -> tuple[PreTrainedModel, dict[str, Any]]:
    """The transformers model inside `st` and what running it outside sentence-transformers
    needs (the export's metadata: dimension, max_seq_length, pooling, lower-casing, padding).
    ExportError when `st` is not Transformer → Pooling (→ Normalize) with a fast tokenizer."""
    from transformers import PreTrainedModel

    names = [type(m).__name__ for m in st]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ExportError(f"modules {names}; the ONNX path knows Transformer → Pooling")
    transformer, pooling = st[0], st[1]
    mode = str(pooling.pooling_mode)
    if mode not in POOLING_MODES or not pooling.include_prompt:
        raise ExportError(f"pooling {mode!r}")
    tokenizer = st.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise ExportError("the model has no fast (tokenizers) tokenizer")
    dimension, max_length = st.get_embedding_dimension(), st.max_seq_length
    if dimension is None or max_length is None:
        raise ExportError("the model does not report its dimension and max_seq_length")
    auto_model = transformer.auto_model
    if not isinstance(auto_model, PreTrainedModel):
        raise ExportError("the Transformer module holds no transformers model")
    meta = {
        "format": EXPORT_FORMAT,
        "source": str(Path(path).resolve()),
        "dimension": int(dimension),
        "max_seq_length": int(max_length),
        "pooling": mode,
        "do_lower_case": bool(getattr(transformer, "do_lower_case", False)),
        "pad_id": int(tokenizer.pad_token_id or 0),
        "pad_token": str(tokenizer.pad_token),
        "padding_side": str(tokenizer.padding_side),
    }
    auto_model.train(False)  # inference mode: no dropout
    return auto_model, meta


def model_inputs(st: SentenceTransformer) -> list[str]:
    """The inputs the model's forward pass takes, of those its tokenizer makes, in order."""
    made = st.tokenizer("a text")
    return [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in made]


def export_onnx(path: str, folder: Path) -> None:
    """Export the model at `path` into `folder`: the fp32 graph, tokenizer.json and metadata."""
    st = load_sentence_transformer(path)
    import torch

    model, meta = describe(st, path)
    tokenizer = st.tokenizer
    with contextlib.suppress(AttributeError, ValueError):
        model.set_attn_implementation("eager")  # plain ops that onnxruntime fuses well
    sample = tokenizer(["a short text", "a somewhat longer sample text"], padding=True)
    inputs = model_inputs(st)

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.model(**dict(zip(inputs, args, strict=True))).last_hidden_state
            return out

    axes = {name: {0: "batch", 1: "sequence"} for name in [*inputs, "token_embeddings"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it treats as constant
        torch.onnx.export(
            TokenEmbeddings().eval(),
            tuple(torch.tensor(sample[n]) for n in inputs),
            str(folder / FP32_FILE),
            input_names=inputs,
            output_names=["token_embeddings"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    tokenizer.backend_tokenizer.save(str(folder / TOKENIZER_FILE))
    (folder / META_FILE).write_text(json.dumps(meta, indent=2))


def quantize_int8(source: Path, target: Path) -> None:
    """Write `target`: `source` with int8 weights (per channel) and dynamic int8 activations."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_name(f".{os.getpid()}.{target.name}")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a "run pre-processing first" hint
    try:
        quantize_dynamic(source, partial, weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
    os.replace(partial, target)


class OnnxExporter:
    """Finds or makes the ONNX export of a model folder. `export` and `quantize` are its two
    steps; a subclass may replace them (tests make them fail, or refuse to run)."""

    def export(self, path: str, folder: Path) -> None:
        """Export the model at `path` into the empty `folder`."""
        export_onnx(path, folder)

    def quantize(self, source: Path, target: Path) -> None:
        """Write the int8 graph `target` from the fp32 graph `source`."""
        quantize_int8(source, target)

    @contextlib.contextmanager
    def exported(self, path: str, cache: Path, int8: bool) -> Iterator[Path]:
        """The folder holding the export of `path` (with the int8 graph when `int8`), exported
        into `cache` first if needed. Read its files inside the block: a temporary folder (when
        `cache` cannot be written) is removed on leaving it.

        Raises ExportError when the model cannot be exported or quantised, whatever the reason,
        and ImportError when onnx or onnxruntime is missing."""
        scratch: list[Path] = []
        try:
            try:
                folder = self._ensure(path, cache, int8, scratch)
            except (ExportError, ImportError):
                raise
            except Exception as exc:
                raise ExportError(f"exporting or quantising failed: {exc!r}") from exc
            yield folder
        finally:
            for temporary in scratch:
                shutil.rmtree(temporary, ignore_errors=True)

    def _ensure(self, path: str, cache: Path, int8: bool, scratch: list[Path]) -> Path:
        """The folder holding the export of `path`, exporting (and quantising) it if needed; a
        temporary one, added to `scratch`, when `cache` cannot be written."""
        folder = cache / export_key(path)
        try:
            if not (folder / META_FILE).is_file():
                self._export_into(cache, path, folder)
            if int8 and not (folder / INT8_FILE).is_file():
                self.quantize(folder / FP32_FILE, folder / INT8_FILE)
            return folder
        except OSError as exc:
            log.warning(
                "cannot write the ONNX cache %s (%s); exporting to a temporary folder, which is "
                "redone at every start. Set XDG_CACHE_HOME to a writable folder.",
                cache,
                exc,
            )
        temporary = Path(tempfile.mkdtemp(prefix="askdocs-onnx-"))
        scratch.append(temporary)
        if (folder / META_FILE).is_file():
            for name in (META_FILE, FP32_FILE, TOKENIZER_FILE):
                shutil.copy2(folder / name, temporary / name)
        else:
            self.export(path, temporary)
        if int8:
            self.quantize(temporary / FP32_FILE, temporary / INT8_FILE)
        return temporary

    def _export_into(self, cache: Path, path: str, folder: Path) -> None:
        """Export `path` into a new folder of `cache` and rename it to `folder` when complete."""
        cache.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=cache))
        try:
            log.warning("exporting embedding model %s to ONNX in %s (once)", path, folder)
            self.export(path, partial)
            try:
                partial.rename(folder)
            except OSError:  # another process finished first
                if not (folder / META_FILE).is_file():
                    raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)
