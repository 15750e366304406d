"""The chat page's logic, driven with Streamlit's AppTest against the real starter index and engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.feedback import list_feedback
from core.settings import Settings
from tests.conftest import ROOT, SEED_QUESTION

APP = str(ROOT / "ui" / "app.py")
MARKUP_QUESTION = (
    "Is widget nerve ablation (CPT 64999) indicated for chronic knee pain for 6 months despite physical therapy "
    "and a genicular block with 80 % relief?"
)


@pytest.fixture
def app(chat_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("GUIDEQA_HOME", str(chat_settings.home))
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception
    return at


def _ask(at: AppTest, text: str) -> AppTest:
    at.chat_input[0].set_value(text).run()
    assert not at.exception, at.exception
    return at


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_asking_the_seed_question_shows_an_answer_card(app: AppTest) -> None:
    _ask(app, SEED_QUESTION)
    turns = app.session_state.turns
    assert len(turns) == 1 and "error" not in turns[0]
    answer = turns[0]["answer"]
    text = _markdown(app)
    label = {"indicated": "Indicated", "not_indicated": "Not indicated", "conditional": "Conditional"}.get(
        answer.determination.value, "Insufficient evidence"
    )
    assert f"-badge[{label}]" in text  # the coloured verdict badge
    assert "**References**" in text
    # Superscript citation numbers link to the reference list entries.
    assert "(#ref-0-1)" in text
    assert len([h for h in app.get("html") if 'id="ref-0-' in h.proto.body]) == len(answer.references)
    assert [b.key for b in app.button if b.key and b.key.startswith("related-0-")]
    assert app.get("download_button")


def test_a_follow_up_is_answered_as_the_full_question_and_shown_as_understood(app: AppTest) -> None:
    _ask(app, SEED_QUESTION)
    _ask(app, "what about the cervical region?")
    second = app.session_state.turns[1]
    assert second["resolution"].method == "deterministic"
    assert "cervical region" in second["answer"].question
    assert "64633" in second["answer"].question  # the same service at the cervical level
    assert "prior spinal fusion" in second["answer"].question  # carried forward
    assert any(c.value.startswith("Understood as:") and "cervical" in c.value for c in app.caption)


def test_clicking_a_related_question_asks_it(app: AppTest) -> None:
    _ask(app, SEED_QUESTION)
    related = app.session_state.turns[0]["answer"].related_questions[0]
    app.button(key="related-0-0").click().run()
    assert not app.exception
    turns = app.session_state.turns
    assert len(turns) == 2
    assert turns[1]["asked"] == related
    assert turns[1]["resolution"].method == "standalone"  # the engine wrote it as a full question
    assert turns[1]["answer"].question == related
    assert "answer" in turns[1]


def test_the_patient_view_keeps_verdict_and_citations_and_is_remembered(app: AppTest) -> None:
    _ask(app, SEED_QUESTION)
    physician = _markdown(app)
    app.sidebar.radio(key="audience").set_value("Patient").run()
    patient = _markdown(app)
    assert "The guidelines we checked" in patient
    assert "The guidelines we checked" not in physician
    assert "(#ref-0-1)" in patient
    assert "Words used on this page" in [e.label for e in app.expander]
    # The choice is kept for the session: the next answer is in the patient view too.
    _ask(app, "what about the cervical region?")
    assert app.session_state.audience == "Patient"
    assert _markdown(app).count("The guidelines we checked") >= 2


def test_feedback_is_stored_with_the_answer_and_question(app: AppTest, chat_settings: Settings) -> None:
    before = len(list_feedback(chat_settings))
    _ask(app, SEED_QUESTION)
    app.text_input(key="comment-0").input("cite the LCD first").run()
    app.button(key="down-0").click().run()
    assert not app.exception
    records = list_feedback(chat_settings)
    assert len(records) == before + 1
    newest = records[0]
    assert newest.rating == -1
    assert newest.comment == "cite the LCD first"
    assert newest.question == SEED_QUESTION
    assert newest.answer().determination == app.session_state.turns[0]["answer"].determination
    assert any("feedback was saved" in c.value for c in app.caption)


def test_document_markup_is_escaped_not_rendered(app: AppTest) -> None:
    _ask(app, MARKUP_QUESTION)
    answer = app.session_state.turns[0]["answer"]
    assert "fx-markup-in-text" in answer.cited_doc_ids()
    labels = [e.label for e in app.expander]
    assert any(r"\<script\>window" in label for label in labels)
    assert "<script>" not in _markdown(app)
    assert not any("fx-markup" in h.proto.body or "script" in h.proto.body for h in app.get("html"))


def test_a_bad_question_shows_a_message_not_a_traceback(app: AppTest) -> None:
    _ask(app, "???")
    assert not app.exception
    assert app.error and "no words" in app.error[0].value


def test_the_editor_page_in_the_chat_asks_for_an_editor_log_in_first(app: AppTest) -> None:
    app.sidebar.radio(key="page").set_value("Editor").run()
    assert not app.exception
    assert [t.label for t in app.text_input] == ["User name", "Password"]
    assert not app.tabs  # no upload, review, approve or feedback list without an editor


def test_first_run_indexes_the_starter_corpus_then_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUIDEQA_HOME", str(tmp_path / "fresh"))
    monkeypatch.setenv("GUIDEQA_STARTER_CORPUS", str(ROOT / "tests" / "fixtures" / "markup"))
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    assert not at.exception and not at.error
    assert [s.label for s in at.status] == [f"Indexed 1 documents from {ROOT / 'tests' / 'fixtures' / 'markup'}"]
    _ask(at, MARKUP_QUESTION)
    assert "fx-markup-in-text" in at.session_state.turns[0]["answer"].cited_doc_ids()
    # A second run of the app finds the index and does not ingest again.
    again = AppTest.from_file(APP, default_timeout=300)
    again.run()
    assert not again.exception and not again.status
