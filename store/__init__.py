"""Store: everything one data directory holds, and what keeps it consistent.

The SQLite manifest (the truth: revisions, chunk texts, evidence, the audit log), the vector store
(Chroma, or an in-memory double), the embedders and the query-time encoder, and the one-writer
lock; the keyword (BM25) index is an FTS5 table inside the manifest. :class:`store.store.Store`
opens them together; its module's functions keep the vector store in line with the manifest. Imports only ``core``.
"""
