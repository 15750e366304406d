"""The one typed settings object for GuideQA.

It lives in the first code stage (``ingest``) so that every later stage can import it without
the flow ever pointing backwards. Every field can be overridden with a ``GUIDEQA_*``
environment variable (``GUIDEQA_HOME``, ``GUIDEQA_ENGINE``, ...). The one secret, the LLM API key,
is a ``SecretStr`` read from the environment: never printed, never written to disk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Models must never be fetched from a hub at run time: every model ships inside a package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class Settings(BaseSettings):
    """Configuration of one GuideQA installation (data directory, backends, retrieval sizes)."""

    model_config = SettingsConfigDict(env_prefix="GUIDEQA_", extra="ignore")

    home: Path = Field(
        default=Path(".guideqa"),
        description="Data directory holding Chroma, the BM25 index and the SQLite manifest.",
    )
    embedder: str = Field(
        default="minilm",
        description="Embedding backend: minilm (fast start) | minilm-st (sentence-transformers) | hashing (double).",
    )
    vector_store: str = Field(default="chroma", description="Vector store backend: chroma | memory.")
    engine: str = Field(default="offline", description="Answer engine: offline | openai | llamacpp.")
    collection: str = Field(default="guideqa_chunks", description="Chroma collection name.")
    dense_k: int = Field(default=40, ge=1, description="Chunks taken from the dense retriever.")
    bm25_k: int = Field(default=40, ge=1, description="Chunks taken from BM25.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")
    top_k: int = Field(default=12, ge=1, description="Fused chunks handed to the answer engine.")
    top_docs: int = Field(default=5, ge=1, description="Documents the engine reads evidence from.")
    chunk_tokens: int = Field(default=200, ge=32, description="Narrative chunk size (tokens).")
    chunk_overlap: int = Field(default=20, ge=0, description="Narrative chunk overlap (tokens).")
    max_question_chars: int = Field(default=2000, ge=10, description="Longest accepted question.")
    embed_batch_size: int = Field(default=16, ge=1, description="Small batches pad less: faster on CPU.")
    default_status: str = Field(
        default="submitted",
        description="Status given to documents whose metadata has none (safe: not shown).",
    )
    # --- chat UI ---
    starter_corpus: Path = Field(
        default=Path(__file__).resolve().parents[1] / "corpus",
        description="Folder the chat indexes on its first run, when the data directory holds no documents.",
    )
    # --- scaling out ---
    chroma_url: str | None = Field(
        default=None,
        description="Chroma server (http://host:port) shared by several GuideQA processes; "
        "unset: an embedded PersistentClient in <home>/chroma.",
    )
    chroma_tenant: str = Field(default="default_tenant", description="Chroma tenant on the server.")
    chroma_database: str = Field(default="default_database", description="Chroma database on the server.")
    # --- LLM engines ---
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint of the openai engine, e.g. http://127.0.0.1:8000/v1 (vLLM, Ollama).",
    )
    llm_model: str | None = Field(default=None, description="Model name the endpoint serves (openai engine).")
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key for the endpoint; local servers accept any value. Never logged."
    )
    llm_timeout_s: float = Field(default=120.0, gt=0, description="Seconds one LLM request may take.")
    llm_http_retries: int = Field(default=2, ge=0, description="Retries of a failed HTTP request (connection, 5xx).")
    llm_retries: int = Field(
        default=2, ge=0, description="Times an answer that fails validation goes back to the model before fallback."
    )
    llm_max_tokens: int = Field(default=700, ge=64, description="Most tokens the model may generate per answer.")
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature (0: repeatable).")
    llm_structured_output: Literal["auto", "json_schema", "json_object_schema", "json_object"] = Field(
        default="auto",
        description="How the answer schema is enforced: json_schema (OpenAI/vLLM/Ollama), json_object_schema "
        "(llama-cpp-python server), json_object (JSON mode, validated after); auto tries them in that order.",
    )
    llm_max_sources: int = Field(default=8, ge=1, le=30, description="Numbered sources shown to the model.")
    llm_source_chars: int = Field(default=1200, ge=200, description="Longest source text shown to the model.")
    llamacpp_model_path: Path | None = Field(default=None, description="GGUF file for the llamacpp engine.")
    llamacpp_n_ctx: int = Field(default=4096, ge=512, description="Context window of the llamacpp engine.")
    llamacpp_threads: int | None = Field(default=None, ge=1, description="CPU threads (default: llama.cpp's).")
    # --- editor lifecycle, document formats, crash safety ---
    max_document_mb: float = Field(default=50, gt=0, description="Largest document file accepted (MB).")
    lock_timeout_s: float = Field(
        default=30, ge=0, description="How long a write waits for another ingest or editor action (0: fail at once)."
    )
    users_file: Path | None = Field(
        default=None, description="Users and bcrypt password hashes (JSON); default <home>/users.json."
    )

    @property
    def max_document_bytes(self) -> int:
        return int(self.max_document_mb * 1_000_000)

    @property
    def users_path(self) -> Path:
        return self.users_file or self.home / "users.json"

    @property
    def lock_path(self) -> Path:
        return self.home / "write.lock"

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def bm25_dir(self) -> Path:
        return self.home / "bm25"

    @property
    def manifest_path(self) -> Path:
        return self.home / "manifest.sqlite"


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides winning (used by the CLI and tests)."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
