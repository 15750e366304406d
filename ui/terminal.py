"""Printing to a terminal without letting printed text drive it.

Everything the CLI prints comes from somewhere an attacker may write: a question, a document's
title or quote, a chat visitor's feedback comment, a file name. :class:`SafeConsole` is a rich
``Console`` that passes the text of every segment through :func:`core.safetext.terminal_safe`
just before output, after rich laid it out, so escape sequences show as visible symbols while
rich's own styling (its control segments and the ANSI codes of styles) still works. :func:`echo`
does the same for plain ``click.echo`` output, and JSON output additionally escapes DEL, C1 and
bidi controls (:func:`core.safetext.json_safe`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click
from rich.console import Console
from rich.segment import Segment

from core.safetext import json_safe, terminal_safe


class SafeConsole(Console):
    """A rich Console whose printed text can never contain a terminal control sequence of its own."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        safe = (
            segment if segment.control else Segment(terminal_safe(segment.text), segment.style) for segment in buffer
        )
        return super()._render_buffer(safe)


def echo(text: str, **kwargs: Any) -> None:
    """``click.echo`` of text from outside, control characters shown as symbols."""
    click.echo(terminal_safe(text), **kwargs)


def echo_json(text: str) -> None:
    """``click.echo`` of JSON text: the JSON is unchanged in meaning, with no raw control character left."""
    click.echo(json_safe(text))
