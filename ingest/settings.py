"""The one typed settings object for GuideQA.

It lives in the first code stage (``ingest``) so that every later stage can import it without
the flow ever pointing backwards. Every field can be overridden with a ``GUIDEQA_*``
environment variable (``GUIDEQA_HOME``, ``GUIDEQA_ENGINE``, ...). No secrets belong here.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
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
    embedder: str = Field(default="minilm", description="Embedding backend: minilm | hashing.")
    vector_store: str = Field(default="chroma", description="Vector store backend: chroma | memory.")
    engine: str = Field(default="offline", description="Answer engine: offline.")
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
    # --- issue 4: editor lifecycle, document formats, crash safety ---
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
