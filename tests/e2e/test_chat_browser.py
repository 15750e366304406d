"""End to end: the real Streamlit server, driven by headless Debian Chromium through Playwright.

Nothing is faked: the app answers from the starter corpus (plus the markup fixture document) in
real Chroma with the packaged MiniLM model. Playwright's own browser download cannot work here, so
it launches /usr/bin/chromium (installed by .ci/run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.conftest import ROOT, SEED_QUESTION
from tests.servers import free_port, stop
from tests.test_app import MARKUP_QUESTION

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ANSWER_TIMEOUT_MS = 180_000

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing in CI: .ci/run must install Debian's chromium")
    pytest.skip(f"{CHROMIUM} not installed (run .ci/run, or apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(chat_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "GUIDEQA_HOME": str(chat_settings.home)}
    cmd = [
        sys.executable, "-m", "streamlit", "run", "ui/app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not become healthy; log:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop(proc)


@pytest.fixture
def page(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 1000})
            pg.goto(server)
            pg.get_by_test_id("stChatInputTextArea").wait_for(timeout=ANSWER_TIMEOUT_MS)
            yield pg
        finally:
            browser.close()


def _ask(page: object, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")  # type: ignore[attr-defined]
    box.fill(question)
    box.press("Enter")


def test_seed_question_related_question_and_screenshot(page: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    _ask(page, SEED_QUESTION)
    badge = page.locator(".st-key-verdict-0")  # type: ignore[attr-defined]
    badge.wait_for(timeout=ANSWER_TIMEOUT_MS)
    # Streamlit streams a card element by element: wait for its last part (the feedback buttons).
    page.locator(".st-key-up-0").wait_for(timeout=ANSWER_TIMEOUT_MS)  # type: ignore[attr-defined]
    assert badge.inner_text().strip() in {"Indicated", "Not indicated", "Conditional", "Insufficient evidence"}
    links = page.locator('a[href^="#ref-0-"]')  # type: ignore[attr-defined]
    assert links.count() >= 3
    references = page.locator(".st-key-references-0")  # type: ignore[attr-defined]
    expect(references).to_contain_text("References")
    assert references.get_by_test_id("stExpander").count() >= 1
    # A citation link jumps to an anchor that exists in the reference list.
    target = links.first.get_attribute("href")
    assert target
    anchor = page.locator(f"[id='{target[1:]}']")  # type: ignore[attr-defined]
    anchor.wait_for(state="attached", timeout=10_000)  # the HTML element's code loads lazily
    assert anchor.count() == 1

    related = page.locator(".st-key-related-0-0 button")  # type: ignore[attr-defined]
    question = related.inner_text().strip()
    related.click()
    page.locator(".st-key-up-1").wait_for(timeout=ANSWER_TIMEOUT_MS)  # type: ignore[attr-defined]
    expect(page.get_by_test_id("stChatMessage").nth(2)).to_contain_text(question)  # type: ignore[attr-defined]
    assert page.locator('a[href^="#ref-1-"]').count() >= 1  # type: ignore[attr-defined]

    shot = tmp_path / "guideqa-chat.png"
    page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
    assert shot.stat().st_size > 10_000
    if os.environ.get("GUIDEQA_SCREENSHOT"):  # `GUIDEQA_SCREENSHOT=docs/chat.png` refreshes the README image
        Path(os.environ["GUIDEQA_SCREENSHOT"]).write_bytes(shot.read_bytes())


def test_document_markup_shows_as_text_and_never_runs(page: object) -> None:
    from playwright.sync_api import expect

    _ask(page, MARKUP_QUESTION)
    page.locator(".st-key-up-0").wait_for(timeout=ANSWER_TIMEOUT_MS)  # type: ignore[attr-defined]
    references = page.locator(".st-key-references-0")  # type: ignore[attr-defined]
    expect(references).to_contain_text("<script>window.__guideqa_injected = 'title'</script>")
    references.get_by_test_id("stExpander").first.click()
    expect(references).to_contain_text("""<img src=x onerror="window.__guideqa_injected = 'publisher'">""")
    assert page.evaluate("window.__guideqa_injected === undefined")  # type: ignore[attr-defined]
    assert page.locator("img[onerror]").count() == 0  # type: ignore[attr-defined]
    assert not page.evaluate(  # type: ignore[attr-defined]
        "[...document.scripts].some(s => s.textContent.includes('__guideqa_injected'))"
    )
