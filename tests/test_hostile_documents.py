"""Hostile documents and corpus changes without an editor (issue 15, items 3 to 7).

Each test writes the attack's file, ingests it through the real pipeline into a real data
directory (real Chroma; the hashing embedder where nothing is answered, MiniLM where an answer is
checked), and asserts the one-line refusal that names the file and the limit, that the rest of the
folder is indexed, and that nothing already indexed changed.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.service import Assistant
from core.records import DocumentError, Status
from core.settings import Settings
from ingest.documents import Limits, load_document
from ingest.pipeline import ApprovalRequired, ingest_paths
from store.store import Store
from tests import hostile_docs
from tests.conftest import FIXTURE_CORPUS
from ui.cli import cli

GOOD = "fx-knee-arthroscopy-policy.md"
KNEE = "fx-knee-arthroscopy-policy"
# fixture gold fx-19: debridement for osteoarthritis without mechanical symptoms is not covered
# (the evil revision below says it is covered)
KNEE_QUESTION = "Is CPT 29881 indicated for a patient with knee osteoarthritis without mechanical symptoms?"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(FIXTURE_CORPUS / GOOD, folder / GOOD)
    return folder


def _snapshot(store: Store) -> tuple[dict[str, str], dict[str, int], set[str]]:
    m = store.manifest
    return m.statuses(), m.served_revisions(), m.chunk_ids()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (hostile_docs.yaml_alias_bomb, "YAML anchor"),
        (hostile_docs.yaml_title_alias, "YAML anchor"),
        (hostile_docs.yaml_deep_nesting, "GUIDEQA_MAX_YAML_DEPTH"),
        (hostile_docs.yaml_huge_field, "GUIDEQA_MAX_META_FIELD_CHARS"),
    ],
)
def test_front_matter_bombs_are_refused_fast_and_the_folder_still_ingests(tmp_path, make, says):
    folder = _folder(tmp_path)
    bad = make(folder)
    store = Store(Settings(home=tmp_path / "home", embedder="hashing"))
    started = time.perf_counter()
    report = ingest_paths(store, [folder])
    assert time.perf_counter() - started < 30
    assert [Path(p).name for p, _ in report.failed] == [bad.name]
    message = report.failed[0][1]
    assert bad.name in message and says in message
    assert report.added == [KNEE]  # the rest of the folder is indexed


def test_front_matter_limits_are_settings(tmp_path, monkeypatch):
    path = tmp_path / "long.md"
    path.write_text("---\ndoc_id: long\ntitle: " + "T" * 3000 + "\npublisher: P\n---\nbody text\n", encoding="utf-8")
    assert load_document(path).meta.title == "T" * 3000  # under the default 4,000
    assert Limits() == Limits.from_settings(Settings())  # the documented defaults agree
    monkeypatch.setenv("GUIDEQA_MAX_META_FIELD_CHARS", "2000")
    with pytest.raises(DocumentError, match=r"long\.md.*over the 2,000 limit \(GUIDEQA_MAX_META_FIELD_CHARS\)"):
        load_document(path, limits=Limits.from_settings(Settings()))
    path.write_text("---\ndoc_id: a\ntitle: &t T\npublisher: *t\n---\nbody\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="anchors are not accepted"):
        load_document(path)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda folder: hostile_docs.docx_zip_bomb(folder, megabytes=40), "GUIDEQA_MAX_UNCOMPRESSED_MB"),
        (hostile_docs.docx_many_entries, "GUIDEQA_MAX_ZIP_ENTRIES"),
        (hostile_docs.docx_high_ratio, "GUIDEQA_MAX_ZIP_RATIO"),
    ],
)
def test_docx_zip_bombs_are_refused_before_unpacking(tmp_path, make, says):
    folder = _folder(tmp_path)
    bad = make(folder)
    # 40 MB stands in for the 571 MB bomb (benchmarks/check_hostile_documents.py runs that one)
    store = Store(Settings(home=tmp_path / "home", embedder="hashing", max_uncompressed_mb=30))
    started = time.perf_counter()
    report = ingest_paths(store, [folder])
    assert time.perf_counter() - started < 30
    assert [Path(p).name for p, _ in report.failed] == [bad.name]
    assert bad.name in report.failed[0][1] and says in report.failed[0][1]
    assert report.added == [KNEE]


@pytest.mark.parametrize(("megabytes", "limit_mb"), [(5, 1), (100, 200)])
def test_a_pdf_whose_page_stream_inflates_too_far_is_refused(tmp_path, megabytes, limit_mb):
    bad = hostile_docs.pdf_stream_bomb(tmp_path, megabytes=megabytes)  # 100 MB: over pypdf's own cap
    with pytest.raises(DocumentError, match=r"stream-bomb\.pdf.*GUIDEQA_MAX_UNCOMPRESSED_MB"):
        load_document(bad, limits=Limits(uncompressed_bytes=limit_mb * 1_000_000))


def test_a_normal_docx_still_reads(tmp_path):
    path = tmp_path / "ok.docx"
    path.write_bytes(hostile_docs._docx_bytes())
    doc = load_document(path, limits=Limits(zip_entries=50, uncompressed_bytes=1_000_000))
    assert doc.meta.title == "Zip bomb" and "six weeks" in doc.body


@pytest.mark.parametrize("make", [hostile_docs.deep_html, hostile_docs.deep_html_in_markdown])
def test_deeply_nested_html_is_a_clear_error_and_the_rest_of_the_folder_is_indexed(tmp_path, make):
    folder = _folder(tmp_path)
    bad = make(folder)
    (folder / "zz-after.md").write_text(
        "---\ndoc_id: zz-after\ntitle: After\npublisher: P\n---\n# After\n\nText after the bad file.\n",
        encoding="utf-8",
    )
    store = Store(Settings(home=tmp_path / "home", embedder="hashing"))
    report = ingest_paths(store, [folder])
    assert [Path(p).name for p, _ in report.failed] == [bad.name]
    assert "deeper than 200 levels (GUIDEQA_MAX_HTML_DEPTH)" in report.failed[0][1]
    assert sorted(report.added) == [KNEE, "zz-after"]  # files sorting after it are indexed too


def test_hidden_html_in_markdown_is_never_indexed_or_quoted(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    hostile_docs.hidden_markdown(folder)
    settings = Settings(home=tmp_path / "home")
    store = Store(settings)
    report = ingest_paths(store, [folder], status=Status.approved)
    assert report.added == ["hidden-md"], report.failed
    texts = " ".join(c.text for c in store.manifest.doc_chunks("hidden-md"))
    assert "six weeks of failed physical therapy" in texts and "requires red flags" in texts
    for secret in hostile_docs.HIDDEN_SECRETS:
        assert secret not in texts
    answer = Assistant(settings, store=store).ask("Is lumbar MRI indicated for low back pain?")
    shown = answer.model_dump_json()
    assert not any(secret in shown for secret in hostile_docs.HIDDEN_SECRETS)


# ------------------------------------------------------------------ item 7: authority
@pytest.fixture
def approved_home(tmp_path: Path) -> tuple[Settings, Path]:
    """The fixture corpus bootstrapped into an empty data directory (approved, as `make run` does)."""
    folder = Path(shutil.copytree(FIXTURE_CORPUS, tmp_path / "corpus"))
    settings = Settings(home=tmp_path / "home")
    store = Store(settings)
    report = ingest_paths(store, [folder], status=Status.approved)  # allowed: the directory is empty
    assert not report.failed and set(store.manifest.statuses().values()) == {"approved"}
    store.close()
    return settings, folder


def _evil_revision(folder: Path, name: str = GOOD) -> Path:
    """The knee policy, same doc_id, saying the opposite, with `status: approved` in its front matter."""
    text = (FIXTURE_CORPUS / GOOD).read_text(encoding="utf-8")
    text = text.replace(
        "- Arthroscopic debridement is not covered for knee osteoarthritis without mechanical symptoms.",
        "- Arthroscopic debridement is covered for knee osteoarthritis without mechanical symptoms.",
    )
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_ingest_never_approves_a_new_revision_by_itself(approved_home):
    settings, folder = approved_home
    before = Assistant(settings).ask(KNEE_QUESTION)
    assert f"{KNEE}@1" in {r.cited_as for r in before.references}
    _evil_revision(folder)
    store = Store(settings)
    report = ingest_paths(store, [folder])
    assert report.updated == [KNEE] and not report.failed
    assert any("not honoured" in w for w in report.warnings)
    head = store.manifest.head(KNEE)
    assert head is not None and head.rev == 2 and head.status == "submitted"
    assert store.manifest.served_revisions()[KNEE] == 1
    after = Assistant(settings, store=store).ask(KNEE_QUESTION)
    assert after.determination == before.determination
    assert {r.cited_as for r in after.references if r.doc_id == KNEE} == {f"{KNEE}@1"}
    assert "debridement is covered" not in after.model_dump_json()  # the unapproved text is never shown
    with pytest.raises(ApprovalRequired, match="--approve-as"):
        ingest_paths(store, [folder], status=Status.approved)
    assert store.manifest.served_revisions()[KNEE] == 1


def test_a_file_sorting_first_cannot_hijack_another_doc_id(approved_home):
    settings, folder = approved_home
    store = Store(settings)
    before = _snapshot(store)
    _evil_revision(folder, name="0-first.md")
    report = ingest_paths(store, [folder])
    assert sorted(Path(p).name for p, _ in report.failed) == ["0-first.md", GOOD]
    assert all(f"doc_id '{KNEE}' is also used by" in m for _, m in report.failed)
    assert _snapshot(store) == before  # nothing indexed changed, nothing was removed


def test_status_change_by_ingest_needs_an_editor(approved_home):
    settings, folder = approved_home
    store = Store(settings)
    before = _snapshot(store)
    report = ingest_paths(store, [folder], status=Status.retired)
    assert len(report.failed) == len(list(folder.iterdir())) and "needs an editor" in report.failed[0][1]
    assert _snapshot(store) == before


def test_approve_as_a_verified_editor_is_audited(approved_home, monkeypatch):
    settings, folder = approved_home
    home = str(settings.home)
    runner = CliRunner()
    monkeypatch.setenv("GUIDEQA_PASSWORD", "correct-horse-42")
    added = runner.invoke(
        cli,
        ["--home", home, "users", "add", "erin", "--role", "editor", "--password-stdin"],
        input="correct-horse-42\n",
        obj={},
    )
    assert added.exit_code == 0, added.output
    _evil_revision(folder)
    monkeypatch.setenv("GUIDEQA_PASSWORD", "wrong-password")
    refused = runner.invoke(cli, ["--home", home, "ingest", str(folder), "--approve-as", "erin"], obj={})
    assert refused.exit_code == 2 and "wrong password" in refused.output
    store = Store(settings)
    assert store.manifest.head(KNEE).rev == 1  # the refused run changed nothing
    store.close()
    monkeypatch.setenv("GUIDEQA_PASSWORD", "correct-horse-42")
    approved = runner.invoke(cli, ["--home", home, "ingest", str(folder), "--approve-as", "erin"], obj={})
    assert approved.exit_code == 0, approved.output
    store = Store(settings)
    assert store.manifest.served_revisions()[KNEE] == 2
    last = store.manifest.history(KNEE)[-2:]
    assert {(e.rev, e.to_status, e.actor) for e in last} == {(2, "approved", "erin"), (1, "retired", "erin")}
    assert any("--approve-as erin" in e.note for e in last)
