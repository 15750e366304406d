"""The corpus as editors see it: one object that both the CLI (``guideqa docs ...``) and the editor page call.

Reading: the documents (optionally by status), one document's revisions and which one is served,
its audit log, a revision's indexed text and the diff of two, the review queue with the actions
each entry's status allows (derived from :data:`editorial.lifecycle.TRANSITIONS`, never restated
by an interface). Acting: add, transition and delete delegate to :mod:`editorial.lifecycle`,
which checks the editor role, takes the write lock and writes the audit log.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from core.records import AuditEntry, DocRecord, DocumentError
from core.rules import CompiledRule
from core.settings import Settings
from editorial import lifecycle
from editorial.users import User
from store.lock import LockBusyError
from store.store import Store

# What a refused editor action raises (no role, a move the status does not allow, a bad file,
# another writer): each message is one line an interface shows as it is.
REFUSALS: tuple[type[Exception], ...] = (PermissionError, lifecycle.LifecycleError, DocumentError, LockBusyError)


@dataclass(frozen=True)
class Listed:
    """One document: the revision readers see (the served one, else the newest) and the newest one."""

    record: DocRecord
    newest: DocRecord


@dataclass(frozen=True)
class DocumentView:
    """Every stored revision of one document, oldest first, and the one that answers physicians."""

    revisions: list[DocRecord]
    served: DocRecord | None


@dataclass(frozen=True)
class QueueEntry:
    """A newest revision under editorial work, what is served meanwhile, and what an editor may do next."""

    record: DocRecord
    served: DocRecord | None
    actions: tuple[str, ...]


class Catalog:
    """The editors' one entry point to a data directory (as :class:`assistant.service.Assistant` is for answers)."""

    def __init__(self, settings: Settings, *, store: Store | None = None) -> None:
        self.settings = settings
        self._store = store or Store(settings)

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------ reading
    def documents(self, status: str | None = None) -> list[Listed]:
        """Each document's served revision (else its newest), with its newest revision.

        ``status`` keeps the documents whose newest revision is in that status (``approved``: whose
        served one is).
        """
        manifest = self._store.manifest
        heads = {r.doc_id: r for r in manifest.heads()}
        shown = manifest.documents()
        if status:
            shown = [r for r in shown if heads[r.doc_id].status == status or (status == "approved" and r.served)]
        return [Listed(r, heads[r.doc_id]) for r in shown]

    def rules(self, doc_id: str, rev: int | None = None) -> list[CompiledRule]:
        """The compiled statements of a revision (default: the one readers see), in document order."""
        return self._store.manifest.rev_rules(doc_id, rev)

    def show(self, doc_id: str) -> DocumentView:
        """Every revision of a document (none when it is unknown) and the served one."""
        revisions = self._store.manifest.revisions(doc_id)
        return DocumentView(revisions, next((r for r in revisions if r.served), None))

    def history(self, doc_id: str) -> list[AuditEntry]:
        """The audit log of a document: every transition, who made it, when, with its note."""
        return self._store.manifest.history(doc_id)

    def served(self) -> list[DocRecord]:
        """The served revision of every document that has one."""
        return [r for r in self._store.manifest.documents() if r.served]

    def revised(self) -> list[str]:
        """Documents with more than one stored revision (the ones two revisions of can be compared)."""
        manifest = self._store.manifest
        return [r.doc_id for r in manifest.documents() if len(manifest.revisions(r.doc_id)) > 1]

    def revision_lines(self, doc_id: str, rev: int) -> list[str]:
        """A revision's indexed text as lines: title, version, then each chunk under its section."""
        manifest = self._store.manifest
        record = manifest.revision(doc_id, rev)
        if record is None:
            raise lifecycle.LifecycleError(f"no revision {doc_id}@{rev}")
        lines = [f"title: {record.meta.title}", f"version: {record.meta.version}", ""]
        for chunk in manifest.doc_chunks(doc_id, rev):
            lines.extend([f"[{chunk.section}]", *chunk.text.splitlines(), ""])
        return lines

    def diff(self, doc_id: str, rev_a: int, rev_b: int) -> list[str]:
        """A unified diff of two revisions' indexed text (read-only: any user may compare)."""
        a, b = self.revision_lines(doc_id, rev_a), self.revision_lines(doc_id, rev_b)
        return list(difflib.unified_diff(a, b, fromfile=f"{doc_id}@{rev_a}", tofile=f"{doc_id}@{rev_b}", lineterm=""))

    def queue(self) -> list[QueueEntry]:
        """Newest revisions under editorial work, each with the actions its status allows."""
        manifest = self._store.manifest
        entries = []
        for record in manifest.heads():
            if record.status not in lifecycle.IN_WORK:
                continue
            current = manifest.get(record.doc_id)
            served = current if current is not None and current.served else None
            entries.append(QueueEntry(record, served, lifecycle.allowed_actions(record.status)))
        return entries

    # ------------------------------------------------------------------- acting
    def add(
        self, user: User | None, path: Path, meta: dict[str, Any] | None = None, *, revise: bool = False, note: str = ""
    ) -> lifecycle.AddResult:
        """Add a document or, with ``revise``, a new revision (:func:`editorial.lifecycle.add_document`)."""
        return lifecycle.add_document(self._store, user, path, meta, revise=revise, note=note)

    def transition(self, user: User | None, doc_id: str, action: str, note: str = "") -> DocRecord:
        """Apply one lifecycle action (:func:`editorial.lifecycle.transition`)."""
        return lifecycle.transition(self._store, user, doc_id, action, note)

    def delete(self, user: User | None, doc_id: str, note: str = "") -> None:
        """Purge every revision of a document (:func:`editorial.lifecycle.delete_document`)."""
        lifecycle.delete_document(self._store, user, doc_id, note)
