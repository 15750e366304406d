"""The editorial lifecycle: every action that changes the corpus, checked, locked and audited.

States of a revision: ``submitted -> under_review -> approved -> retired``, and ``rejected``
(back to the author with a note; ``submit`` sends it back for review, or ``add --revise``
replaces it). Only the approved revision of a document is served to physicians. Each function
here takes the acting :class:`~editorial.users.User` and refuses without the editor role before
touching anything; each runs under the data directory's write lock; each transition is written
to the append-only audit log in the same transaction as the change itself.

Which revision an action applies to: ``submit``, ``review``, ``approve`` and ``reject`` act on the
newest revision (the one under editorial work); ``retire`` acts on the served revision, else the
newest. Approving revision n retires the previously served revision in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.records import DocRecord, DocumentError, Status
from editorial.users import User, require_editor
from ingest.documents import Limits, load_document
from ingest.pipeline import index_revision
from store.lock import write_lock
from store.store import Store, reconcile, remove_document, sync_vectors

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({"rejected"}), "submitted"),
    "review": (frozenset({"submitted"}), "under_review"),
    "approve": (frozenset({"under_review"}), "approved"),
    "reject": (frozenset({"submitted", "under_review"}), "rejected"),
    "retire": (frozenset({"submitted", "under_review", "approved", "rejected"}), "retired"),
}
# Statuses of a newest revision still under editorial work (the review queue); "add --revise"
# retires such a revision when a newer one replaces it before approval.
IN_WORK = ("submitted", "under_review", "rejected")


def allowed_actions(status: str) -> tuple[str, ...]:
    """The actions a revision in ``status`` allows, in :data:`TRANSITIONS` order."""
    return tuple(action for action, (starts, _) in TRANSITIONS.items() if status in starts)


class LifecycleError(ValueError):
    """An action that the document's current state does not allow; the message says why."""


@dataclass
class AddResult:
    doc_id: str
    rev: int
    status: str
    created: bool  # False when the same content was already stored (nothing changed)
    chunks_embedded: int = 0
    superseded: int | None = None  # an unapproved revision the new one replaced

    @property
    def cited_as(self) -> str:
        return f"{self.doc_id}@{self.rev}"


def _record(store: Store, doc_id: str) -> DocRecord:
    head = store.manifest.head(doc_id)
    if head is None:
        raise LifecycleError(f"no document '{doc_id}' (see `guideqa docs list`)")
    return head


def transition(store: Store, user: User | None, doc_id: str, action: str, note: str = "") -> DocRecord:
    """Apply one lifecycle action to a document and return the revision it changed."""
    actor = require_editor(user)
    if action not in TRANSITIONS:
        raise LifecycleError(f"unknown action '{action}' (choose {', '.join(TRANSITIONS)})")
    allowed, target = TRANSITIONS[action]
    if action == "reject" and not note.strip():
        raise LifecycleError("a rejection needs a note for the author (--note TEXT)")
    with write_lock(store.settings):
        reconcile_pending(store)
        record = _record(store, doc_id)
        if action == "retire":
            served = store.manifest.get(doc_id)
            record = served if served is not None and served.served else record
        if record.status not in allowed:
            raise LifecycleError(
                f"{record.cited_as} is {record.status}: '{action}' applies to {' or '.join(sorted(allowed))} revisions"
            )
        store.manifest.set_status(doc_id, target, rev=record.rev, actor=actor.name, note=note)
        sync_vectors(store, doc_id)
        changed = store.manifest.revision(doc_id, record.rev)
        assert changed is not None
        return changed


def reconcile_pending(store: Store) -> None:
    """Finish any Chroma status flip a crashed writer left behind (cheap: only pending documents)."""
    for doc_id in store.manifest.pending_sync():
        sync_vectors(store, doc_id)


def add_document(
    store: Store,
    user: User | None,
    path: Path,
    meta: dict[str, Any] | None = None,
    *,
    revise: bool = False,
    note: str = "",
) -> AddResult:
    """Add a document (revision 1) or, with ``revise``, a new revision of an existing one; status submitted.

    The same ``doc_id`` with different content is refused unless ``revise`` is given, so a file
    never silently replaces another. A pending (unapproved) newest revision is retired when a
    newer one replaces it; the approved one keeps being served until the new one is approved.
    """
    actor = require_editor(user)
    settings = store.settings
    doc = load_document(Path(path), overrides=meta, limits=Limits.from_settings(settings))
    doc.meta.status = Status.submitted  # an editor's upload is always reviewed, whatever the file claims
    doc_id = doc.meta.doc_id
    with write_lock(settings):
        reconcile(store)
        head = store.manifest.head(doc_id)
        same = store.manifest.find_content(doc_id, doc.content_hash)
        if same is not None:
            return AddResult(doc_id, same.rev, same.status, created=False)
        if head is not None and not revise:
            raise DocumentError(
                path,
                f"doc_id '{doc_id}' already exists ({head.cited_as}, {head.status}) with different content: "
                "use `guideqa docs add --revise` to add it as a new revision",
                "doc_id",
            )
        if head is None and revise:
            raise DocumentError(path, f"there is no document '{doc_id}' to revise (drop --revise to add it)", "doc_id")
        rev = head.rev + 1 if head else 1
        superseded = None
        if head is not None and head.status in IN_WORK and not head.served:
            store.manifest.set_status(
                doc_id, "retired", rev=head.rev, actor=actor.name, note=f"superseded by revision {rev} before approval"
            )
            superseded = head.rev
        embedded = index_revision(store, doc, rev, actor=actor.name, note=note or f"added from {Path(path).name}")
        return AddResult(doc_id, rev, Status.submitted.value, True, embedded, superseded)


def delete_document(store: Store, user: User | None, doc_id: str, note: str = "") -> None:
    """Purge every chunk of every revision of a document (the audit log keeps its history)."""
    actor = require_editor(user)
    with write_lock(store.settings):
        _record(store, doc_id)
        remove_document(store, doc_id, actor=actor.name, note=note)
