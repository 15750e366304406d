"""The one typed settings object for GuideQA.

It lives in ``core`` so that every folder above it can import it. Every field can be overridden
with a ``GUIDEQA_*`` environment variable (``GUIDEQA_HOME``, ``GUIDEQA_ENGINE``, ...); the fields
are flat, so each variable keeps its name, and grouped below by topic. The one secret, the LLM
API key, is a ``SecretStr`` read from the environment: never printed, never written to disk.

Importing this module changes nothing in the process: the offline defaults for the model
libraries (:func:`apply_offline_defaults`) are applied by the entry points (the CLI, the chat
app, the tests, the benchmarks), before any of those libraries is imported.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Models must never be fetched from a hub at run time: every model ships inside a package.
OFFLINE_DEFAULTS: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


def apply_offline_defaults() -> None:
    """Set the model libraries' offline defaults in ``os.environ`` where the environment does not say.

    Called once by each process entry point, before the model libraries are imported (they read
    these variables at import time); a variable already set is left as it is.
    """
    for name, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(name, value)


class Settings(BaseSettings):
    """Configuration of one GuideQA installation (data directory, backends, retrieval sizes)."""

    model_config = SettingsConfigDict(env_prefix="GUIDEQA_", extra="ignore")

    # --- data directory and storage backends ---
    home: Path = Field(
        default=Path(".guideqa"),
        description="Data directory holding Chroma and the SQLite manifest (with its keyword index).",
    )
    embedder: str = Field(
        default="minilm",
        description="Embedding backend: minilm (fast start) | minilm-st (sentence-transformers) | hashing (double).",
    )
    vector_store: str = Field(default="chroma", description="Vector store backend: chroma | memory.")
    collection: str = Field(default="guideqa_chunks", description="Chroma collection name.")
    # --- scaling out: a shared Chroma server ---
    chroma_url: str | None = Field(
        default=None,
        description="Chroma server (http://host:port) shared by several GuideQA processes; "
        "unset: an embedded PersistentClient in <home>/chroma.",
    )
    chroma_tenant: str = Field(default="default_tenant", description="Chroma tenant on the server.")
    chroma_database: str = Field(default="default_database", description="Chroma database on the server.")
    # --- ingest: chunking, embedding, document files ---
    chunk_tokens: int = Field(default=200, ge=32, description="Narrative chunk size (tokens).")
    chunk_overlap: int = Field(default=20, ge=0, description="Narrative chunk overlap (tokens).")
    embed_batch_size: int = Field(default=16, ge=1, description="Small batches pad less: faster on CPU.")
    default_status: str = Field(
        default="submitted",
        description="Status given to documents whose metadata has none (safe: not shown).",
    )
    max_document_mb: float = Field(default=50, gt=0, description="Largest document file accepted (MB).")
    # --- ingest: limits on hostile documents (each refusal names the file and the variable) ---
    max_front_matter_kb: float = Field(default=64, gt=0, description="Largest YAML front matter block (KB).")
    max_yaml_depth: int = Field(default=12, ge=2, description="Deepest nesting of lists/mappings in front matter.")
    max_yaml_nodes: int = Field(
        default=5000, ge=10, description="Most values (scalars, lists, mappings) in front matter."
    )
    max_meta_field_chars: int = Field(
        default=4000, ge=100, description="Longest metadata value (title, publisher, a source's URL...), characters."
    )
    max_meta_items: int = Field(default=1000, ge=10, description="Most items in one metadata list (codes, topics).")
    max_uncompressed_mb: float = Field(
        default=200, gt=0, description="Most bytes a DOCX may unpack to, or a PDF's page streams decode to (MB)."
    )
    max_zip_entries: int = Field(default=2000, ge=10, description="Most files inside a DOCX (zip) archive.")
    max_zip_ratio: float = Field(
        default=200, gt=1, description="Largest expansion ratio of one DOCX entry over 1 MB (uncompressed/compressed)."
    )
    max_html_depth: int = Field(default=200, ge=10, description="Deepest element nesting in HTML (also in Markdown).")
    max_pdf_pages: int = Field(default=3000, ge=1, description="Most pages in a PDF.")
    # --- retrieval ---
    dense_k: int = Field(default=40, ge=1, description="Chunks taken from the dense retriever.")
    bm25_k: int = Field(default=40, ge=1, description="Chunks taken from BM25.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")
    top_k: int = Field(default=12, ge=1, description="Fused chunks handed to the answer engine.")
    top_docs: int = Field(default=5, ge=1, description="Documents the engine reads evidence from.")
    # --- answering ---
    engine: str = Field(default="offline", description="Answer engine: offline | openai | llamacpp.")
    max_question_chars: int = Field(default=2000, ge=10, description="Longest accepted question.")
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
    # --- editors: accounts and the one-writer lock ---
    # The users file is always <home>/users.json: a variable that could point a data directory at
    # another list of editors would let anyone define their own (GUIDEQA_USERS_FILE is gone).
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed log-ins in a row (per user name, per session) before a lockout."
    )
    login_lockout_s: float = Field(default=300, ge=0, description="How long a locked user name or session waits (s).")
    lock_timeout_s: float = Field(
        default=30, ge=0, description="How long a write waits for another ingest or editor action (0: fail at once)."
    )
    # --- HTTP API (`guideqa serve`) ---
    tokens_file: Path | None = Field(
        default=None, description="API bearer tokens as SHA-256 hashes (JSON, mode 0600); default <home>/tokens.json."
    )
    api_max_body_kb: int = Field(
        default=256, ge=1, description="Largest request body the API accepts (KB); larger ones get 413."
    )
    api_max_upload_mb: float = Field(
        default=10, gt=0, description="Largest body of POST /v1/documents (an uploaded document, base64), in MB."
    )
    api_rate_per_minute: int = Field(
        default=120, ge=1, description="Requests per minute each token may make (per server process); then 429."
    )
    api_rate_burst: int = Field(
        default=30, ge=1, description="Requests a token may make at once before the rate applies."
    )
    api_cors_origins: list[str] = Field(
        default_factory=list,
        description='Browser origins allowed by CORS (JSON list, e.g. ["https://ehr.example"]); empty: CORS off.',
    )
    # --- chat UI ---
    starter_corpus: Path = Field(
        default=Path(__file__).resolve().parents[1] / "corpus",
        description="Folder the chat indexes on its first run, when the data directory holds no documents.",
    )

    # --- paths derived from the data directory ---
    @property
    def max_document_bytes(self) -> int:
        return int(self.max_document_mb * 1_000_000)

    @property
    def users_path(self) -> Path:
        return self.home / "users.json"

    @property
    def tokens_path(self) -> Path:
        return self.tokens_file or self.home / "tokens.json"

    @property
    def lock_path(self) -> Path:
        return self.home / "write.lock"

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def manifest_path(self) -> Path:
        return self.home / "manifest.sqlite"


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides winning (used by the CLI and tests)."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
