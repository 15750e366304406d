"""Editorial: who may change the corpus, how a revision moves through review, and the editors' view of it.

:mod:`editorial.users` (accounts and roles), :mod:`editorial.lifecycle` (every corpus-changing
action, checked, locked and audited) and :class:`editorial.catalog.Catalog` (the one object the
CLI and the editor page call). Imports ``core``, ``store`` and ``ingest`` (adding a document
parses it); never ``assistant``, ``ui`` or ``evals``.
"""
