"""A BERT encoder run on packed tokens: the batch's sequences end to end, with no padding.

A padded batch spends its linear layers on padding and needs an attention mask, which sends
PyTorch's attention down a slower path. Here the linear layers (query, key and value in one,
GELU fused into the up-projection), LayerNorms and residuals see only real tokens, one row each,
and attention runs per group of equal-length sequences with no mask; the batch is split across
threads, one core each. The arithmetic per token is the model's own, so vectors equal the padded
pass's to rounding (README, Performance). Only plain BERT encoders qualify
(`PackedBert.supports`); others keep the padded pass.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

# Each part's rows are rounded up to this (zero rows, never attended to): fewer distinct matrix
# shapes for oneDNN to build kernels and buffers for, at most 63 rows of waste a part.
ROWS_MULTIPLE = 64


class PackedBert:
    """The encoder of a transformers `BertModel`, weights shared with it (not copied)."""

    def __init__(self, model: PreTrainedModel) -> None:
        import torch

        config = model.config
        self.heads = int(config.num_attention_heads)
        self.head_dim = int(config.hidden_size) // self.heads
        self.hidden = int(config.hidden_size)
        bert: Any = model  # transformers types its submodules loosely
        self.embeddings: Any = bert.embeddings
        self.layers: list[dict[str, Any]] = []
        for layer in bert.encoder.layer:
            attention = layer.attention.self
            self.layers.append(
                {
                    # Query, key and value in one matrix: one matmul instead of three.
                    "qkv_w": torch.cat(
                        [attention.query.weight, attention.key.weight, attention.value.weight]
                    ),
                    "qkv_b": torch.cat(
                        [attention.query.bias, attention.key.bias, attention.value.bias]
                    ),
                    "out": layer.attention.output.dense,
                    "norm1": layer.attention.output.LayerNorm,
                    "up": layer.intermediate.dense,
                    "down": layer.output.dense,
                    "norm2": layer.output.LayerNorm,
                }
            )
        self.linear = _linear()
        self._workers: ThreadPoolExecutor | None = None
        self._pool_size = 0

    @staticmethod
    def supports(model: PreTrainedModel) -> bool:
        """Whether `model` is an encoder-only BERT this class runs exactly as transformers does:
        absolute positions, exact GELU, no cross-attention."""
        config = model.config
        return (
            type(model).__name__ == "BertModel"
            and getattr(config, "position_embedding_type", "absolute") == "absolute"
            and config.hidden_act == "gelu"
            and not config.is_decoder
            and not getattr(config, "add_cross_attention", False)
        )

    def forward(self, ids: np.ndarray, types: np.ndarray, lengths: list[int]) -> torch.Tensor:
        """Token vectors (one row per token, in order) for the sequences whose token ids
        (`ids`) and token types (`types`) are laid end to end, `lengths` tokens each.

        With n intra-op threads, the sequences are split into n parts of about equal tokens,
        each run on a thread of its own with one intra-op thread: the matmuls are small and
        attention runs per sequence, which keeps one core busier than it keeps two (README,
        Performance). The caller's thread setting is left as it was."""
        import torch

        parts = _parts(lengths, torch.get_num_threads())
        if len(parts) == 1:
            return self._forward(ids, types, lengths)
        starts = np.concatenate([[0], np.cumsum(lengths)])
        pool = self._pool(len(parts))
        futures = [
            pool.submit(
                self._forward,
                ids[starts[first] : starts[last]],
                types[starts[first] : starts[last]],
                lengths[first:last],
            )
            for first, last in parts
        ]
        return torch.cat([f.result() for f in futures])

    def _pool(self, workers: int) -> ThreadPoolExecutor:
        """At least `workers` threads that each run PyTorch on one intra-op thread."""
        if self._workers is None or self._pool_size < workers:
            import torch

            self._workers = ThreadPoolExecutor(
                workers, "packed-bert", initializer=torch.set_num_threads, initargs=(1,)
            )
            self._pool_size = workers
        return self._workers

    def _forward(self, ids: np.ndarray, types: np.ndarray, lengths: list[int]) -> torch.Tensor:
        """`forward` on the calling thread."""
        import torch

        total = int(ids.shape[0])
        rows = -(-total // ROWS_MULTIPLE) * ROWS_MULTIPLE

        def padded(values: np.ndarray) -> torch.Tensor:
            out = np.zeros(rows, dtype=np.int64)
            out[:total] = values
            return torch.from_numpy(out)

        positions = np.concatenate([np.arange(n) for n in lengths])
        e = self.embeddings
        h = e.LayerNorm(
            e.word_embeddings(padded(ids))
            + e.position_embeddings(padded(positions))
            + e.token_type_embeddings(padded(types))
        )
        groups = _equal_runs(lengths)
        for w in self.layers:
            qkv = self.linear(h, w["qkv_w"], w["qkv_b"], False)
            context = self._attention(qkv, groups, total)
            h = w["norm1"](self.linear(context, w["out"].weight, w["out"].bias, False) + h)
            up = self.linear(h, w["up"].weight, w["up"].bias, True)
            h = w["norm2"](self.linear(up, w["down"].weight, w["down"].bias, False) + h)
        out: torch.Tensor = h[:total]
        return out

    def _attention(
        self, qkv: torch.Tensor, groups: list[tuple[int, int, int]], total: int
    ) -> torch.Tensor:
        """Self-attention of each sequence over its own tokens. `groups`: (first row, count,
        length) of consecutive sequences of one length, attended to as one batch; `total`:
        the real rows (the rest of `qkv` is padding)."""
        from torch.nn.functional import scaled_dot_product_attention

        rows, heads, dim = qkv.shape[0], self.heads, self.head_dim
        context = qkv.new_empty(rows, heads, dim)
        context[total:] = 0  # the padding rows: never read by a real token, kept finite
        for start, count, length in groups:
            end = start + count * length
            # rows → (q|k|v, sequence, head, position, dim)
            block = qkv[start:end].view(count, length, 3, heads, dim).permute(2, 0, 3, 1, 4)
            out = scaled_dot_product_attention(block[0], block[1], block[2])
            context[start:end].view(count, length, heads, dim).copy_(out.transpose(1, 2))
        return context.view(rows, heads * dim)


def _parts(lengths: list[int], count: int) -> list[tuple[int, int]]:
    """[first, last) ranges of consecutive sequences: `count` parts of about equal tokens
    (fewer when there are fewer sequences)."""
    total = sum(lengths)
    parts: list[tuple[int, int]] = []
    first, tokens = 0, 0
    for i, length in enumerate(lengths):
        tokens += length
        if len(parts) < count - 1 and tokens >= total * (len(parts) + 1) / count:
            parts.append((first, i + 1))
            first = i + 1
    if first < len(lengths):
        parts.append((first, len(lengths)))
    return parts


def _equal_runs(lengths: list[int]) -> list[tuple[int, int, int]]:
    """(first row, count, length) for each run of consecutive equal `lengths`."""
    runs: list[tuple[int, int, int]] = []
    row = 0
    for length in lengths:
        if runs and runs[-1][2] == length:
            start, count, _ = runs[-1]
            runs[-1] = (start, count + 1, length)
        else:
            runs.append((row, 1, length))
        row += length
    return runs


def _linear() -> Any:
    """`linear(x, weight, bias, gelu)`: oneDNN's linear with GELU fused into it where PyTorch
    has it (what its own compiler emits on CPU), else `F.linear` then `F.gelu`."""
    import torch
    from torch.nn.functional import gelu, linear

    fused = getattr(torch.ops.mkldnn, "_linear_pointwise", None)
    if fused is None or not torch.backends.mkldnn.is_available():  # type: ignore[no-untyped-call]

        def plain(x: Any, weight: Any, bias: Any, with_gelu: bool) -> Any:
            out = linear(x, weight, bias)
            return gelu(out) if with_gelu else out

        return plain

    def onednn(x: Any, weight: Any, bias: Any, with_gelu: bool) -> Any:
        if with_gelu:
            return fused(x, weight, bias, "gelu", [], "none")
        return fused(x, weight, bias, "none", [], "")

    return onednn
