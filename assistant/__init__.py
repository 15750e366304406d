"""Assistant: understand the question, retrieve evidence, decide, compose and validate an Answer.

``query`` and ``clinical/`` read the question; ``retrieval`` reads the store (the one module that
does) and gathers the evidence; ``decide/`` turns plain records into verdicts; ``engines/``
assemble an answer through a read-only :class:`assistant.corpus.CorpusReader`; ``compose`` and
``schema`` build and validate it; ``service.Assistant`` is the one entry point. Imports ``core``
and ``store``; never ``ingest``, ``editorial``, ``ui`` or ``evals``.
"""
