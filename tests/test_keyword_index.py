"""The FTS5 keyword index: the same ranking as the bm25s index it replaced, O(document) updates, crash-safe.

The index lives in the manifest (:mod:`store.manifest`) and is written in the transaction that
swaps a document's served revision, so these tests count the rows an action writes and check that
a transaction failing half-way leaves the index and the revisions as they were. The hashing
embedder and in-memory vectors stand in for MiniLM and Chroma: relevance is BM25's alone here.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import bm25s
import pytest

from core.records import Status
from core.settings import Settings
from core.textnorm import terms
from editorial import lifecycle
from editorial.users import User
from ingest.pipeline import ingest_paths
from store.bm25_index import BM25Index
from store.manifest import Manifest
from store.store import Store
from store.vector_store import InMemoryVectorStore
from tests.conftest import FIXTURE_CORPUS

EDITOR = User("erin", "editor")
DOC = "fx-hypertension-screening"
K1, B = 1.2, 0.75  # FTS5's bm25() constants (fixed in SQLite's source)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE_CORPUS, tmp_path / "corpus"))


@pytest.fixture
def store(tmp_path: Path, corpus: Path) -> Store:
    store = Store(
        Settings(home=tmp_path / "home", embedder="hashing", vector_store="memory"), vectors=InMemoryVectorStore()
    )
    ingest_paths(store, [corpus], status=Status.approved, approved_by="test-editor")
    return store


def _queries(store: Store) -> list[list[str]]:
    """Queries taken from the corpus itself: four terms from the body (the end) of every chunk."""
    _, corpus_terms, _ = store.manifest.all_terms()
    out = []
    for chunk_terms in corpus_terms:
        distinct = list(dict.fromkeys(reversed(chunk_terms)))
        if len(distinct) >= 6 and distinct[1:5] not in out:
            out.append(distinct[1:5])
    return out


def _ranked(hits: list[tuple[str, float]], scale: float = 1.0) -> list[tuple[float, frozenset[str]]]:
    """Hits grouped by (rounded) score, best first: ties may come in either order."""
    groups: dict[float, set[str]] = {}
    for cid, score in hits:
        groups.setdefault(round(score * scale, 3), set()).add(cid)
    return [(score, frozenset(ids)) for score, ids in sorted(groups.items(), reverse=True)]


def _rows(manifest: Manifest) -> set[tuple[int, str, str]]:
    return set(manifest._db.execute("SELECT id, chunk_id, doc_id FROM keyword_rows").fetchall())


def _revised(corpus: Path, tmp_path: Path) -> Path:
    path = tmp_path / "revised.md"
    text = (corpus / f"{DOC}.md").read_text()
    path.write_text(text.replace("## Recommendations", "## Recommendations\n- Home readings help confirm it."))
    return path


def test_the_index_holds_exactly_the_served_chunks_with_their_stored_terms(store: Store) -> None:
    assert set(store.keywords.ids) == store.manifest.served_chunk_ids()
    indexed = dict(
        store.manifest._db.execute(
            "SELECT k.chunk_id, f.terms FROM keyword_rows k JOIN keyword_index f ON f.rowid = k.id"
        ).fetchall()
    )
    ids, corpus_terms, _ = store.manifest.all_terms()
    assert indexed == {cid: " ".join(t) for cid, t in zip(ids, corpus_terms, strict=True)}
    # The tokenizer keeps every stored term whole ("7.5" stays one term, not "7" and "5").
    for cid, text in list(indexed.items())[:20]:
        for term in set(text.split()):
            assert cid in {c for c, _ in store.keywords.search([term], 10_000)}, term


def test_ranking_equals_bm25_with_fts5_constants_and_agrees_with_the_old_index(store: Store) -> None:
    ids, corpus_terms, doc_ids = store.manifest.all_terms()  # all served here
    same_formula = bm25s.BM25(method="robertson", k1=K1, b=B)
    same_formula.index([t or ["_empty_"] for t in corpus_terms], show_progress=False)
    reference = BM25Index(same_formula, ids, doc_ids)
    old = BM25Index.build(ids, corpus_terms, doc_ids)  # what GuideQA used before (bm25s lucene, k1=1.5)
    queries = _queries(store)
    assert len(queries) >= 10
    top1_same = 0
    repeated = [q + q[:1] for q in queries[:5]]  # a repeated query term counts twice in both
    for query in queries + repeated:
        got = store.keywords.search(query, 10)
        want = reference.search(query, 10)
        assert got, query
        # FTS5 multiplies the term-frequency part by (k1 + 1); bm25s's robertson variant does not.
        scores = dict(want)
        for cid, score in got:
            if cid in scores:
                assert score == pytest.approx((K1 + 1) * scores[cid], rel=1e-3), (query, cid)
        assert _ranked(got)[:3] == _ranked(want, K1 + 1)[:3], query
        best = _ranked(got)[0][1]
        top1_same += bool(best & _ranked(old.search(query, 10))[0][1])
    n = len(queries) + len(repeated)
    assert top1_same >= 0.9 * n, f"top-1 agrees with the old index on {top1_same}/{n}"


def test_approve_and_retire_write_only_that_documents_rows(store: Store, corpus: Path, tmp_path: Path) -> None:
    manifest = store.manifest
    before = _rows(manifest)
    others = {r for r in before if r[2] != DOC}
    n_old = sum(1 for r in before if r[2] == DOC)

    written = manifest.keyword_rows_written
    added = lifecycle.add_document(store, EDITOR, _revised(corpus, tmp_path), revise=True)
    assert manifest.keyword_rows_written == written, "a submitted revision is not served: no row is written"
    assert _rows(manifest) == before

    lifecycle.transition(store, EDITOR, DOC, "review")
    written = manifest.keyword_rows_written
    lifecycle.transition(store, EDITOR, DOC, "approve")
    n_new = len(manifest.rev_chunk_ids(DOC, added.rev))
    assert manifest.keyword_rows_written - written == n_old + n_new
    after = _rows(manifest)
    assert {r for r in after if r[2] != DOC} == others, "another document's rows were rewritten"
    assert {r[1] for r in after if r[2] == DOC} == set(manifest.rev_chunk_ids(DOC, added.rev))

    written = manifest.keyword_rows_written
    lifecycle.transition(store, EDITOR, DOC, "retire")
    assert manifest.keyword_rows_written - written == n_new
    assert _rows(manifest) == others
    assert not [c for c, _ in store.keywords.search(terms("home readings help confirm"), 100) if c.startswith(DOC)]


def test_a_single_document_ingest_writes_only_its_rows(store: Store, corpus: Path, tmp_path: Path) -> None:
    manifest = store.manifest
    before = _rows(manifest)
    extra = tmp_path / "extra"
    extra.mkdir()
    source = corpus / f"{DOC}.md"
    (extra / "fx-hypertension-copy.md").write_text(source.read_text().replace(DOC, "fx-hypertension-copy"))
    written = manifest.keyword_rows_written
    report = ingest_paths(store, [corpus, extra], status=Status.approved, approved_by="test-editor")
    assert report.added == ["fx-hypertension-copy"]
    n = len(manifest.rev_chunk_ids("fx-hypertension-copy", 1))
    assert n and manifest.keyword_rows_written - written == n
    after = _rows(manifest)
    assert before < after and {r[2] for r in after - before} == {"fx-hypertension-copy"}


@pytest.mark.parametrize("action", ["approve", "retire"])
def test_a_failure_inside_the_transaction_leaves_index_and_revisions_as_they_were(
    store: Store, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    lifecycle.add_document(store, EDITOR, _revised(corpus, tmp_path), revise=True)
    lifecycle.transition(store, EDITOR, DOC, "review")
    if action == "retire":
        lifecycle.transition(store, EDITOR, DOC, "approve")
    rows, served = _rows(store.manifest), store.manifest.served_revisions()
    statuses = [(r.rev, r.status) for r in store.manifest.revisions(DOC)]

    def crash(db: object) -> None:  # runs after the keyword rows are rewritten, before the commit
        raise RuntimeError("power cut")

    monkeypatch.setattr(Manifest, "_bump", staticmethod(crash))
    with pytest.raises(RuntimeError, match="power cut"):
        lifecycle.transition(store, EDITOR, DOC, action)
    monkeypatch.undo()

    reopened = Manifest(store.settings.manifest_path)
    assert _rows(reopened) == rows
    assert reopened.served_revisions() == served
    assert [(r.rev, r.status) for r in reopened.revisions(DOC)] == statuses
    assert set(reopened.keyword_chunk_ids()) == reopened.served_chunk_ids()
    reopened.close()
    assert _rows(store.manifest) == rows  # the writer's own connection rolled back too


def test_an_older_manifest_fills_the_index_when_it_is_upgraded(store: Store) -> None:
    path = store.settings.manifest_path
    expected = set(store.keywords.ids)
    query = _queries(store)[0]
    want = store.keywords.search(query, 5)
    store.close()

    db = sqlite3.connect(path)
    db.execute("DROP TABLE keyword_index")
    db.execute("DROP TABLE keyword_rows")
    db.execute("UPDATE info SET value='3' WHERE key='schema_version'")
    db.commit()
    db.close()
    upgraded = Manifest(path)
    assert upgraded.get_info("schema_version") == "4"
    assert set(upgraded.keyword_chunk_ids()) == expected == upgraded.served_chunk_ids()
    assert upgraded.keyword_search(query, 5) == want
    upgraded.close()
