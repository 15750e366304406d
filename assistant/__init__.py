"""Assistant: understand the question, retrieve evidence, decide, compose and validate an Answer.

Reads the store built by ``ingest``; never imports ``ui`` or ``evals``.
"""
