"""Vector stores behind one small interface: persistent Chroma, and an in-memory test double.

Chroma never embeds anything itself here: its default embedding function downloads a model and
fails offline, so GuideQA always hands it vectors computed by its own embedder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from core.private import private_dir


class VectorStore(Protocol):
    def upsert(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict[str, Any]]) -> None: ...
    def delete_ids(self, ids: list[str]) -> None: ...
    def delete_doc(self, doc_id: str) -> None: ...
    def ids(self) -> set[str]: ...
    def count(self, doc_id: str | None = None) -> int: ...
    def set_status(self, doc_id: str, status: str) -> None: ...
    def update_metadata(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None: ...
    def metadata(self, ids: list[str]) -> dict[str, dict[str, Any]]: ...
    def embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors of those ids that exist (a new revision copies them instead of re-embedding)."""
        ...

    def query(self, vector: np.ndarray, k: int, status: str | None = "approved") -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first, optionally only chunks of a given status."""
        ...


class ChromaServerError(RuntimeError):
    """The configured Chroma server cannot be reached or used."""


def chroma_client(
    path: Path, url: str | None = None, tenant: str = "default_tenant", database: str = "default_database"
) -> Any:
    """The Chroma client: embedded in ``path`` by default, or a Chroma server when ``url`` is set.

    A server is what lets several GuideQA processes (or machines) share one vector index; the
    embedded client keeps everything in one folder and needs no process to run.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    options = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if not url:
        private_dir(path)
        return chromadb.PersistentClient(path=str(path), settings=options)
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ChromaServerError(f"GUIDEQA_CHROMA_URL '{url}' is not an http(s)://host:port address")
    port = parsed.port or (443 if parsed.scheme == "https" else 8000)
    try:
        return chromadb.HttpClient(
            host=parsed.hostname,
            port=port,
            ssl=parsed.scheme == "https",
            settings=options,
            tenant=tenant,
            database=database,
        )
    except Exception as exc:  # chromadb raises ValueError/ConnectionError variants when the server is down
        raise ChromaServerError(f"cannot use the Chroma server at {url} (GUIDEQA_CHROMA_URL): {exc}") from exc


class ChromaVectorStore:
    """A Chroma collection (cosine space): embedded in the data directory, or on a Chroma server."""

    def __init__(
        self,
        path: Path,
        collection: str,
        embedder_name: str,
        *,
        url: str | None = None,
        tenant: str = "default_tenant",
        database: str = "default_database",
    ) -> None:
        where = url or path
        self._client = chroma_client(path, url, tenant, database)
        self._col = self._client.get_or_create_collection(
            name=collection,
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "embedder": embedder_name},
        )
        stored = (self._col.metadata or {}).get("embedder")
        if stored and stored != embedder_name:
            raise RuntimeError(
                f"the index in {where} was built with embedder '{stored}', not '{embedder_name}': "
                "use the same GUIDEQA_EMBEDDER or another GUIDEQA_HOME"
            )
        self._batch = max(1, min(self._client.get_max_batch_size(), 2000))

    def upsert(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict[str, Any]]) -> None:
        for start in range(0, len(ids), self._batch):
            end = start + self._batch
            self._col.upsert(
                ids=ids[start:end],
                embeddings=vectors[start:end].tolist(),
                metadatas=metadatas[start:end],
            )

    def delete_ids(self, ids: list[str]) -> None:
        for start in range(0, len(ids), self._batch):
            self._col.delete(ids=ids[start : start + self._batch])

    def delete_doc(self, doc_id: str) -> None:
        self._col.delete(where={"doc_id": doc_id})

    def ids(self) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            got = self._col.get(include=[], limit=5000, offset=offset)
            out.update(got["ids"])
            if len(got["ids"]) < 5000:
                return out
            offset += 5000

    def count(self, doc_id: str | None = None) -> int:
        if doc_id is None:
            return int(self._col.count())
        return len(self._col.get(where={"doc_id": doc_id}, include=[])["ids"])

    def set_status(self, doc_id: str, status: str) -> None:
        ids = self._col.get(where={"doc_id": doc_id}, include=[])["ids"]
        if ids:
            self.update_metadata(ids, [{"status": status} for _ in ids])

    def metadata(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        got = self._col.get(ids=ids, include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"] or [], strict=False)}

    def embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), self._batch):
            got = self._col.get(ids=ids[start : start + self._batch], include=["embeddings"])
            vectors = got.get("embeddings")
            if vectors is not None:
                out.update((i, np.asarray(v, dtype=np.float32)) for i, v in zip(got["ids"], vectors, strict=True))
        return out

    def update_metadata(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None:
        for start in range(0, len(ids), self._batch):
            end = start + self._batch
            self._col.update(ids=ids[start:end], metadatas=metadatas[start:end])

    def query(self, vector: np.ndarray, k: int, status: str | None = "approved") -> list[tuple[str, float]]:
        total = self._col.count()
        if total == 0:
            return []
        # Chroma's metadata-filtered search is ~30x slower than a plain HNSW query here, and nearly
        # every indexed chunk is approved: over-fetch without the filter, filter the few others out,
        # and fall back to the filtered query only when that leaves too few.
        n = min(total, k * 3 if status else k)
        res = self._col.query(query_embeddings=[vector.tolist()], n_results=n, include=["distances", "metadatas"])
        rows = zip(res["ids"][0], (res.get("distances") or [[]])[0], (res.get("metadatas") or [[]])[0], strict=False)
        hits = [(i, 1.0 - float(d)) for i, d, m in rows if status is None or (m or {}).get("status") == status]
        if status and len(hits) < k and n < total:
            res = self._col.query(
                query_embeddings=[vector.tolist()],
                n_results=min(k, total),
                where={"status": status},
                include=["distances"],
            )
            hits = [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], (res.get("distances") or [[]])[0], strict=False)]
        return hits[:k]


class InMemoryVectorStore:
    """Test double: brute-force cosine search over numpy arrays, same contract as Chroma."""

    def __init__(self) -> None:
        self._vectors: dict[str, np.ndarray] = {}
        self._meta: dict[str, dict[str, Any]] = {}

    def upsert(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict[str, Any]]) -> None:
        for i, v, m in zip(ids, vectors, metadatas, strict=True):
            self._vectors[i] = np.asarray(v, dtype=np.float32)
            self._meta[i] = dict(m)

    def delete_ids(self, ids: list[str]) -> None:
        for i in ids:
            self._vectors.pop(i, None)
            self._meta.pop(i, None)

    def delete_doc(self, doc_id: str) -> None:
        self.delete_ids([i for i, m in self._meta.items() if m.get("doc_id") == doc_id])

    def ids(self) -> set[str]:
        return set(self._vectors)

    def count(self, doc_id: str | None = None) -> int:
        if doc_id is None:
            return len(self._vectors)
        return sum(1 for m in self._meta.values() if m.get("doc_id") == doc_id)

    def set_status(self, doc_id: str, status: str) -> None:
        for m in self._meta.values():
            if m.get("doc_id") == doc_id:
                m["status"] = status

    def metadata(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {i: dict(self._meta[i]) for i in ids if i in self._meta}

    def embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        return {i: self._vectors[i] for i in ids if i in self._vectors}

    def update_metadata(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None:
        for i, m in zip(ids, metadatas, strict=True):
            if i in self._meta:
                self._meta[i].update(m)

    def query(self, vector: np.ndarray, k: int, status: str | None = "approved") -> list[tuple[str, float]]:
        keys = [i for i, m in self._meta.items() if status is None or m.get("status") == status]
        if not keys:
            return []
        sims = np.stack([self._vectors[i] for i in keys]) @ vector
        order = np.argsort(-sims)[:k]
        return [(keys[j], float(sims[j])) for j in order]


def build_vector_store(
    name: str,
    path: Path,
    collection: str,
    embedder_name: str,
    *,
    url: str | None = None,
    tenant: str = "default_tenant",
    database: str = "default_database",
) -> VectorStore:
    if name == "chroma":
        return ChromaVectorStore(path, collection, embedder_name, url=url, tenant=tenant, database=database)
    if name == "memory":
        return InMemoryVectorStore()
    raise ValueError(f"unknown vector store '{name}' (choose chroma or memory; set GUIDEQA_VECTOR_STORE)")
