"""Accounts, log-in and file permissions against a local attacker (issue 15, items 8, 10 and 12).

The real CLI through click's runner on a real data directory (real Chroma, the hashing embedder:
nothing here is answered), real bcrypt hashes, the real audit log.
"""

from __future__ import annotations

import os
import shutil
import stat
import statistics
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.settings import Settings
from editorial.users import (
    LOGIN_SUBJECT,
    USERS_SUBJECT,
    LoginRefused,
    SessionThrottle,
    authenticate,
    create_user,
    verify,
)
from store.manifest import Manifest
from tests.conftest import FIXTURE_CORPUS
from ui.cli import cli

PASSWORD = "correct-horse-42"
DOC = "fx-knee-arthroscopy-policy"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("GUIDEQA_EMBEDDER", "hashing")
    monkeypatch.delenv("GUIDEQA_USER", raising=False)
    monkeypatch.delenv("GUIDEQA_PASSWORD", raising=False)
    corpus = Path(shutil.copytree(FIXTURE_CORPUS, tmp_path / "corpus"))
    assert CliRunner().invoke(cli, ["--home", str(home), "ingest", str(corpus), "--status", "approved"]).exit_code == 0
    return home


def run(home: Path, *args: str, input: str | None = None, password: str | None = None):
    env = {"GUIDEQA_PASSWORD": password} if password else {}
    return CliRunner().invoke(cli, ["--home", str(home), *args], input=input, env=env, obj={})


def _events(home: Path, subject: str) -> list[tuple[str, str]]:
    manifest = Manifest(home / "manifest.sqlite")
    try:
        return [(e.to_status, e.actor) for e in reversed(manifest.events(subject))]
    finally:
        manifest.close()


def _with_erin_and_paul(home: Path) -> None:
    assert (
        run(home, "users", "add", "erin", "--role", "editor", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
    )
    paul = run(
        home,
        "users",
        "add",
        "paul",
        "--role",
        "physician",
        "--password-stdin",
        "--user",
        "erin",
        input=PASSWORD + "\n",
        password=PASSWORD,
    )
    assert paul.exit_code == 0, paul.output


# ------------------------------------------------------------------ item 8
def test_the_first_user_is_an_audited_editor_bootstrap(home):
    first = run(home, "users", "add", "mallory", "--role", "physician", "--password-stdin", input=PASSWORD + "\n")
    assert first.exit_code == 2 and "must be an editor" in first.output
    assert not (home / "users.json").exists()
    assert (
        run(home, "users", "add", "erin", "--role", "editor", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
    )
    assert _events(home, USERS_SUBJECT) == [("user_added:editor", "bootstrap")]


def test_adding_an_editor_needs_a_verified_editor(home):
    _with_erin_and_paul(home)
    before = (home / "users.json").read_bytes()
    attempts = [
        run(home, "users", "add", "mallory", "--role", "editor", "--password-stdin", input=PASSWORD + "\n"),
        run(
            home,
            "users",
            "add",
            "mallory",
            "--role",
            "editor",
            "--password-stdin",
            "--user",
            "paul",
            input=PASSWORD + "\n",
            password=PASSWORD,
        ),
        run(
            home,
            "users",
            "add",
            "mallory",
            "--role",
            "editor",
            "--password-stdin",
            "--user",
            "erin",
            input=PASSWORD + "\n",
            password="wrong-password",
        ),
    ]
    assert [a.exit_code for a in attempts] == [2, 2, 2]
    assert "needs an editor" in attempts[0].output and "requires an editor" in attempts[1].output
    assert "wrong password" in attempts[2].output
    assert (home / "users.json").read_bytes() == before
    assert [e for e in _events(home, USERS_SUBJECT)] == [
        ("user_added:editor", "bootstrap"),
        ("user_added:physician", "erin"),
    ]


def test_re_adding_a_user_never_replaces_their_password(home):
    _with_erin_and_paul(home)
    before = (home / "users.json").read_bytes()
    again = run(
        home,
        "users",
        "add",
        "erin",
        "--role",
        "editor",
        "--password-stdin",
        "--user",
        "erin",
        input="mallorys-password\n",
        password=PASSWORD,
    )
    assert again.exit_code == 2 and "already exists" in again.output
    assert (home / "users.json").read_bytes() == before
    assert verify(home / "users.json", "erin", PASSWORD) is not None
    assert verify(home / "users.json", "erin", "mallorys-password") is None


def test_changing_a_password_needs_the_old_one_or_an_editor(home):
    _with_erin_and_paul(home)
    wrong = run(home, "users", "passwd", "erin", "--password-stdin", input="not-her-password\nmallory-1234\n")
    assert wrong.exit_code == 2 and verify(home / "users.json", "erin", PASSWORD) is not None
    paul = run(
        home, "users", "passwd", "erin", "--password-stdin", "--user", "paul", input="mallory-1234\n", password=PASSWORD
    )
    assert paul.exit_code == 2 and "only an editor" in paul.output
    own = run(home, "users", "passwd", "paul", "--password-stdin", input=f"{PASSWORD}\nnew-password-1\n")
    assert own.exit_code == 0, own.output
    by_editor = run(
        home,
        "users",
        "passwd",
        "paul",
        "--password-stdin",
        "--user",
        "erin",
        input="new-password-2\n",
        password=PASSWORD,
    )
    assert by_editor.exit_code == 0, by_editor.output
    assert verify(home / "users.json", "paul", "new-password-2") is not None
    assert _events(home, USERS_SUBJECT)[-2:] == [("password_changed", "paul"), ("password_changed", "erin")]


def test_an_environment_variable_cannot_swap_in_another_users_file(home, tmp_path, monkeypatch):
    _with_erin_and_paul(home)
    evil = tmp_path / "evil.json"
    create_user(Settings(home=tmp_path / "evil-home"), None, "mallory", PASSWORD, "editor")
    shutil.copy(tmp_path / "evil-home" / "users.json", evil)
    monkeypatch.setenv("GUIDEQA_USERS_FILE", str(evil))
    assert Settings(home=home).users_path == home / "users.json"
    for action in (["docs", "review", DOC], ["docs", "retire", DOC]):
        result = run(home, *action, "--user", "mallory", password=PASSWORD)
        assert result.exit_code == 2 and "unknown user 'mallory' or wrong password" in result.output
    manifest = Manifest(home / "manifest.sqlite")
    assert manifest.statuses()[DOC] == "approved"  # nothing changed
    manifest.close()


# ------------------------------------------------------------------ item 10
def test_log_in_locks_a_name_after_repeated_failures_even_for_the_right_password(home):
    _with_erin_and_paul(home)
    settings = Settings(home=home)
    for _ in range(settings.login_max_failures):
        with pytest.raises(LoginRefused, match="wrong password"):
            authenticate(settings, "erin", "guess-guess")
    with pytest.raises(LoginRefused, match="locked until"):
        authenticate(settings, "erin", PASSWORD)
    cli_try = run(home, "docs", "review", DOC, "--user", "erin", password=PASSWORD)
    assert cli_try.exit_code == 2 and "too many failed log-ins" in cli_try.output
    events = _events(home, LOGIN_SUBJECT)
    assert events.count(("login_failed", "erin")) == 5 and events[-2:] == [("login_locked", "erin")] * 2
    # the lockout ends after GUIDEQA_LOGIN_LOCKOUT_S
    assert authenticate(Settings(home=home, login_lockout_s=0), "erin", PASSWORD).name == "erin"


def test_one_session_spraying_names_is_locked_too(home):
    _with_erin_and_paul(home)
    settings = Settings(home=home)
    session = SessionThrottle()
    for i in range(settings.login_max_failures):
        with pytest.raises(LoginRefused):
            authenticate(settings, f"guess{i}", "guess-guess", session=session)
    with pytest.raises(LoginRefused, match="too many failed log-ins"):
        authenticate(settings, "erin", PASSWORD, session=session)
    assert authenticate(settings, "erin", PASSWORD, session=SessionThrottle()).name == "erin"


def test_unknown_and_known_names_take_the_same_time_to_refuse(home):
    _with_erin_and_paul(home)
    path = home / "users.json"

    def seconds(name: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            assert verify(path, name, "wrong-password") is None
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    verify(path, "nobody", "warm-up")  # the dummy hash is computed once
    known, unknown = seconds("erin"), seconds("nobody-at-all")
    assert unknown > 0.5 * known and known > 0.5 * unknown, (known, unknown)  # was 241 ms vs 0.33 ms


# ------------------------------------------------------------------ item 12
def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_directory_and_its_secrets_are_private_from_creation(tmp_path, monkeypatch):
    monkeypatch.setenv("GUIDEQA_EMBEDDER", "hashing")
    previous = os.umask(0)  # with no umask, anything created without an explicit mode would be 0666/0777
    try:
        home = tmp_path / "fresh"
        corpus = Path(shutil.copytree(FIXTURE_CORPUS, tmp_path / "corpus"))
        assert CliRunner().invoke(cli, ["--home", str(home), "ingest", str(corpus)], obj={}).exit_code == 0
        assert (
            run(home, "users", "add", "erin", "--role", "editor", "--password-stdin", input=PASSWORD + "\n").exit_code
            == 0
        )
        from assistant.feedback import _connect

        _connect(Settings(home=home)).close()
    finally:
        os.umask(previous)
    assert _mode(home) == 0o700
    for name in ("manifest.sqlite", "manifest.sqlite-wal", "manifest.sqlite-shm", "users.json", "feedback.sqlite"):
        if (home / name).exists() or not name.endswith(("-wal", "-shm")):
            assert _mode(home / name) == 0o600, name
    assert _mode(home / "chroma") == 0o700
