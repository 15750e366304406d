"""Physician feedback on answers (thumbs up/down, optional comment), kept for editors in SQLite.

Each row stores the question as typed, the question as understood, and the full ``Answer`` JSON,
so an editor can see exactly what was rated even after documents change. The file lives under
``settings.home`` beside the manifest; one short transaction per write, so a crash loses nothing
already written.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.schema import Answer
from core.private import private_file
from core.safetext import replace_invalid
from core.settings import Settings

MAX_COMMENT_CHARS = 2000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT '',
    asked TEXT NOT NULL,
    question TEXT NOT NULL,
    determination TEXT NOT NULL,
    engine TEXT NOT NULL,
    audience TEXT NOT NULL,
    cited TEXT NOT NULL,
    answer_json TEXT NOT NULL
)
"""


class FeedbackError(ValueError):
    """Feedback that cannot be stored as given."""


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    created_at: str
    rating: int  # +1 thumbs up, -1 thumbs down
    comment: str
    asked: str  # as the physician typed it
    question: str  # the standalone question answered
    determination: str
    engine: str
    audience: str
    cited: list[str]  # doc_id@revision of every reference
    answer_json: str

    def answer(self) -> Answer:
        return Answer.model_validate_json(self.answer_json)


def feedback_path(settings: Settings) -> Path:
    return settings.home / "feedback.sqlite"


def _connect(settings: Settings) -> sqlite3.Connection:
    conn = sqlite3.connect(private_file(feedback_path(settings)))  # 0600 from creation, in a 0700 home
    conn.execute(_SCHEMA)
    return conn


def record_feedback(settings: Settings, answer: Answer, rating: int, comment: str = "", *, asked: str = "") -> int:
    """Store one rating of one answer; returns the new row id."""
    if rating not in (-1, 1):
        raise FeedbackError(f"rating must be 1 (thumbs up) or -1 (thumbs down), got {rating!r}")
    # Stored as typed (an editor's terminal shows it escaped), but always encodable: no lone surrogates.
    comment = replace_invalid(comment or "").strip()
    asked = replace_invalid(asked or "")
    if len(comment) > MAX_COMMENT_CHARS:
        raise FeedbackError(f"the comment is {len(comment)} characters; the limit is {MAX_COMMENT_CHARS}")
    row = (
        datetime.now(UTC).isoformat(timespec="seconds"),
        rating,
        comment,
        asked or answer.question,
        answer.question,
        answer.determination.value,
        answer.engine,
        answer.audience,
        json.dumps([r.cited_as for r in answer.references]),
        answer.model_dump_json(),
    )
    with _connect(settings) as conn:
        cur = conn.execute(
            "INSERT INTO feedback (created_at, rating, comment, asked, question, determination, engine, audience, "
            "cited, answer_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
        new_id = cur.lastrowid
    conn.close()
    assert new_id is not None
    return new_id


def list_feedback(settings: Settings, *, rating: int | None = None, limit: int | None = None) -> list[FeedbackRecord]:
    """Feedback newest first, for editors; optionally only thumbs up (1) or down (-1)."""
    if not feedback_path(settings).exists():
        return []
    sql = "SELECT * FROM feedback"
    args: list[object] = []
    if rating is not None:
        sql += " WHERE rating = ?"
        args.append(rating)
    sql += " ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(int(limit))
    conn = _connect(settings)
    try:
        rows = conn.execute(sql, args).fetchall()
    finally:
        conn.close()
    return [
        FeedbackRecord(
            id=r[0],
            created_at=r[1],
            rating=r[2],
            comment=r[3],
            asked=r[4],
            question=r[5],
            determination=r[6],
            engine=r[7],
            audience=r[8],
            cited=json.loads(r[9]),
            answer_json=r[10],
        )
        for r in rows
    ]
