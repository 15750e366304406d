"""The chat's network exposure and the LLM API key (issue 15, items 9 and 11).

Real processes: `streamlit run ui/app.py` started the way the probe started it (no address flag),
and a real HTTP server on loopback that answers every request with a 401 quoting the key it got.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.service import Assistant
from core.settings import Settings
from tests.conftest import ROOT
from tests.servers import free_port, stop
from ui.cli import cli

KEY = "sk-guideqa-test-0123456789abcdef-SECRET"


def test_streamlit_config_binds_loopback():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc/net/tcp")
def test_streamlit_run_without_flags_listens_on_loopback_only(tmp_path):
    port = free_port()
    env = {**os.environ, "GUIDEQA_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "ui/app.py", "--server.port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not become healthy in 90 s")
        addresses = _listening_addresses(port)
        assert addresses == {"0100007F"}, addresses  # 127.0.0.1 only: not 0.0.0.0, not ::
    finally:
        stop(proc)


class _EchoKey401(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that refuses every request, quoting the key it was sent."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        key = self.headers.get("Authorization", "").removeprefix("Bearer ")
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {key}", "type": "invalid_request"}})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoKey401)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_the_api_key_is_redacted_from_fallback_answer_terminal_and_logs(
    fixture_settings, echo_server, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("GUIDEQA_LLM_BASE_URL", echo_server)
    monkeypatch.setenv("GUIDEQA_LLM_MODEL", "any")
    monkeypatch.setenv("GUIDEQA_LLM_API_KEY", KEY)
    monkeypatch.setenv("GUIDEQA_LLM_HTTP_RETRIES", "0")
    settings = Settings(home=fixture_settings.home, engine="openai")
    answer = Assistant(settings).ask("Thunderclap headache. Non-con head CT?")
    assert answer.engine == "openai→offline" and answer.fallback
    assert "401" in answer.fallback or "AuthenticationError" in answer.fallback  # the server did answer
    assert "[redacted]" in answer.fallback
    assert KEY not in answer.model_dump_json()
    result = CliRunner().invoke(
        cli,
        ["--home", str(fixture_settings.home), "ask", "Thunderclap headache. Non-con head CT?", "--engine", "openai"],
        obj={},
    )
    assert result.exit_code == 0, result.output
    assert "not used" in result.output and KEY not in result.output
    assert KEY not in (result.stderr if result.stderr_bytes is not None else "")
    assert caplog.records and KEY not in caplog.text
    assert any("[redacted]" in r.getMessage() for r in caplog.records)
