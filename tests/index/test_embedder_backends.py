"""The ONNX backends against torch, with the real packaged model, exported once into the test
cache folder (see conftest); and the fallback to torch when the export fails."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from askdocs.errors import ModelError
from askdocs.index.embedder import Embedder, resolve_model
from askdocs.index.onnx_export import (
    FP32_FILE,
    INT8_FILE,
    META_FILE,
    TOKENIZER_FILE,
    OnnxExporter,
    export_key,
)
from askdocs.settings import PACKAGED_MODEL, Settings

SAMPLES = [
    "hello world",
    "x",
    "What is the role of p53 in apoptosis?",
    "Vitamin D supplementation does not reduce the risk of fractures in older adults, according "
    "to a large randomised trial published in 2019.",
    "Ünïcödé têxt — with dashes, “curly quotes”, 数字 and emoji 🙂.",
    "During its first phase (2017- 2023), Spotlight Initiative helped cohere the UN system to "
    "implement 34 programmes across five regions.",
    "The quick brown fox jumps over the lazy dog. " * 40,  # longer than the model reads
]

# Cosine to torch's vector, per text. fp32 ONNX is the same computation (measured: 1.0000);
# int8 weights move vectors by quantisation noise (measured on these texts: 0.975-0.995).
FP32_MIN_COSINE = 0.999
INT8_MIN_COSINE = 0.95
INT8_MEAN_COSINE = 0.98


@pytest.fixture(scope="session")
def torch_embedder() -> Embedder:
    return Embedder(backend="torch")


@pytest.fixture(scope="session")
def onnx_embedder(onnx_cache: Path) -> Embedder:
    return Embedder(backend="onnx", cache_dir=onnx_cache)


@pytest.fixture(scope="session")
def int8_embedder(onnx_cache: Path, onnx_embedder: Embedder) -> Embedder:
    onnx_embedder.encode(["export the fp32 model first"])
    return Embedder(backend="onnx-int8", cache_dir=onnx_cache)


@pytest.fixture(scope="session")
def export_folder(onnx_cache: Path, onnx_embedder: Embedder) -> Path:
    """The session's export of the packaged model (fp32)."""
    onnx_embedder.encode(["export"])
    return onnx_cache / export_key(resolve_model(PACKAGED_MODEL))


class CopyingExporter(OnnxExporter):
    """Exports by copying the session's export (the real export takes ~7 s); counts its work."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.calls: list[str] = []

    def export(self, path: str, folder: Path) -> None:
        self.calls.append(f"export to {folder}")
        for name in (META_FILE, FP32_FILE, TOKENIZER_FILE):
            shutil.copy2(self.source / name, folder / name)

    def quantize(self, source: Path, target: Path) -> None:
        self.calls.append(f"quantize to {target}")
        super().quantize(source, target)


class BrokenExporter(CopyingExporter):
    """Fails at one step ("export" or "quantize"), as a tracer or quantiser error would."""

    def __init__(self, source: Path, failing: str) -> None:
        super().__init__(source)
        self.failing = failing

    def export(self, path: str, folder: Path) -> None:
        if self.failing == "export":
            raise RuntimeError("the export step broke")
        super().export(path, folder)

    def quantize(self, source: Path, target: Path) -> None:
        if self.failing == "quantize":
            raise RuntimeError("the quantize step broke")
        super().quantize(source, target)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    result: np.ndarray = (a * b).sum(axis=1)
    return result


def test_fp32_onnx_vectors_equal_torch(torch_embedder: Embedder, onnx_embedder: Embedder) -> None:
    expected = torch_embedder.encode(SAMPLES)
    got = onnx_embedder.encode(SAMPLES)
    assert got.dtype == np.float32
    assert got.shape == expected.shape == (len(SAMPLES), 384)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert _cosines(got, expected).min() >= FP32_MIN_COSINE
    # Padding in a batch must not change a vector: alone or among longer texts, the same.
    alone = onnx_embedder.encode_query(SAMPLES[2])
    assert float(alone @ got[2]) >= 0.99999


def test_int8_vectors_close_to_torch(torch_embedder: Embedder, int8_embedder: Embedder) -> None:
    expected = torch_embedder.encode(SAMPLES)
    cosines = _cosines(int8_embedder.encode(SAMPLES), expected)
    assert cosines.min() >= INT8_MIN_COSINE
    assert cosines.mean() >= INT8_MEAN_COSINE


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_nearest_passage_same_as_torch(
    backend: str, torch_embedder: Embedder, onnx_embedder: Embedder, int8_embedder: Embedder
) -> None:
    other = onnx_embedder if backend == "onnx" else int8_embedder
    queries = ["tumour suppressor and cell death", "bone fractures in the elderly", "UN programmes"]
    for model in (torch_embedder, other):
        scores = model.encode(queries) @ model.encode(SAMPLES).T
        assert list(scores.argmax(axis=1)) == [2, 3, 5]


def test_token_counts_and_limits_equal_across_backends(
    torch_embedder: Embedder, onnx_embedder: Embedder, int8_embedder: Embedder
) -> None:
    for model in (onnx_embedder, int8_embedder):
        assert model.dimension == torch_embedder.dimension == 384
        assert model.max_tokens == torch_embedder.max_tokens == 256
        for text in [*SAMPLES, "", "   ", "co-operation\tand\nnew lines"]:
            assert model.count_tokens(text) == torch_embedder.count_tokens(text), text
            assert model.fits(text) == torch_embedder.fits(text), text
    assert not onnx_embedder.fits(SAMPLES[-1])


def test_backend_in_use_is_the_one_asked_for(
    torch_embedder: Embedder, onnx_embedder: Embedder, int8_embedder: Embedder
) -> None:
    for model in (torch_embedder, onnx_embedder, int8_embedder):
        assert model.backend_in_use == model.backend


def test_export_is_cached_and_reused(
    onnx_cache: Path, export_folder: Path, int8_embedder: Embedder
) -> None:
    int8_embedder.encode(["load"])
    files = {p.name: p.stat().st_mtime_ns for p in export_folder.iterdir()}
    assert {FP32_FILE, INT8_FILE, TOKENIZER_FILE, META_FILE} <= set(files)
    exporter = CopyingExporter(export_folder)
    for backend in ("onnx", "onnx-int8"):
        again = Embedder(backend=backend, cache_dir=onnx_cache, exporter=exporter)
        assert again.encode(["reuse"]).shape == (1, 384)
        assert again.backend_in_use == backend
    assert exporter.calls == []
    assert {p.name: p.stat().st_mtime_ns for p in export_folder.iterdir()} == files


def test_unwritable_cache_exports_to_a_temporary_folder(
    tmp_path: Path,
    export_folder: Path,
    onnx_embedder: Embedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    exporter = CopyingExporter(export_folder)
    model = Embedder(backend="onnx", cache_dir=blocker / "cache", exporter=exporter)
    expected = onnx_embedder.encode(SAMPLES[:3])
    assert _cosines(model.encode(SAMPLES[:3]), expected).min() >= 0.99999
    assert model.backend_in_use == "onnx"
    assert "cannot write the ONNX cache" in caplog.text
    # The temporary folder is gone once the model has read it.
    (export,) = exporter.calls
    assert not Path(export.removeprefix("export to ")).exists()


@pytest.mark.parametrize(("failing", "backend"), [("export", "onnx"), ("quantize", "onnx-int8")])
def test_a_failed_export_falls_back_to_torch_and_says_so(
    failing: str,
    backend: str,
    tmp_path: Path,
    export_folder: Path,
    torch_embedder: Embedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = Embedder(
        backend=backend,  # type: ignore[arg-type]
        cache_dir=tmp_path / "cache",
        exporter=BrokenExporter(export_folder, failing),
    )
    with caplog.at_level(logging.WARNING, logger="askdocs.embedder"):
        vectors = model.encode(SAMPLES)
    assert model.backend_in_use == "torch" and model.backend == backend
    np.testing.assert_allclose(vectors, torch_embedder.encode(SAMPLES), atol=1e-6)
    (warning,) = [r for r in caplog.records if "using torch instead" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert f"the {failing} step broke" in warning.getMessage()


def test_a_model_that_is_no_folder_falls_back_to_torch_which_names_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = Embedder(str(tmp_path / "missing-model"), cache_dir=tmp_path / "cache")
    with pytest.raises(ModelError, match="no such folder"):
        model.encode(["x"])
    assert "is not a local folder" in caplog.text and "using torch instead" in caplog.text


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match=r"unknown embedding backend 'tensorflow'.*torch, onnx"):
        Embedder(backend="tensorflow")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="embedding_backend"):
        Settings(embedding_backend="tensorflow")  # type: ignore[arg-type]


def test_backend_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Embedder().backend == Settings().embedding_backend
    monkeypatch.setenv("ASKDOCS_EMBEDDING_BACKEND", "torch")
    assert Settings().embedding_backend == "torch"


def test_a_serving_embedder_does_not_spin_and_embeds_the_same(
    onnx_cache: Path, onnx_embedder: Embedder
) -> None:
    """The service's embedder (`serving=True`) keeps onnxruntime's threads from busy-waiting
    between runs, and that changes nothing in the vectors."""
    onnx_embedder.encode(["export the fp32 model first"])
    concurrent = Embedder(backend="onnx", cache_dir=onnx_cache, serving=True)
    texts = ["How are passwords stored?", "They are hashed with Argon2id before storage."]
    assert np.array_equal(concurrent.encode(texts), onnx_embedder.encode(texts))
    spinning = "session.intra_op.allow_spinning"
    quiet = concurrent.model.session.get_session_options()  # type: ignore[attr-defined]
    assert quiet.get_session_config_entry(spinning) == "0"
    busy = onnx_embedder.model.session.get_session_options()  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="does not have configuration"):
        busy.get_session_config_entry(spinning)  # onnxruntime's default: spinning


# bfloat16 keeps 8 bits of mantissa with float32 accumulation: measured 0.99991 at worst on
# SciFact chunks, against int8's 0.987.
BF16_MIN_COSINE = 0.9995


@pytest.fixture(scope="session")
def documents_in_bf16(onnx_cache: Path, onnx_embedder: Embedder) -> Embedder:
    """Documents in bfloat16, questions on fp32 ONNX: what ingest runs on a bf16 CPU."""
    onnx_embedder.encode(["export the fp32 model first"])
    return Embedder(backend="onnx", cache_dir=onnx_cache, document_backend="torch-bf16")


def test_bf16_documents_close_to_fp32_and_questions_unchanged(
    documents_in_bf16: Embedder, onnx_embedder: Embedder, torch_embedder: Embedder
) -> None:
    assert documents_in_bf16.backend_in_use == "torch-bf16"
    cosines = _cosines(documents_in_bf16.encode(SAMPLES), torch_embedder.encode(SAMPLES))
    assert cosines.min() >= BF16_MIN_COSINE
    question = "What is the role of p53 in apoptosis?"
    onnx_embedder.forget_queries()
    assert np.array_equal(
        documents_in_bf16.encode_query(question), onnx_embedder.encode_query(question)
    )
    assert documents_in_bf16.query_model is not documents_in_bf16.model
    queries = ["tumour suppressor and cell death", "bone fractures in the elderly", "UN programmes"]
    scores = np.stack([documents_in_bf16.encode_query(q) for q in queries]) @ (
        documents_in_bf16.encode(SAMPLES).T
    )
    assert list(scores.argmax(axis=1)) == [2, 3, 5]


def test_bf16_pools_sentences_from_the_chunks_pass_and_counts_tokens_alike(
    documents_in_bf16: Embedder, onnx_embedder: Embedder
) -> None:
    text = SAMPLES[3] + " " + SAMPLES[5]
    spans = [[(0, len(SAMPLES[3])), (len(SAMPLES[3]) + 1, len(text))]]
    bf16_chunk, bf16_sentences = documents_in_bf16.encode_with_spans([text], spans)
    fp32_chunk, fp32_sentences = onnx_embedder.encode_with_spans([text], spans)
    assert bf16_sentences[0].shape == (2, 384)
    assert _cosines(bf16_sentences[0], fp32_sentences[0]).min() >= BF16_MIN_COSINE
    assert _cosines(bf16_chunk, fp32_chunk).min() >= BF16_MIN_COSINE
    for sample in [*SAMPLES, ""]:
        assert documents_in_bf16.count_tokens(sample) == onnx_embedder.count_tokens(sample)
    assert documents_in_bf16.max_tokens == onnx_embedder.max_tokens == 256


def test_documents_backend_auto_follows_the_cpu_and_int8(monkeypatch: pytest.MonkeyPatch) -> None:
    from askdocs.index import embedder as module

    monkeypatch.setattr(module, "native_bf16", lambda: True)
    assert module.document_backend(Settings()) == "torch-bf16"
    assert module.document_backend(Settings(embedding_backend="onnx-int8")) == "onnx-int8"
    explicit = Settings(document_embedding_backend="onnx")
    assert module.document_backend(explicit) == "onnx"
    embedder = Embedder.from_settings(Settings())
    assert (embedder.backend, embedder.document_backend) == ("onnx", "torch-bf16")
    serving = Embedder.from_settings(Settings(), serving=True)
    assert serving.document_backend == serving.backend == "onnx"  # uploads: one runtime
    monkeypatch.setattr(module, "native_bf16", lambda: False)
    assert module.document_backend(Settings()) == "onnx"
    monkeypatch.setenv("ASKDOCS_DOCUMENT_EMBEDDING_BACKEND", "torch-bf16")
    assert module.document_backend(Settings()) == "torch-bf16"
