"""The editorial lifecycle against real Chroma: revisions, approval swaps, the audit log, the editor role.

Most tests use the hashing embedder (they are about bookkeeping, not relevance); the ones that
ask questions use the packaged MiniLM, as a physician's question would.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from assistant.service import Assistant
from core.records import DocumentError, Status
from core.settings import Settings
from editorial import lifecycle
from editorial.lifecycle import LifecycleError
from editorial.users import User
from ingest.pipeline import ingest_paths
from store.store import Store, reconcile
from tests.conftest import FIXTURE_CORPUS

EDITOR = User("erin", "editor")
PHYSICIAN = User("paul", "physician")
DOC = "fx-hypertension-screening"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE_CORPUS, tmp_path / "corpus"))


@pytest.fixture
def store(tmp_path: Path, corpus: Path) -> Store:
    store = Store(Settings(home=tmp_path / "home", embedder="hashing"))
    ingest_paths(store, [corpus], status=Status.approved)  # the bootstrap of an empty data directory
    return store


def _revised(corpus: Path, tmp_path: Path, extra: str = "Home readings help confirm the diagnosis.") -> Path:
    path = tmp_path / "revised.md"
    path.write_text((corpus / f"{DOC}.md").read_text().replace("## Recommendations", f"## Recommendations\n- {extra}"))
    return path


def _consistent(store: Store) -> None:
    assert store.vectors.ids() == store.manifest.chunk_ids()
    assert set(store.keywords.ids) == store.manifest.served_chunk_ids()
    assert not store.manifest.pending_sync()


def _state(store: Store) -> tuple:
    """Everything an editor action could change: revisions, statuses, served revisions, vectors, audit."""
    revisions = [
        (r.doc_id, r.rev, r.status) for d in store.manifest.documents() for r in store.manifest.revisions(d.doc_id)
    ]
    audit = [len(store.manifest.history(d.doc_id)) for d in store.manifest.documents()]
    return revisions, store.manifest.served_revisions(), sorted(store.vectors.ids()), audit


def test_a_revision_is_indexed_but_not_served_until_approved(store, corpus, tmp_path):
    added = lifecycle.add_document(store, EDITOR, _revised(corpus, tmp_path), revise=True)
    assert added.cited_as == f"{DOC}@2" and added.status == "submitted" and added.created
    assert store.manifest.served_revisions()[DOC] == 1
    new_ids = set(store.manifest.rev_chunk_ids(DOC, 2))
    assert new_ids <= store.vectors.ids()  # indexed ...
    assert not new_ids & store.manifest.served_chunk_ids()  # ... not served
    assert {m["status"] for m in store.vectors.metadata(sorted(new_ids)).values()} == {"submitted"}
    lifecycle.transition(store, EDITOR, DOC, "review")
    lifecycle.transition(store, EDITOR, DOC, "approve", note="checked against the source")
    assert store.manifest.served_revisions()[DOC] == 2
    assert [(r.rev, r.status) for r in store.manifest.revisions(DOC)] == [(1, "retired"), (2, "approved")]
    assert store.manifest.doc_chunks(DOC, 1)  # the old revision's text stays, for answers that cited it
    assert not set(store.manifest.rev_chunk_ids(DOC, 1)) & store.vectors.ids()  # ... but is not searchable
    _consistent(store)


def test_every_transition_is_in_the_append_only_audit_log(store, corpus, tmp_path):
    lifecycle.add_document(store, EDITOR, _revised(corpus, tmp_path), revise=True, note="new evidence")
    lifecycle.transition(store, EDITOR, DOC, "review")
    lifecycle.transition(store, EDITOR, DOC, "reject", note="cite the 2021 source")
    lifecycle.transition(store, EDITOR, DOC, "submit")
    lifecycle.transition(store, EDITOR, DOC, "review")
    lifecycle.transition(store, EDITOR, DOC, "approve")
    moves = [(e.rev, e.from_status, e.to_status, e.actor) for e in store.manifest.history(DOC)]
    assert moves == [
        (1, None, "approved", "operator"),
        (2, None, "submitted", "erin"),
        (2, "submitted", "under_review", "erin"),
        (2, "under_review", "rejected", "erin"),
        (2, "rejected", "submitted", "erin"),
        (2, "submitted", "under_review", "erin"),
        (2, "under_review", "approved", "erin"),
        (1, "approved", "retired", "erin"),
    ]
    assert store.manifest.history(DOC)[3].note == "cite the 2021 source"
    db = sqlite3.connect(store.settings.manifest_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit SET actor='mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit")


@pytest.mark.parametrize(
    ("action", "note", "message"),
    [
        ("approve", "", "is submitted: 'approve' applies to under_review"),
        ("reject", "", "needs a note"),
        ("submit", "", "is submitted: 'submit' applies to rejected"),
        ("publish", "", "unknown action"),
    ],
)
def test_transitions_outside_the_lifecycle_are_refused(store, corpus, tmp_path, action, note, message):
    lifecycle.add_document(store, EDITOR, _revised(corpus, tmp_path), revise=True)
    before = _state(store)
    with pytest.raises(LifecycleError, match=message):
        lifecycle.transition(store, EDITOR, DOC, action, note)
    assert _state(store) == before


EDITOR_ACTIONS = {
    "add": lambda store, user, path: lifecycle.add_document(store, user, path, revise=True),
    "submit": lambda store, user, path: lifecycle.transition(store, user, DOC, "submit"),
    "review": lambda store, user, path: lifecycle.transition(store, user, DOC, "review"),
    "approve": lambda store, user, path: lifecycle.transition(store, user, DOC, "approve"),
    "reject": lambda store, user, path: lifecycle.transition(store, user, DOC, "reject", "no"),
    "retire": lambda store, user, path: lifecycle.transition(store, user, DOC, "retire"),
    "delete": lambda store, user, path: lifecycle.delete_document(store, user, DOC),
}


@pytest.mark.parametrize("action", sorted(EDITOR_ACTIONS))
@pytest.mark.parametrize("user", [None, PHYSICIAN], ids=["nobody", "physician"])
def test_every_editor_action_refuses_without_the_editor_role(store, corpus, tmp_path, action, user):
    path = _revised(corpus, tmp_path)
    before = _state(store)
    with pytest.raises(PermissionError, match="requires an editor"):
        EDITOR_ACTIONS[action](store, user, path)
    assert _state(store) == before


def test_a_doc_id_with_different_content_is_a_revision_only_when_asked(store, corpus, tmp_path):
    path = _revised(corpus, tmp_path)
    before = _state(store)
    with pytest.raises(DocumentError, match=r"revised\.md: field 'doc_id': .* already exists .* --revise"):
        lifecycle.add_document(store, EDITOR, path)
    assert _state(store) == before
    same = lifecycle.add_document(store, EDITOR, corpus / f"{DOC}.md")
    assert not same.created and same.cited_as == f"{DOC}@1"


def test_a_newer_upload_replaces_a_pending_revision_and_retire_stops_serving(store, corpus, tmp_path):
    lifecycle.add_document(store, EDITOR, _revised(corpus, tmp_path), revise=True)
    second = lifecycle.add_document(store, EDITOR, _revised(corpus, tmp_path, "Repeat readings matter."), revise=True)
    assert second.rev == 3 and second.superseded == 2
    assert [r.status for r in store.manifest.revisions(DOC)] == ["approved", "retired", "submitted"]
    lifecycle.transition(store, EDITOR, DOC, "retire", note="withdrawn by the publisher")
    assert DOC not in store.manifest.served_revisions()
    assert store.manifest.revision(DOC, 1).status == "retired"
    _consistent(store)


def test_delete_purges_every_chunk_of_every_revision(store, corpus, tmp_path):
    lifecycle.add_document(store, EDITOR, _revised(corpus, tmp_path), revise=True)
    lifecycle.delete_document(store, EDITOR, DOC, "duplicate of another policy")
    assert store.manifest.revisions(DOC) == [] and store.vectors.count(DOC) == 0
    assert not any(cid.startswith(DOC) for cid in store.manifest.chunk_ids() | set(store.keywords.ids))
    assert store.manifest.history(DOC)[-1].to_status == "deleted"
    _consistent(store)


def test_reingesting_the_folder_never_rolls_back_an_editors_revision(store, corpus, tmp_path):
    lifecycle.add_document(store, EDITOR, _revised(corpus, tmp_path), revise=True)
    lifecycle.transition(store, EDITOR, DOC, "review")
    lifecycle.transition(store, EDITOR, DOC, "approve")
    report = ingest_paths(store, [corpus])
    assert DOC in report.unchanged and store.manifest.served_revisions()[DOC] == 2


def test_a_changed_file_ingested_without_approval_keeps_the_approved_revision_serving(store, corpus):
    path = corpus / f"{DOC}.md"
    path.write_text(path.read_text().replace("status: approved", "").replace("## Recommendations", "## Recs"))
    report = ingest_paths(store, [corpus])
    assert report.updated == [DOC]
    assert store.manifest.head(DOC).rev == 2 and store.manifest.head(DOC).status == "submitted"
    assert store.manifest.served_revisions()[DOC] == 1


def test_a_crash_between_approval_and_the_chroma_flip_is_repaired(store, corpus, tmp_path):
    lifecycle.add_document(store, EDITOR, _revised(corpus, tmp_path), revise=True)
    lifecycle.transition(store, EDITOR, DOC, "review")
    store.manifest.set_status(DOC, "approved", rev=2, actor="erin")  # committed; the Chroma flip never ran
    assert store.manifest.pending_sync() == [DOC]
    served = store.manifest.chunks(
        store.manifest.rev_chunk_ids(DOC, 1) + store.manifest.rev_chunk_ids(DOC, 2), served=True
    )
    assert {c.rev for c in served.values()} == {2}  # the manifest alone decides what answers
    reconcile(store)
    assert {m["status"] for m in store.vectors.metadata(store.manifest.rev_chunk_ids(DOC, 2)).values()} == {"approved"}
    _consistent(store)


def test_a_read_snapshot_sees_one_revision_while_another_process_approves(store, corpus, tmp_path):
    lifecycle.add_document(store, EDITOR, _revised(corpus, tmp_path), revise=True)
    lifecycle.transition(store, EDITOR, DOC, "review")
    reader = Store(store.settings)
    with reader.manifest.snapshot():
        before = reader.manifest.served_revisions()[DOC]
        lifecycle.transition(store, EDITOR, DOC, "approve")
        assert reader.manifest.served_revisions()[DOC] == before == 1
        assert {c.rev for c in reader.manifest.chunks(reader.manifest.rev_chunk_ids(DOC, 1), served=True).values()} == {
            1
        }
    assert reader.manifest.served_revisions()[DOC] == 2


@pytest.mark.slow
def test_answers_cite_the_served_revision_before_and_after_an_approval(tmp_path, corpus):
    settings = Settings(home=tmp_path / "home")
    store = Store(settings)
    ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    question = "Thunderclap headache, worried about SAH. Non-con head CT?"
    doc = "fx-headache-imaging"
    first = Assistant(settings, store=store).ask(question)
    assert {r.cited_as for r in first.references if r.doc_id == doc} == {f"{doc}@1"}
    source = corpus / f"{doc}.html"
    revised = tmp_path / f"{doc}.html"
    revised.write_text(source.read_text().replace("</body>", "<p>Reviewed again this year.</p></body>"))
    lifecycle.add_document(store, EDITOR, revised, revise=True)
    pending = Assistant(settings, store=store).ask(question)
    assert {r.cited_as for r in pending.references if r.doc_id == doc} == {f"{doc}@1"}
    lifecycle.transition(store, EDITOR, doc, "review")
    lifecycle.transition(store, EDITOR, doc, "approve")
    after = Assistant(settings, store=store).ask(question)
    cited = [r for r in after.references if r.doc_id == doc]
    assert cited and {r.cited_as for r in cited} == {f"{doc}@2"}
    assert all(r.status == "approved" and r.revision == 2 and r.updated for r in cited)
    assert after.determination == first.determination
