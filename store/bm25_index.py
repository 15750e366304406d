"""The bm25s index GuideQA used before the FTS5 keyword index (:mod:`store.manifest`): now only the
reference ``tests/test_keyword_index.py`` checks the FTS5 ranking against. Nothing serves from it.

Terms come from :func:`core.textnorm.terms`, so "A/P w/ and w/o" in a question meets "abdomen and
pelvis without and with contrast" in a table row. The index is rebuilt from the manifest's stored
terms after any change (cheap next to embedding) and saved as a whole, then swapped in by rename,
so a crash never leaves a half-written index behind.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bm25s
import numpy as np


class BM25Index:
    def __init__(
        self, retriever: bm25s.BM25 | None, ids: list[str], doc_ids: list[str], generation: str | None = None
    ) -> None:
        self._retriever = retriever
        self.ids = ids
        self.doc_ids = doc_ids  # the document of each chunk, for status masks
        # Which rebuild this is (recorded in the manifest too): another process sharing the data
        # directory sees a different generation in the manifest and reloads.
        self.generation = generation
        self._vocab: dict[str, int] = dict(getattr(retriever, "vocab_dict", None) or {})

    @classmethod
    def build(cls, ids: list[str], corpus_terms: list[list[str]], doc_ids: list[str]) -> BM25Index:
        if not ids:
            return cls(None, [], [])
        retriever = bm25s.BM25()
        retriever.index([t or ["_empty_"] for t in corpus_terms], show_progress=False)
        return cls(retriever, list(ids), list(doc_ids))

    def save(self, directory: Path) -> None:
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._retriever is not None:
            self._retriever.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(
            json.dumps({"ids": self.ids, "doc_ids": self.doc_ids, "generation": self.generation})
        )
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        ids_file = directory / "ids.json"
        if not ids_file.exists():
            return cls(None, [], [])
        data = json.loads(ids_file.read_text())
        if not data["ids"]:
            return cls(None, [], [], data.get("generation"))
        retriever = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
        return cls(retriever, data["ids"], data["doc_ids"], data.get("generation"))

    def search(self, query_terms: list[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(chunk id, score) best first; ``allowed`` is a 0/1 mask over ``ids`` (status filter)."""
        known = [t for t in query_terms if t in self._vocab]
        if self._retriever is None or not known:
            return []
        scores = self._retriever.get_scores(known)
        if allowed is not None:
            scores = np.where(allowed > 0, scores, 0.0)
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
