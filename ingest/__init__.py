"""Ingest: parse guideline documents, chunk them, extract structured evidence, embed and index.

Stage two of the flow ``corpus/`` → ``ingest/`` → store → ``assistant/`` → ``ui/`` and ``evals/``.
Nothing here imports from ``assistant``, ``ui`` or ``evals``.
"""
