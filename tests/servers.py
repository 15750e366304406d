"""Helpers for tests that start a real server process on loopback (Chroma, llama.cpp, Streamlit)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen) -> None:
    """Terminate a server politely, kill it if it has not exited within 20 s, and reap it."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def chroma_server(data: Path, log: Path) -> Iterator[str]:
    """A real `chroma run` on a free loopback port, storing in ``data``; yields its URL once it answers."""
    from store.vector_store import chroma_client

    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        pytest.fail(f"{chroma} is missing: chromadb ships the `chroma` server CLI (make setup installs it)")
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(chroma), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                chroma_client(Path("unused"), url).heartbeat()
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chroma run did not come up on {url}:\n{log.read_text()[-2000:]}")
                time.sleep(0.3)
        yield url
    finally:
        stop(proc)
