"""Settings: importing them changes nothing in the process; the entry points apply the offline defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from core.settings import OFFLINE_DEFAULTS, Settings
from tests.conftest import ROOT

PROBE = """
import json, os
before = dict(os.environ)
import core.settings
after_import = dict(os.environ)
core.settings.apply_offline_defaults()
print(json.dumps({"import_changed": after_import != before,
                  "applied": {k: os.environ.get(k) for k in core.settings.OFFLINE_DEFAULTS}}))
"""


def test_importing_the_settings_does_not_touch_the_environment_and_the_entry_points_apply_the_defaults():
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_DEFAULTS}
    env["TRANSFORMERS_VERBOSITY"] = "info"  # a variable the user set is left as it is
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    ).stdout
    result = json.loads(out)
    assert result["import_changed"] is False
    assert result["applied"] == {**OFFLINE_DEFAULTS, "TRANSFORMERS_VERBOSITY": "info"}


def test_every_guideqa_variable_keeps_its_flat_name(monkeypatch, tmp_path):
    monkeypatch.setenv("GUIDEQA_HOME", str(tmp_path))
    monkeypatch.setenv("GUIDEQA_TOP_DOCS", "3")
    monkeypatch.setenv("GUIDEQA_LLM_MAX_SOURCES", "4")
    monkeypatch.setenv("GUIDEQA_LOCK_TIMEOUT_S", "1.5")
    monkeypatch.setenv("GUIDEQA_STARTER_CORPUS", str(tmp_path / "corpus"))
    settings = Settings()
    assert (settings.home, settings.top_docs, settings.llm_max_sources, settings.lock_timeout_s) == (
        tmp_path,
        3,
        4,
        1.5,
    )
    assert settings.starter_corpus == tmp_path / "corpus"
    assert settings.manifest_path == tmp_path / "manifest.sqlite"
