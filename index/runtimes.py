"""The two ways the embedding model runs, behind one protocol: sentence-transformers on PyTorch,
and an ONNX export on onnxruntime with tokenising, pooling and normalising in numpy."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from askdocs.errors import ModelError
from askdocs.index.model_source import load_sentence_transformer
from askdocs.index.onnx_export import FP32_FILE, INT8_FILE, META_FILE, TOKENIZER_FILE
from askdocs.index.packed_bert import PackedBert
from askdocs.index.pooling import normalise, pool, pool_spans
from askdocs.settings import EmbeddingBackend

if TYPE_CHECKING:
    from tokenizers import Encoding

# Per text, a vector for each of its character spans, or None where the runtime could not pool
# that span from the text's own pass (the caller then embeds the span's text on its own).
SpanVectors = list[list[np.ndarray | None]]
Spans = list[list[tuple[int, int]]]
# A runtime's encode_spans.
SpanEncoder = Callable[[list[str], Spans], tuple[np.ndarray, SpanVectors]]


@dataclass
class RunStats:
    """Where an ONNX runtime's time went, summed over its passes (for `evals/embed_speed.py`):
    seconds tokenising, in the session and pooling; real and padded token positions fed."""

    tokenise_s: float = 0.0
    session_s: float = 0.0
    pool_s: float = 0.0
    tokens: int = 0
    positions: int = 0


class Runtime(Protocol):
    """A loaded embedding model: counts its tokens and turns texts into unit-length vectors."""

    backend: EmbeddingBackend
    dimension: int
    max_tokens: int

    def count_tokens(self, text: str) -> int:
        """Number of model tokens in `text`, without special tokens."""
        ...

    def encode(self, texts: list[str]) -> np.ndarray:
        """One batch of `texts` as unit-length float32 rows."""
        ...

    def encode_spans(self, texts: list[str], spans: Spans) -> tuple[np.ndarray, SpanVectors]:
        """`encode(texts)`, and a vector for each character span of each text (see SpanVectors)."""
        ...


class TorchRuntime:
    """sentence-transformers on PyTorch, as the model was trained."""

    backend: EmbeddingBackend = "torch"

    def __init__(self, path: str) -> None:
        self.st = load_sentence_transformer(path)
        dim = self.st.get_embedding_dimension()
        if dim is None:
            raise ModelError(f"model {path!r} does not report its dimension")
        if self.st.max_seq_length is None:
            raise ModelError(f"model {path!r} does not report its max_seq_length")
        self.dimension = int(dim)
        self.max_tokens = int(self.st.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return len(self.st.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: list[str]) -> np.ndarray:
        out: np.ndarray = self.st.encode(
            texts,
            batch_size=len(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return out

    def encode_spans(self, texts: list[str], spans: Spans) -> tuple[np.ndarray, SpanVectors]:
        """`encode(texts)` and no span vectors (all None): sentence-transformers does not give
        token offsets with its token vectors, so every span is embedded on its own."""
        return self.encode(texts), [[None] * len(row) for row in spans]


class TokenRuntime:
    """A transformer run outside sentence-transformers: tokenising with `tokenizers`, pooling
    and normalising in numpy, around a forward pass a subclass provides (`_forward`: token
    vectors for a padded batch). `meta` is the export's metadata (onnx_export.describe);
    `pad_to_multiple_of` rounds each batch's length up (padding is masked: same vectors)."""

    backend: EmbeddingBackend

    def __init__(
        self,
        meta: dict[str, Any],
        tokenizer_json: str,
        inputs: set[str],
        pad_to_multiple_of: int | None = None,
    ) -> None:
        from tokenizers import Tokenizer

        self.dimension = int(meta["dimension"])
        self.max_tokens = int(meta["max_seq_length"])
        self.pooling: str = meta["pooling"]
        self.lower: bool = bool(meta["do_lower_case"])
        self.inputs = inputs
        self.stats = RunStats()
        self.counter = Tokenizer.from_str(tokenizer_json)
        self.counter.no_truncation()
        self.counter.no_padding()
        self.batcher = Tokenizer.from_str(tokenizer_json)
        self.batcher.enable_truncation(max_length=self.max_tokens)
        self.batcher.enable_padding(
            pad_id=int(meta["pad_id"]),
            pad_token=meta["pad_token"],
            direction=meta["padding_side"],
            pad_to_multiple_of=pad_to_multiple_of,
        )

    def _forward(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """Token vectors (batch × tokens × dimension, float32) for one padded batch."""
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        text = text.lower() if self.lower else text
        return len(self.counter.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: list[str]) -> np.ndarray:
        tokens, mask, _ = self._run([t.lower() if self.lower else t for t in texts])
        started = time.perf_counter()
        vectors = normalise(pool(tokens, mask, self.pooling))
        self.stats.pool_s += time.perf_counter() - started
        return vectors

    def encode_spans(self, texts: list[str], spans: Spans) -> tuple[np.ndarray, SpanVectors]:
        """`encode(texts)`, and each span pooled from the same pass: the mean of the token vectors
        inside it. None for a span no token falls inside, and for all spans when the model does
        not pool by mean (a mean of the span's tokens would not be its vector then)."""
        lowered = [t.lower() if self.lower else t for t in texts]
        tokens, mask, encodings = self._run(lowered)
        started = time.perf_counter()
        vectors = normalise(pool(tokens, mask, self.pooling))
        out: SpanVectors = []
        for i, (text, low, encoding) in enumerate(zip(texts, lowered, encodings, strict=True)):
            # Offsets index the lower-cased text; they hold for the original only when lowering
            # kept its length (it almost always does).
            if self.pooling == "mean" and len(low) == len(text):
                out.append(pool_spans(tokens[i], mask[i], encoding.offsets, spans[i]))
            else:
                out.append([None] * len(spans[i]))
        self.stats.pool_s += time.perf_counter() - started
        return vectors, out

    def _run(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[Encoding]]:
        """One pass of the model: (token vectors, attention mask, the tokenizer's encodings)."""
        started = time.perf_counter()
        encodings = self.batcher.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        ran = time.perf_counter()
        tokens = self._forward(feeds)
        self.stats.tokenise_s += ran - started
        self.stats.session_s += time.perf_counter() - ran
        self.stats.tokens += int(mask.sum())
        self.stats.positions += int(mask.size)
        return tokens, mask, encodings


class OnnxRuntime(TokenRuntime):
    """An exported transformer on onnxruntime (fp32, or int8 weights)."""

    def __init__(self, folder: Path, int8: bool, spin: bool = True) -> None:
        """`spin`: let onnxruntime's worker threads busy-wait for the next run. That suits one
        caller feeding batch after batch (ingest); in a service answering several requests at
        once the spinning threads take the cores the other requests need (README, Performance)."""
        import onnxruntime as ort

        self.backend = "onnx-int8" if int8 else "onnx"
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if not spin:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(folder / (INT8_FILE if int8 else FP32_FILE)),
            options,
            providers=["CPUExecutionProvider"],
        )
        meta = json.loads((folder / META_FILE).read_text())
        tokenizer = (folder / TOKENIZER_FILE).read_text()
        super().__init__(meta, tokenizer, {i.name for i in self.session.get_inputs()})

    def _forward(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        tokens: np.ndarray = self.session.run(None, feeds)[0]
        return tokens


class Bf16Runtime(TokenRuntime):
    """The model's transformer on PyTorch with bfloat16 weights and activations: about twice
    as fast as float32 on CPUs that compute bfloat16 natively (AVX-512 BF16, AMX), vectors
    within cosine 0.9999 of float32's (README, Performance). Tokenising and pooling are
    `TokenRuntime`'s, as on ONNX, so sentence vectors come from the chunk's own pass. A plain
    BERT encoder (the packaged MiniLM) runs on packed tokens, without padding (`PackedBert`);
    other models run transformers' padded forward."""

    backend: EmbeddingBackend = "torch-bf16"

    def __init__(self, path: str) -> None:
        import torch

        from askdocs.index.onnx_export import describe, model_inputs

        st = load_sentence_transformer(path)
        model, meta = describe(st, path)
        module: torch.nn.Module = model  # transformers' typing of `to` hides Module's dtype form
        module.to(dtype=torch.bfloat16)  # in place
        self.model = model
        self.packed = (
            PackedBert(model)
            if PackedBert.supports(model) and meta["padding_side"] == "right"
            else None
        )
        # For the padded forward (models PackedBert does not run): oneDNN keeps work buffers
        # per input shape, and batch lengths in steps of 16 make ~16 shapes instead of ~250
        # (peak RSS of a 500-abstract ingest 1.40 GB -> 1.03 GB, same speed).
        tokenizer = st.tokenizer.backend_tokenizer.to_str()
        super().__init__(meta, tokenizer, set(model_inputs(st)), pad_to_multiple_of=16)

    def _forward(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            if self.packed is not None:
                return self._forward_packed(self.packed, feeds)
            batch = {name: torch.from_numpy(array) for name, array in feeds.items()}
            out = self.model(**batch).last_hidden_state
            tokens: np.ndarray = out.float().numpy()
        return tokens

    def _forward_packed(self, packed: PackedBert, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """The padded batch's real tokens through `packed`, laid back into the padded shape
        (padding rows zero, as the mask leaves them out of every pooling)."""
        real = feeds["attention_mask"].astype(bool)
        ids = feeds["input_ids"]
        types = feeds.get("token_type_ids", np.zeros_like(ids))
        # Right padding: each row's real tokens come first, so a row-major take keeps them
        # in order, sequence after sequence.
        out = packed.forward(ids[real], types[real], real.sum(axis=1).tolist())
        tokens = np.zeros((*ids.shape, packed.hidden), dtype=np.float32)
        tokens[real] = out.float().numpy()
        return tokens
