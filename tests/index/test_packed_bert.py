"""The packed BERT pass against transformers' padded one, with the real packaged model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

from askdocs.index.embedder import resolve_model
from askdocs.index.model_source import load_sentence_transformer
from askdocs.index.onnx_export import describe
from askdocs.index.packed_bert import PackedBert, _equal_runs, _parts
from askdocs.index.runtimes import Bf16Runtime
from askdocs.settings import PACKAGED_MODEL

TEXTS = [
    "What is the role of p53 in apoptosis?",
    "hello world",
    "hello there",  # as many tokens as the one before: attended to as one group
    "x",
    "Vitamin D supplementation does not reduce the risk of fractures in older adults.",
    "The quick brown fox jumps over the lazy dog. " * 40,  # cut at the model's 256 tokens
]


@pytest.fixture(scope="module")
def bert() -> Iterator[tuple[Any, Any]]:
    """The packaged model's transformer in float32, and its tokenizer."""
    st = load_sentence_transformer(resolve_model(PACKAGED_MODEL))
    model, _ = describe(st, resolve_model(PACKAGED_MODEL))
    yield model, st.tokenizer


@pytest.fixture
def threads() -> Iterator[None]:
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("intra_op_threads", [1, 2])
def test_packed_pass_equals_the_padded_pass(
    bert: tuple[Any, Any], threads: None, intra_op_threads: int
) -> None:
    model, tokenizer = bert
    torch.set_num_threads(intra_op_threads)
    batch = tokenizer(TEXTS, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.inference_mode():
        padded = model(**batch).last_hidden_state.numpy()
        real = batch["attention_mask"].numpy().astype(bool)
        ids = batch["input_ids"].numpy()
        lengths = real.sum(axis=1).tolist()
        packed = PackedBert(model).forward(ids[real], np.zeros_like(ids)[real], lengths)
    assert lengths[-1] == 256 and lengths[1] == lengths[2]
    assert packed.shape == (sum(lengths), 384)
    # Same float32 arithmetic in another order: equal to rounding.
    assert np.abs(packed.numpy() - padded[real]).max() < 1e-4
    assert torch.get_num_threads() == intra_op_threads  # the worker threads' setting stays theirs


def test_parts_split_tokens_evenly_and_keep_sequences_whole() -> None:
    assert _parts([5, 5, 5, 5], 2) == [(0, 2), (2, 4)]
    assert _parts([5, 5, 5, 5], 1) == [(0, 4)]
    assert _parts([1, 1, 100], 2) == [(0, 3)]  # no split leaves the long one apart: one part
    assert _parts([3], 4) == [(0, 1)]
    assert _equal_runs([2, 2, 3, 3, 3, 7]) == [(0, 2, 2), (4, 3, 3), (13, 1, 7)]


def test_only_plain_bert_encoders_are_packed(bert: tuple[Any, Any]) -> None:
    from transformers import BertConfig, BertModel, DistilBertConfig, DistilBertModel

    def tiny(**changes: str) -> BertModel:
        config = BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2)
        for name, value in changes.items():
            setattr(config, name, value)
        return BertModel(config)

    assert PackedBert.supports(bert[0])
    assert PackedBert.supports(tiny())
    assert not PackedBert.supports(tiny(hidden_act="relu"))
    assert not PackedBert.supports(tiny(position_embedding_type="relative_key"))
    assert not PackedBert.supports(DistilBertModel(DistilBertConfig(dim=32, n_layers=1, n_heads=2)))


def test_bf16_runtime_packs_and_matches_its_padded_pass() -> None:
    runtime = Bf16Runtime(resolve_model(PACKAGED_MODEL))
    assert runtime.packed is not None
    packed = runtime.encode(TEXTS)
    runtime.packed = None
    padded = runtime.encode(TEXTS)
    assert packed.shape == padded.shape == (len(TEXTS), 384)
    assert (packed * padded).sum(axis=1).min() > 0.9999
