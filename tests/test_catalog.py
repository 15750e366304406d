"""The editors' catalog against real Chroma (hashing embedder): what `guideqa docs` and the editor page read and do."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.records import Status
from core.settings import Settings
from editorial.catalog import Catalog
from editorial.lifecycle import IN_WORK, TRANSITIONS, LifecycleError, allowed_actions
from editorial.users import User
from ingest.pipeline import ingest_paths
from store.store import Store
from tests.conftest import FIXTURE_CORPUS

EDITOR = User("erin", "editor")
DOC = "fx-hypertension-screening"


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    corpus = Path(shutil.copytree(FIXTURE_CORPUS, tmp_path / "corpus"))
    settings = Settings(home=tmp_path / "home", embedder="hashing")
    store = Store(settings)
    ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    revised = tmp_path / "revised.md"
    revised.write_text((corpus / f"{DOC}.md").read_text().replace("## Recommendations", "## Recommendations\n- New."))
    catalog = Catalog(settings, store=store)
    catalog.add(EDITOR, revised, revise=True, note="new evidence")
    return catalog


def test_the_actions_each_status_allows_come_from_the_transitions():
    assert allowed_actions("submitted") == ("review", "reject", "retire")
    assert allowed_actions("under_review") == ("approve", "reject", "retire")
    assert allowed_actions("rejected") == ("submit", "retire")
    assert allowed_actions("approved") == ("retire",)
    assert allowed_actions("retired") == ()
    for status in Status:
        assert set(allowed_actions(status.value)) == {a for a, (starts, _) in TRANSITIONS.items() if status in starts}
    # the review queue holds exactly the statuses some action other than retiring applies to
    assert set(IN_WORK) == {s.value for s in Status if set(allowed_actions(s.value)) - {"retire"}}


def test_the_queue_lists_revisions_in_work_with_what_is_served_and_the_allowed_actions(catalog):
    (entry,) = catalog.queue()
    assert (entry.record.cited_as, entry.record.status) == (f"{DOC}@2", "submitted")
    assert entry.served is not None and entry.served.cited_as == f"{DOC}@1"
    assert entry.actions == ("review", "reject", "retire")
    catalog.transition(EDITOR, DOC, "review")
    assert catalog.queue()[0].actions == ("approve", "reject", "retire")
    catalog.transition(EDITOR, DOC, "reject", "cite the 2021 source")
    assert catalog.queue()[0].actions == ("submit", "retire")
    catalog.transition(EDITOR, DOC, "submit")
    catalog.transition(EDITOR, DOC, "review")
    catalog.transition(EDITOR, DOC, "approve", "checked")
    assert catalog.queue() == []


def test_documents_show_history_and_diff(catalog):
    listed = {d.record.doc_id: d for d in catalog.documents()}
    assert len(listed) == 4
    assert (listed[DOC].record.cited_as, listed[DOC].newest.cited_as) == (f"{DOC}@1", f"{DOC}@2")
    assert [d.record.doc_id for d in catalog.documents("submitted")] == [DOC]
    assert len(catalog.documents("approved")) == 4
    view = catalog.show(DOC)
    assert [(r.rev, r.status) for r in view.revisions] == [(1, "approved"), (2, "submitted")]
    assert view.served is not None and view.served.rev == 1
    assert catalog.show("no-such-doc").revisions == [] and catalog.show("no-such-doc").served is None
    assert catalog.revised() == [DOC]
    assert {r.doc_id for r in catalog.served()} == set(listed)
    assert [(e.rev, e.to_status, e.actor) for e in catalog.history(DOC)][-1] == (2, "submitted", "erin")
    diff = catalog.diff(DOC, 1, 2)
    assert f"+++ {DOC}@2" in diff and "+New." in diff
    with pytest.raises(LifecycleError, match=f"no revision {DOC}@9"):
        catalog.diff(DOC, 1, 9)


def test_acting_through_the_catalog_needs_an_editor(catalog):
    with pytest.raises(PermissionError, match="requires an editor"):
        catalog.transition(User("paul", "physician"), DOC, "review")
    with pytest.raises(PermissionError, match="requires an editor"):
        catalog.delete(None, DOC)
    catalog.delete(EDITOR, DOC, "duplicate")
    assert catalog.show(DOC).revisions == [] and catalog.history(DOC)[-1].to_status == "deleted"
    catalog.close()
