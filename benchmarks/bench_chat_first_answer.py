"""Time from `make run` to the first answer in the browser, on a fresh data directory and a warm one.

Starts `make run` (GUIDEQA_HOME in a temporary folder, so the first run indexes the starter corpus
in the page), drives headless Debian Chromium with Playwright, and reports seconds until the chat
is ready and until the seed question's verdict badge shows; then restarts on the same data
directory (the second `make run`). `--screenshot PATH` saves the answer page.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = (
    "Are procedures 64635 and 64636 medically indicated for a patient with M47.817 spondylosis without "
    "myelopathy or radiculopathy, lumbosacral region, and a history of prior spinal fusion?"
)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_run(home: Path, screenshot: Path | None) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    port = _port()
    env = {**os.environ, "GUIDEQA_HOME": str(home), "GUIDEQA_PORT": str(port)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["make", "run"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        healthy = time.perf_counter() - started
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            box = page.get_by_test_id("stChatInputTextArea")
            box.wait_for(timeout=600_000)
            page.get_by_test_id("stSpinner").wait_for(state="detached", timeout=600_000)
            ready = time.perf_counter() - started
            asked = time.perf_counter()
            box.fill(SEED)
            box.press("Enter")
            page.locator(".st-key-verdict-0").wait_for(timeout=600_000)
            answered = time.perf_counter()
            if screenshot:  # Streamlit scrolls inside its own container: a tall window shows the whole card
                page.locator('a[href="#ref-0-1"]').first.wait_for()
                page.set_viewport_size({"width": 1400, "height": 2900})
                page.locator(".st-key-references-0 [data-testid=stExpander]").first.click()
                time.sleep(1.5)
                page.screenshot(path=str(screenshot))
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return {
        "server_healthy_s": round(healthy, 1),
        "chat_ready_s": round(ready, 1),
        "answer_after_enter_s": round(answered - asked, 2),
        "first_answer_after_make_run_s": round(answered - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        print("fresh data directory (first run indexes the starter corpus):", one_run(home, None))
        print("second make run (index exists):", one_run(home, args.screenshot))
    return 0


if __name__ == "__main__":
    from core.settings import apply_offline_defaults

    apply_offline_defaults()  # an entry point: `make run` and the browser inherit the offline defaults
    raise SystemExit(main())
