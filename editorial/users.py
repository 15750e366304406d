"""Users and roles: who may change the corpus.

Users live in a JSON file (``settings.users_path``, default ``<home>/users.json``) holding each
name, role and a bcrypt hash of the password; no password or secret is ever stored in code or
in clear. Roles: ``editor`` may add, revise, review, approve, reject, retire and delete
documents; ``physician`` may only ask. Every corpus-changing function in
:mod:`editorial.lifecycle` takes the acting :class:`User` and calls :func:`require_editor` first, so
no interface (CLI, Streamlit) can skip the check.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import bcrypt


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


def require_editor(user: User | None) -> User:
    """The user, if an editor; otherwise a PermissionError that says who lacks what."""
    if user is None:
        raise PermissionError("changing the corpus requires an editor: log in as a user with the editor role")
    if not user.is_editor:
        raise PermissionError(f"user '{user.name}' has role '{user.role}': changing the corpus requires an editor")
    return user


def _read(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsersFileError(f"{path}: not a readable users file ({exc})") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise UsersFileError(f"{path}: expected {{name: {{role, password_hash}}}}")
    return data


def load_users(path: Path) -> dict[str, User]:
    return {name: User(name, str(entry.get("role", ""))) for name, entry in _read(path).items()}


def verify(path: Path, name: str, password: str) -> User | None:
    """The user if the password matches its bcrypt hash; None for an unknown user or a wrong password."""
    entry = _read(path).get(name)
    if not entry or not password:
        return None
    stored = str(entry.get("password_hash", "")).encode()
    try:
        ok = bcrypt.checkpw(password.encode("utf-8"), stored)
    except ValueError:
        return None
    return User(name, str(entry.get("role", ""))) if ok else None


def add_user(path: Path, name: str, password: str, role: str) -> User:
    """Create or update a user with a bcrypt-hashed password (the file is replaced atomically)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", name):
        raise ValueError(f"user name '{name}': use letters, digits, '.', '_', '@' and '-' only")
    if role not in {r.value for r in Role}:
        raise ValueError(f"role '{role}': choose {', '.join(r.value for r in Role)}")
    if len(password) < 8:
        raise ValueError("password: use at least 8 characters")
    data = _read(path)
    data[name] = {"role": role, "password_hash": bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return User(name, role)
