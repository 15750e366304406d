"""The record types every folder shares: documents and their status, chunks, table rows, evidence, revisions.

Plain data only: ``ingest`` produces these records, ``store`` keeps them, ``assistant`` and
``editorial`` read them. Nothing here reads a file, a database or a model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

# Wanted for a citation but not worth refusing a document over: a reference then says "n.d."
RECOMMENDED_FIELDS = ("year", "source_url")


class DocumentError(ValueError):
    """A document cannot be ingested; the message names the file and, where known, the field."""

    def __init__(self, path: Path | str, message: str, field: str | None = None) -> None:
        self.path = str(path)
        self.field = field
        where = f"{self.path}: field '{field}': " if field else f"{self.path}: "
        super().__init__(where + message)


# ------------------------------------------------------------------ documents
class Status(StrEnum):
    """Editorial lifecycle; only ``approved`` documents answer physicians."""

    submitted = "submitted"
    under_review = "under_review"
    approved = "approved"
    retired = "retired"
    rejected = "rejected"  # back to the author with a note; a new revision or a resubmission follows


class Codes(BaseModel):
    """Billing and diagnosis codes a document applies to."""

    cpt: list[str] = Field(default_factory=list)
    hcpcs: list[str] = Field(default_factory=list)
    icd10: list[str] = Field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.cpt, *self.hcpcs, *self.icd10]


class SourceRef(BaseModel):
    """A public source an editor read to write or check a document (front matter ``sources``).

    Sections name the ids they restate ("Source: S2"); ``read`` is the date it was read and
    ``version`` the source's own version or revision where it has one."""

    id: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1)
    url: str | None = None
    read: dt.date | None = None
    version: str | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> str | None:
        return str(value) if value is not None else None


class DocumentMeta(BaseModel):
    """Metadata every indexed document carries; references in answers are built from it."""

    doc_id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    year: int | None = Field(default=None, ge=1900, le=2100)
    version: str = "1"
    effective_date: dt.date | None = None
    source_url: str | None = None
    status: Status = Status.submitted
    codes: Codes = Field(default_factory=Codes)
    topics: list[str] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)

    @field_validator("sources")
    @classmethod
    def _source_ids_unique(cls, value: list[SourceRef]) -> list[SourceRef]:
        ids = [s.id for s in value]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"source ids must be unique; repeated: {', '.join(dupes)}")
        return value

    @field_validator("doc_id")
    @classmethod
    def _doc_id_is_safe(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
            raise ValueError("use letters, digits, '.', '_' and '-' only")
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> str:
        return str(value) if value is not None else "1"


class LoadedDocument(BaseModel):
    """A validated document ready for parsing: metadata, raw body and content hash."""

    meta: DocumentMeta
    path: str
    fmt: str  # "markdown" | "html" | "pdf" | "docx" | "text" (all but markdown parse as HTML)
    body: str
    content_hash: str

    def warnings(self) -> list[str]:
        """Recommended metadata that is missing: ingested anyway, but worth an editor's attention."""
        return [
            f"{self.path}: field '{f}' is missing (references will lack it)"
            for f in RECOMMENDED_FIELDS
            if getattr(self.meta, f) in (None, "")
        ]


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --------------------------------------------------------------------- chunks
@dataclass
class TableRow:
    cells: list[str]
    group: str | None = None  # a sub-heading row inside the table ("Overall plan")


@dataclass
class Chunk:
    """One retrievable, citable unit of a document."""

    chunk_id: str
    doc_id: str
    ordinal: int
    kind: str  # "text" | "table_row"
    section: list[str]
    text: str  # the quotable body: what answers cite and what support is checked against
    embed_text: str  # body with title and section breadcrumb, for embedding and BM25
    table_index: int | None = None  # which table of the document a row came from
    row: TableRow | None = field(default=None, repr=False)


# ------------------------------------------------------------------- evidence
@dataclass
class RatingRow:
    doc_id: str
    chunk_id: str
    table_id: str
    variant: str
    group: str | None
    procedure: str
    rating: int
    scale_max: int
    comment: str


@dataclass
class RatingTable:
    table_id: str
    doc_id: str
    caption: str


# ------------------------------------------------------------ stored records
@dataclass
class DocRecord:
    """One revision of one document."""

    meta: DocumentMeta
    path: str
    content_hash: str
    n_chunks: int
    ingested_at: str
    rev: int = 1
    updated_at: str = ""
    served: bool = False
    fmt: str = "markdown"

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    @property
    def status(self) -> str:
        return self.meta.status.value

    @property
    def cited_as(self) -> str:
        return f"{self.doc_id}@{self.rev}"


@dataclass
class StoredChunk:
    chunk_id: str
    doc_id: str
    ordinal: int
    kind: str
    section: str
    text: str
    rev: int = 1


@dataclass
class AuditEntry:
    doc_id: str
    rev: int | None
    from_status: str | None
    to_status: str
    actor: str
    at: str
    note: str
