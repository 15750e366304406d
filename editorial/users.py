"""Users and roles: who may change the corpus, and how they prove it.

Users live in ``<home>/users.json`` (``settings.users_path``: always inside the data directory, so no
environment variable can point a data directory at someone else's list of editors), mode 0600
from creation, holding each name, role and a bcrypt hash of the password; no password or secret
is ever stored in code or in clear. Roles: ``editor`` may add, revise, review, approve, reject,
retire and delete documents and manage users; ``physician`` may only ask. Every corpus-changing
function in :mod:`editorial.lifecycle` takes the acting :class:`User` and calls
:func:`require_editor` first, so no interface (CLI, Streamlit) can skip the check.

Accounts (:func:`create_user`, :func:`change_password`): the first user of a data directory is the
audited bootstrap and must be an editor; after that only a verified editor adds users; a name that
exists is refused (never silently replaced); a password changes with the old password or by an
editor. Log-in (:func:`authenticate`): after ``login_max_failures`` failures in a row for a name
(``GUIDEQA_LOGIN_MAX_FAILURES``, default 5) the name is locked for ``login_lockout_s`` (default
300 s), whatever password comes next; an unknown name costs the same bcrypt check as a known one
(against a dummy hash), so timing does not tell which names exist. Every attempt, every account
change, is in the append-only audit log (subjects ``@login`` and ``@users``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import bcrypt

from core.private import write_private
from core.safetext import terminal_safe
from core.settings import Settings
from store.manifest import Manifest

USERS_SUBJECT = "@users"
LOGIN_SUBJECT = "@login"
FAILED_EVENTS = ("login_failed", "login_locked")


class Role(StrEnum):
    editor = "editor"
    physician = "physician"


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def is_editor(self) -> bool:
        return self.role == Role.editor.value


class UsersFileError(ValueError):
    """The users file is missing, unreadable or malformed; the message says which and how to fix it."""


class AccountError(ValueError):
    """An account change that is refused (exists already, no such user, not allowed); the message says why."""


class LoginRefused(PermissionError):
    """A log-in that is refused: unknown user or wrong password (never saying which), or a locked name."""


def require_editor(user: User | None) -> User:
    """The user, if an editor; otherwise a PermissionError that says who lacks what."""
    if user is None:
        raise PermissionError("changing the corpus requires an editor: log in as a user with the editor role")
    if not user.is_editor:
        raise PermissionError(f"user '{user.name}' has role '{user.role}': changing the corpus requires an editor")
    return user


def read_records(
    path: Path, error: type[ValueError] = UsersFileError, what: str = "users", shape: str = "role, password_hash"
) -> dict[str, dict[str, str]]:
    """A ``{name: {field: value}}`` JSON file (users, API tokens); missing is empty, malformed raises ``error``."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise error(f"{path}: not a readable {what} file ({exc})") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise error(f"{path}: expected {{name: {{{shape}}}}}")
    return data


def load_users(path: Path) -> dict[str, User]:
    return {name: User(name, str(entry.get("role", ""))) for name, entry in read_records(path).items()}


@lru_cache(maxsize=1)
def _dummy_hash() -> bytes:
    """A hash of a random password at the default cost: unknown names are checked against it."""
    return bcrypt.hashpw(bcrypt.gensalt().decode().encode(), bcrypt.gensalt())


def verify(path: Path, name: str, password: str) -> User | None:
    """The user if the password matches its bcrypt hash; None for an unknown user or a wrong password.

    Takes the same time either way: an unknown name is checked against a dummy hash.
    """
    entry = read_records(path).get(name)
    stored = str(entry.get("password_hash", "")).encode() if entry else _dummy_hash()
    try:
        ok = bcrypt.checkpw((password or "").encode("utf-8", errors="replace"), stored)
    except ValueError:
        ok = False
    if not entry or not password:
        return None
    return User(name, str(entry.get("role", ""))) if ok else None


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", name):
        raise ValueError(f"user name '{terminal_safe(name[:64])}': use letters, digits, '.', '_', '@' and '-' only")


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise ValueError("password: use at least 8 characters")
    if len(password.encode("utf-8", errors="replace")) > 72:
        raise ValueError("password: use at most 72 bytes (bcrypt reads no more)")


def _hash(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode()


def add_user(path: Path, name: str, password: str, role: str) -> User:
    """Create a user with a bcrypt-hashed password (the file is replaced atomically, 0600 from creation).

    A name that exists is refused: an account is never replaced by adding it again. This is the
    file-level step; :func:`create_user` is the checked and audited one the interfaces call.
    """
    _check_name(name)
    if role not in {r.value for r in Role}:
        raise ValueError(f"role '{role}': choose {', '.join(r.value for r in Role)}")
    _check_password(password)
    data = read_records(path)
    if name in data:
        raise AccountError(f"user '{name}' already exists: change a password with `guideqa users passwd {name}`")
    data[name] = {"role": role, "password_hash": _hash(password)}
    write_private(path, json.dumps(data, indent=2, sort_keys=True))
    return User(name, role)


def _audit(settings: Settings, subject: str, event: str, actor: str, note: str = "") -> None:
    manifest = Manifest(settings.manifest_path)
    try:
        manifest.record_event(subject, event, actor, note)
    finally:
        manifest.close()


def create_user(settings: Settings, acting: User | None, name: str, password: str, role: str) -> User:
    """Add a user: by a verified editor, or (the audited bootstrap) as the first user, who must be an editor."""
    path = settings.users_path
    existing = load_users(path)
    if existing:
        actor = require_editor(acting).name
        note = f"added by {actor}"
    else:
        if role != Role.editor.value:
            raise AccountError("the first user of a data directory must be an editor (--role editor)")
        actor = "bootstrap"
        note = "first user of the data directory"
    user = add_user(path, name, password, role)
    _audit(settings, USERS_SUBJECT, f"user_added:{role}", actor, f"{name}: {note}")
    return user


def change_password(
    settings: Settings, name: str, new_password: str, *, old_password: str | None = None, acting: User | None = None
) -> None:
    """Set a new password: with the user's current one, or by a verified editor; audited."""
    path = settings.users_path
    data = read_records(path)
    if acting is not None and acting.is_editor:
        actor = acting.name
    elif old_password is not None:
        authenticate(settings, name, old_password)  # throttled and audited like any log-in
        actor = name
    else:
        raise PermissionError("changing a password needs the current password, or an editor (--user EDITOR)")
    if name not in data:
        raise AccountError(f"no user '{name}'")
    _check_password(new_password)
    data[name]["password_hash"] = _hash(new_password)
    write_private(path, json.dumps(data, indent=2, sort_keys=True))
    _audit(settings, USERS_SUBJECT, "password_changed", actor, name)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _locked_until(manifest: Manifest, name: str, settings: Settings) -> dt.datetime | None:
    """When the name's lockout ends, if its last ``login_max_failures`` attempts all failed recently."""
    recent = manifest.events(LOGIN_SUBJECT, actor=name, limit=settings.login_max_failures)
    if len(recent) < settings.login_max_failures or any(e.to_status not in FAILED_EVENTS for e in recent):
        return None
    until = dt.datetime.fromisoformat(recent[0].at) + dt.timedelta(seconds=settings.login_lockout_s)
    return until if until > _now() else None


@dataclass
class SessionThrottle:
    """Failures of one session (a browser tab): locked for ``login_lockout_s`` after ``login_max_failures``."""

    failures: list[dt.datetime] = field(default_factory=list)

    def locked_until(self, settings: Settings) -> dt.datetime | None:
        if len(self.failures) < settings.login_max_failures:
            return None
        until = self.failures[-1] + dt.timedelta(seconds=settings.login_lockout_s)
        return until if until > _now() else None


def authenticate(settings: Settings, name: str, password: str, *, session: SessionThrottle | None = None) -> User:
    """The verified user, or :class:`LoginRefused`; throttled per name and per session, every attempt audited."""
    shown = terminal_safe(name or "", keep_newlines=False)[:64] or "-"
    manifest = Manifest(settings.manifest_path)
    try:
        until = _locked_until(manifest, shown, settings)
        if session is not None and until is None:
            until = session.locked_until(settings)
        if until is not None:
            verify(settings.users_path, name, password)  # same cost as any attempt
            manifest.record_event(LOGIN_SUBJECT, "login_locked", shown, "refused while locked")
            raise LoginRefused(
                f"too many failed log-ins for '{shown}': locked until {until.isoformat(timespec='seconds')} "
                f"(GUIDEQA_LOGIN_LOCKOUT_S={settings.login_lockout_s:g})"
            )
        user = verify(settings.users_path, name, password)
        if user is None:
            manifest.record_event(LOGIN_SUBJECT, "login_failed", shown)
            if session is not None:
                session.failures.append(_now())
            raise LoginRefused(f"unknown user '{shown}' or wrong password")
        manifest.record_event(LOGIN_SUBJECT, "login", shown)
        if session is not None:
            session.failures.clear()
        return user
    finally:
        manifest.close()
