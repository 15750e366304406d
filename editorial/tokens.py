"""API bearer tokens: one per client (an EHR, a script, an editor's tool), each with a role.

Tokens live in a JSON file (``settings.tokens_path``, default ``<home>/tokens.json``, mode 0600)
holding each client's name, role, creation time and the SHA-256 of its token; the token itself is
shown once, by ``guideqa tokens add``, and never stored. A token is ``secrets.token_urlsafe(32)``
(256 bits of randomness), so an unsalted fast hash is enough: nothing short of the token itself
finds a preimage. Roles are the editorial ones (:class:`editorial.users.Role`): ``physician`` may
ask and read, ``editor`` may also change the corpus. Revoking deletes the entry; a running server
re-reads the file when it changes, so a revoked token is refused on its next request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from core.private import write_private
from editorial.users import Role, User, read_records

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class TokensFileError(ValueError):
    """The tokens file is unreadable or malformed; the message names it."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _read(path: Path) -> dict[str, dict[str, str]]:
    return read_records(path, TokensFileError, "tokens", "role, sha256, created")


def _write(path: Path, data: dict[str, dict[str, str]]) -> None:
    # 0600 from the moment the file exists: the hashes are never readable by others, not even for a moment.
    write_private(path, json.dumps(data, indent=2, sort_keys=True))


def add_token(path: Path, name: str, role: str) -> str:
    """Create (or replace) the token of client ``name`` with ``role``; returns the token, shown once."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"token name '{name}': use letters, digits, '.', '_', '@' and '-' only (max 64)")
    if role not in {r.value for r in Role}:
        raise ValueError(f"role '{role}': choose {', '.join(r.value for r in Role)}")
    token = secrets.token_urlsafe(32)
    data = _read(path)
    data[name] = {
        "role": role,
        "sha256": token_hash(token),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    _write(path, data)
    return token


def revoke_token(path: Path, name: str) -> bool:
    """Delete client ``name``'s token; False when there was none."""
    data = _read(path)
    if name not in data:
        return False
    del data[name]
    _write(path, data)
    return True


@dataclass(frozen=True)
class TokenInfo:
    name: str
    role: str
    created: str


def list_tokens(path: Path) -> list[TokenInfo]:
    """The clients with a token (never their hashes)."""
    return [TokenInfo(n, str(e.get("role", "")), str(e.get("created", ""))) for n, e in sorted(_read(path).items())]


class TokenVerifier:
    """Checks bearer tokens against the tokens file, re-reading it whenever it changes on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._by_hash: dict[str, User] = {}

    def _load(self) -> dict[str, User]:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = (0, 0, 0)
        with self._lock:
            if stamp != self._stamp:
                data = _read(self.path) if stamp != (0, 0, 0) else {}
                self._by_hash = {
                    str(e.get("sha256", "")): User(name, str(e.get("role", ""))) for name, e in data.items()
                }
                self._stamp = stamp
            return self._by_hash

    def verify(self, token: str) -> User | None:
        """The client a token belongs to, else None (compared in constant time against every stored hash)."""
        if not token:
            return None
        digest = token_hash(token)
        found = None
        for stored, user in self._load().items():
            if hmac.compare_digest(stored, digest):
                found = user
        return found
