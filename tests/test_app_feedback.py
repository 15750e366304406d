"""Feedback from the chat: stored in SQLite under the data directory and listed for editors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.feedback import FeedbackError, feedback_path, list_feedback, record_feedback
from assistant.schema import Answer, Bullet, Determination, Reference, Section
from core.settings import Settings
from ui.cli import cli


def _answer(question: str = "Is X indicated for Y?") -> Answer:
    ref = Reference(
        number=1, doc_id="doc-a", title="Doc A", publisher="P", version="1", revision=3, chunk_id="c1", quote="X is ok."
    )
    return Answer(
        question=question,
        determination=Determination.indicated,
        headline="X is indicated.",
        sections=[Section(title="Evidence", bullets=[Bullet(text="X is ok.", citations=[1])])],
        references=[ref],
        engine="offline",
    )


def test_feedback_is_stored_with_question_answer_and_cited_revisions(settings: Settings) -> None:
    first = record_feedback(settings, _answer(), 1, asked="and X?")
    second = record_feedback(settings, _answer("Is Z indicated?"), -1, "  wrong guideline  ")
    assert feedback_path(settings).is_relative_to(settings.home)
    records = list_feedback(settings)
    assert [r.id for r in records] == [second, first]  # newest first
    down, up = records
    assert (down.rating, down.comment, down.question, down.asked) == (
        -1,
        "wrong guideline",
        "Is Z indicated?",
        "Is Z indicated?",
    )
    assert (up.asked, up.question, up.cited) == ("and X?", "Is X indicated for Y?", ["doc-a@3"])
    assert up.answer() == _answer()
    assert [r.rating for r in list_feedback(settings, rating=-1)] == [-1]


def test_no_feedback_yet_lists_nothing(settings: Settings) -> None:
    assert list_feedback(settings) == []
    assert not feedback_path(settings).exists()


@pytest.mark.parametrize(
    ("rating", "comment", "message"), [(0, "", "rating must be"), (1, "x" * 2001, "limit is 2000")]
)
def test_bad_feedback_is_refused_and_nothing_is_stored(
    settings: Settings, rating: int, comment: str, message: str
) -> None:
    with pytest.raises(FeedbackError, match=message):
        record_feedback(settings, _answer(), rating, comment)
    assert list_feedback(settings) == []


def test_editors_list_feedback_from_the_cli(settings: Settings) -> None:
    record_feedback(settings, _answer(), -1, "missing the LCD")
    record_feedback(settings, _answer("Is Z indicated?"), 1)
    runner = CliRunner()
    out = runner.invoke(cli, ["--home", str(settings.home), "feedback", "list", "--down", "--json"], obj={})
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [(r["rating"], r["comment"], r["answer"]["determination"]) for r in rows] == [
        (-1, "missing the LCD", "indicated")
    ]
    table = runner.invoke(cli, ["--home", str(settings.home), "feedback", "list"], obj={})
    assert table.exit_code == 0 and "2 feedback entries" in table.output and "👎" in table.output
    both = runner.invoke(cli, ["--home", str(settings.home), "feedback", "list", "--up", "--down"], obj={})
    assert both.exit_code == 2
