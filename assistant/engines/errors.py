"""Errors raised while choosing and building an answer engine; their message is shown to the user."""

from __future__ import annotations


class UnknownEngineError(ValueError):
    """The engine asked for cannot be built: an unknown name, or (subclass) missing configuration."""


class EngineConfigError(UnknownEngineError):
    """A known engine lacks configuration or an optional package; the message says what to set or install.

    A subclass of :class:`UnknownEngineError` so every caller that already reports a bad engine
    name (CLI, UI, evals) reports this one too, with its own message.
    """
