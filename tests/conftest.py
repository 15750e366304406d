"""Shared fixtures: real Chroma in temporary directories and the packaged MiniLM, loaded once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.records import Status
from core.settings import Settings, apply_offline_defaults
from ingest.pipeline import ingest_paths
from store.store import Store

# The test process is an entry point: the model libraries' offline defaults, before any of them is imported.
apply_offline_defaults()

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_EVALSET = FIXTURES / "evalset"
FIXTURE_CORPUS = FIXTURE_EVALSET / "corpus"
SHARED = ROOT.parent / "shared"

SEED_QUESTION = (
    "Are procedures 64635 and 64636 medically indicated for a patient with M47.817 spondylosis without "
    "myelopathy or radiculopathy, lumbosacral region, and a history of prior spinal fusion?"
)


def copy_corpus(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture(scope="session")
def fixture_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The synthetic fixture corpus, ingested once per session with MiniLM into real Chroma."""
    settings = Settings(home=tmp_path_factory.mktemp("fixture-index"))
    store = Store(settings)
    report = ingest_paths(store, [FIXTURE_CORPUS], status=Status.approved)
    assert not report.failed
    store.close()
    return settings


@pytest.fixture(scope="session")
def starter_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The project's starter corpus/, ingested once per session with MiniLM into real Chroma."""
    settings = Settings(home=tmp_path_factory.mktemp("starter-index"))
    store = Store(settings)
    report = ingest_paths(store, [ROOT / "corpus"])
    assert not report.failed, report.failed
    store.close()
    return settings


@pytest.fixture(scope="session")
def chat_settings(starter_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The starter index plus the markup fixture document (approved): what the chat UI tests ask.

    A copy of the session's starter index, so adding the fixture document changes no other test.
    """
    home = tmp_path_factory.mktemp("chat-index") / "home"
    shutil.copytree(starter_settings.home, home)
    settings = Settings(home=home)
    store = Store(settings)
    report = ingest_paths(store, [FIXTURES / "markup"], status=Status.approved, approved_by="test-editor")
    assert report.added == ["fx-markup-in-text"], report
    store.close()
    return settings
