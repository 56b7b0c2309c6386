"""Pooling token vectors into text vectors, as sentence-transformers' Pooling and Normalize do,
in numpy; and pooling the tokens of a character span (a sentence) from the same pass."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

POOLING_MODES = ("mean", "cls", "max")


def normalise(rows: np.ndarray) -> np.ndarray:
    """`rows` scaled to unit length, as float32."""
    norms = np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    out: np.ndarray = (rows / norms).astype(np.float32)
    return out


def pool(tokens: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """sentence-transformers' Pooling for one mode, over (batch, sequence, dim) arrays."""
    weights = mask.astype(tokens.dtype)
    if mode == "mean":
        summed = np.einsum("bsd,bs->bd", tokens, weights)
        counts = np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
        pooled: np.ndarray = summed / counts
        return pooled
    if mode == "cls":
        first = mask.argmax(axis=1)
        cls: np.ndarray = tokens[np.arange(tokens.shape[0]), first]
        return cls
    masked = np.where(mask[:, :, None] > 0, tokens, np.float32(-1e9))
    largest: np.ndarray = masked.max(axis=1)
    return largest


def pool_spans(
    tokens: np.ndarray,
    mask: np.ndarray,
    offsets: Sequence[tuple[int, int]],
    spans: Sequence[tuple[int, int]],
) -> list[np.ndarray | None]:
    """The unit-length mean of one text's token vectors (sequence, dim) inside each character
    span; None for a span no token falls inside. `offsets` are the tokens' character offsets."""
    bounds = np.array(offsets, dtype=np.int64).reshape(-1, 2)
    # Padding and special tokens ([CLS], [SEP]) cover no characters.
    real = (mask > 0) & (bounds[:, 1] > bounds[:, 0])
    out: list[np.ndarray | None] = []
    for start, end in spans:
        inside = real & (bounds[:, 0] >= start) & (bounds[:, 1] <= end)
        if inside.any():
            out.append(normalise(tokens[inside].mean(axis=0, keepdims=True))[0])
        else:
            out.append(None)
    return out
