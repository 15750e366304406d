"""Ingest: turn a document file into records: read, parse, chunk, extract evidence, then index them.

Readers and parsing turn a file into blocks, chunking and evidence extraction turn blocks into
records (:mod:`core.records`), and the pipeline writes them to the store. Imports only ``core``
and ``store``; never ``assistant``, ``editorial``, ``ui`` or ``evals``.
"""
