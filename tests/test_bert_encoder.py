"""The plain-torch MiniLM gives the vectors ``SentenceTransformer.encode`` gives (the index's embedder).

Indexes built before the switch, and any built with sentence-transformers, must keep answering the
same, so the two implementations are compared on real chunk texts with the packaged model.
"""

from __future__ import annotations

import numpy as np

from store.embedders import build_embedder
from tests.conftest import FIXTURE_CORPUS, SEED_QUESTION


def test_plain_torch_minilm_matches_sentence_transformers() -> None:
    texts = [p.read_text(encoding="utf-8")[:4000] for p in sorted(FIXTURE_CORPUS.iterdir())]
    texts += [line for p in sorted(FIXTURE_CORPUS.iterdir()) for line in p.read_text().splitlines() if line.strip()]
    texts += [SEED_QUESTION, "", "   padded   ", "word " * 600]  # empty, whitespace, truncated at 256 tokens
    expected = build_embedder("minilm-st", 16).embed(texts)  # sentence-transformers itself
    got = build_embedder("minilm", 16).embed(texts)
    assert got.shape == expected.shape == (len(texts), 384)
    assert np.abs(got - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
