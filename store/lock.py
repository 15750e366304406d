"""One writer at a time per data directory: ingests and editor actions take an exclusive file lock.

Chroma and the manifest (with its keyword index) are written in a fixed order that is crash-safe
for one writer; two writers interleaving could still flip Chroma statuses out of order. So a
second writer waits up to ``settings.lock_timeout_s`` and then fails with a message that says
who to wait for. The lock is an OS lock (``filelock``), released by the kernel when a process
dies, so a killed ingest never leaves a stale lock behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from core.private import private_dir
from core.settings import Settings

# One lock object per path and process: re-entrant, so an editor action may call ingest inside it.
_LOCKS: dict[Path, FileLock] = {}


class LockBusyError(RuntimeError):
    """Another process is writing to the same data directory."""


@contextmanager
def write_lock(settings: Settings) -> Iterator[None]:
    path = settings.lock_path.resolve()
    private_dir(path.parent)
    lock = _LOCKS.setdefault(path, FileLock(str(path), thread_local=False))
    try:
        lock.acquire(timeout=settings.lock_timeout_s)
    except Timeout as exc:
        holder = _holder(path)
        raise LockBusyError(
            f"another ingest or editor action is writing to {settings.home}{holder}; waited "
            f"{settings.lock_timeout_s:g} s (GUIDEQA_LOCK_TIMEOUT_S). Try again when it has finished."
        ) from exc
    try:
        if lock.lock_counter == 1:
            _record_holder(path)
        yield
    finally:
        lock.release()


def _holder_file(path: Path) -> Path:
    return path.with_name(path.name + ".owner")


def _record_holder(path: Path) -> None:
    _holder_file(path).write_text(str(os.getpid()))


def _holder(path: Path) -> str:
    try:
        return f" (process {_holder_file(path).read_text().strip()})"
    except OSError:
        return ""
