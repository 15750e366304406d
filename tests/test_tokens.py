"""API tokens (editorial.tokens) and the gate's rate limiter (api.gate.RateLimiter), on their own."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from api.gate import RateLimiter
from editorial.tokens import TokenVerifier, add_token, list_tokens, revoke_token, token_hash


def test_a_token_is_shown_once_and_stored_as_its_sha256_in_a_private_file(tmp_path: Path):
    path = tmp_path / "home" / "tokens.json"
    token = add_token(path, "ehr", "physician")
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["ehr"]["sha256"] == token_hash(token) and stored["ehr"]["role"] == "physician"
    assert token not in path.read_text()
    assert add_token(path, "other", "editor") != token
    assert [(t.name, t.role) for t in list_tokens(path)] == [("ehr", "physician"), ("other", "editor")]


def test_names_and_roles_are_checked(tmp_path: Path):
    with pytest.raises(ValueError, match="role"):
        add_token(tmp_path / "t.json", "ehr", "admin")
    with pytest.raises(ValueError, match="name"):
        add_token(tmp_path / "t.json", "bad name!", "editor")
    assert not (tmp_path / "t.json").exists()


def test_the_verifier_sees_new_replaced_and_revoked_tokens(tmp_path: Path):
    path = tmp_path / "tokens.json"
    verifier = TokenVerifier(path)
    assert verifier.verify("anything") is None  # no file: nobody
    first = add_token(path, "ehr", "physician")
    user = verifier.verify(first)
    assert user is not None and user.name == "ehr" and not user.is_editor
    assert verifier.verify(first + "x") is None and verifier.verify("") is None
    second = add_token(path, "ehr", "editor")  # replacing a client's token retires the old one
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1_000_000))  # a distinct stamp even on a coarse clock
    assert verifier.verify(first) is None
    replaced = verifier.verify(second)
    assert replaced is not None and replaced.is_editor
    assert revoke_token(path, "ehr") and not revoke_token(path, "ehr")
    assert verifier.verify(second) is None


def test_the_rate_limiter_allows_a_burst_then_the_rate_per_client():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=3, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("a")
    assert wait == pytest.approx(1.0)  # one request a second refills
    assert limiter.take("b") == 0.0  # another client has its own bucket
    now[0] += 1.0
    assert limiter.take("a") == 0.0 and limiter.take("a") > 0
    now[0] += 100
    assert [limiter.take("a") for _ in range(4)][:3] == [0.0, 0.0, 0.0]  # refilled to the burst, not beyond
