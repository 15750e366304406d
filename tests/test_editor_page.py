"""The Streamlit editor area, driven with streamlit.testing's AppTest against a real index.

File uploads cannot be driven through AppTest, so the upload form's action (``add_upload``) is
tested directly; the log-in, the review queue, approve / reject and the diff are driven on the page.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.records import Status
from core.settings import Settings
from editorial import lifecycle
from editorial.catalog import Catalog
from editorial.users import User, add_user
from ingest.pipeline import ingest_paths
from store.store import Store
from tests.conftest import FIXTURE_CORPUS
from ui import auth
from ui.editor_page import add_upload

DOC = "fx-hypertension-screening"
PASSWORD = "correct-horse-42"


def _page() -> None:
    from core.settings import get_settings
    from ui.editor_page import render_editor

    render_editor(get_settings())


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("GUIDEQA_HOME", str(home))
    monkeypatch.setenv("GUIDEQA_EMBEDDER", "hashing")
    settings = Settings(home=home, embedder="hashing")
    corpus = Path(shutil.copytree(FIXTURE_CORPUS, tmp_path / "corpus"))
    store = Store(settings)
    ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    add_user(settings.users_path, "erin", PASSWORD, "editor")
    add_user(settings.users_path, "paul", PASSWORD, "physician")
    revised = tmp_path / "revised.md"
    revised.write_text((corpus / f"{DOC}.md").read_text().replace("## Recommendations", "## Recommendations\n- New."))
    lifecycle.add_document(store, User("erin", "editor"), revised, revise=True)
    store.close()
    return home


def _log_in(name: str, password: str) -> AppTest:
    at = AppTest.from_function(_page, default_timeout=30).run()
    at.text_input(key="editor_login_user").input(name)
    at.text_input(key="editor_login_password").input(password)
    at.button[0].click()
    return at.run()


def _editor_widgets(at: AppTest) -> set[str]:
    return {str(b.key) for b in at.button if b.key} & {f"approve_{DOC}", f"review_{DOC}", "retire_served"}


def test_nobody_logged_in_sees_only_the_login_form(home):
    at = AppTest.from_function(_page, default_timeout=30).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    assert not at.tabs and not _editor_widgets(at)


def test_a_wrong_password_is_refused(home):
    at = _log_in("erin", "not-the-password")
    assert "Unknown user or wrong password." in [e.value for e in at.error]
    assert not at.tabs and not _editor_widgets(at)


def test_a_physician_cannot_reach_any_editor_action(home):
    at = _log_in("paul", PASSWORD)
    assert any("needs the editor role" in w.value for w in at.warning)
    assert not at.tabs and not _editor_widgets(at)


def test_an_editor_reviews_and_approves_from_the_queue_and_the_audit_log_names_them(home):
    at = _log_in("erin", PASSWORD)
    assert not at.exception and len(at.tabs) == 5
    assert any(f"{DOC}@2" in m.value and "serving @1" in m.value for m in at.markdown)
    at.button(key=f"review_{DOC}").click().run()
    assert f"{DOC}@2 is now under_review." in [s.value for s in at.success]
    at.text_input(key=f"note_{DOC}").input("checked against the source")
    at.button(key=f"approve_{DOC}").click().run()
    assert f"{DOC}@2 is now approved." in [s.value for s in at.success]
    store = Store(Settings(home=home, embedder="hashing"))
    assert store.manifest.served_revisions()[DOC] == 2
    last = [e for e in store.manifest.history(DOC) if e.to_status == "approved"][-1]
    assert (last.actor, last.rev, last.note) == ("erin", 2, "checked against the source")


def test_a_rejection_without_a_note_is_refused_on_the_page(home):
    at = _log_in("erin", PASSWORD)
    at.button(key=f"reject_{DOC}").click().run()
    assert any("needs a note" in e.value for e in at.error)
    assert Store(Settings(home=home, embedder="hashing")).manifest.head(DOC).status == "submitted"


def test_the_compare_tab_shows_both_revisions_side_by_side(home):
    at = _log_in("erin", PASSWORD)
    tables = [m.value for m in at.markdown if "<table" in m.value]
    assert tables and f"{DOC}@1" in tables[0] and f"{DOC}@2" in tables[0] and "New." in tables[0]


def test_the_upload_action_adds_a_submitted_revision_and_refuses_without_the_role(home):
    settings = Settings(home=home, embedder="hashing")
    catalog, store = Catalog(settings), Store(settings)
    data = b"Colonoscopy every ten years from age 45."
    form = {"doc_id": "colon", "title": "Colorectal screening", "publisher": "Test Society", "year": ""}
    for user in (None, User("paul", "physician")):
        with pytest.raises(PermissionError, match="requires an editor"):
            add_upload(catalog, user, "colon.txt", data, form, revise=False)
    assert store.manifest.head("colon") is None and not (home / "uploads").exists()
    result = add_upload(catalog, User("erin", "editor"), "colon.txt", data, form, revise=False)
    assert result.cited_as == "colon@1" and result.status == "submitted"
    assert store.manifest.head("colon").meta.title == "Colorectal screening"


def test_auth_api_verifies_passwords_and_roles(home):
    settings = Settings(home=home)
    assert set(auth.load_users(settings)) == {"erin", "paul"}
    assert auth.verify("erin", PASSWORD, settings) == User("erin", "editor")
    assert auth.verify("erin", "wrong", settings) is None and auth.verify("nobody", PASSWORD, settings) is None
    assert "$2b$" in settings.users_path.read_text() and PASSWORD not in settings.users_path.read_text()
    with pytest.raises(PermissionError, match="'paul' has role 'physician'"):
        auth.require_editor(User("paul", "physician"))


def test_an_editor_sees_physician_feedback_with_the_revisions_it_cited(home):
    from assistant.feedback import record_feedback
    from assistant.schema import Answer

    answer = Answer(
        question="Is screening indicated?", determination="insufficient_evidence", headline="Not enough.", engine="test"
    )
    record_feedback(Settings(home=home), answer, -1, "the 2024 revision says otherwise", asked="screening?")
    at = _log_in("erin", PASSWORD)
    table = at.dataframe[0].value
    assert list(table["comment"]) == ["the 2024 revision says otherwise"]
    assert list(table["rating"]) == ["not helpful"]
    assert list(table["question answered"]) == ["Is screening indicated?"]
