"""Render an ``Answer`` for the terminal. Rendering only: nothing here re-derives a verdict."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from assistant.schema import VERDICT_LABELS, Answer, CriterionStatus, Determination

_COLOURS = {
    Determination.indicated: "green",
    Determination.not_indicated: "red",
    Determination.conditional: "yellow",
    Determination.insufficient_evidence: "magenta",
}
_MARKS = {
    CriterionStatus.met: "[green]✔ met[/]",
    CriterionStatus.not_met: "[red]✘ not met[/]",
    CriterionStatus.unknown: "[yellow]? unknown[/]",
}


def _cites(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def render_answer(answer: Answer, console: Console) -> None:
    if answer.kind == "information":  # the lists answer it: no verdict is shown
        colour = "blue"
        header = Text.assemble(("INFORMATION", "bold"), "  ", answer.headline)
    else:
        colour = _COLOURS[answer.determination]
        header = Text.assemble((VERDICT_LABELS[answer.determination].upper(), f"bold {colour}"), "  ", answer.headline)
    parts: list[object] = [header]
    if answer.understood_as:
        parts.append(Text(f"understood as: {answer.understood_as}", style="dim"))
    if answer.criteria:
        parts.append(Text("\nCriteria", style="bold"))
        for c in answer.criteria:
            parts.append(
                Text.from_markup(f"  {_MARKS[c.status]}  ")
                + Text(f"{c.criterion} {_cites(c.citations)}")
                + Text(f"  — {c.reason}", style="dim")
            )
    for section in answer.sections:
        parts.append(Text(f"\n{section.title}", style="bold"))
        for b in section.bullets:
            parts.append(Text(f"  • {b.text} {_cites(b.citations)}"))
    if answer.references:
        parts.append(Text("\nReferences", style="bold"))
        for r in answer.references:
            line = f"  [{r.number}] {r.title}. {r.publisher}, {r.year or 'n.d.'} (v{r.version}; cited as {r.cited_as})"
            if r.section:
                line += f" — {r.section}"
            parts.append(Text(line))
            parts.append(Text(f"      “{r.quote[:220]}{'…' if len(r.quote) > 220 else ''}”", style="dim"))
            if r.source_url:
                parts.append(Text(f"      {r.source_url}", style="dim underline"))
    if answer.related_questions:
        parts.append(Text("\nRelated questions", style="bold"))
        for q in answer.related_questions:
            parts.append(Text(f"  - {q}"))
    if answer.fallback:
        parts.append(Text(f"\n{answer.fallback}", style="yellow"))
    total = answer.timings.get("total_ms")
    footer = f"\n{answer.disclaimer}\nengine: {answer.engine}" + (f" · {total:.0f} ms" if total is not None else "")
    parts.append(Text(footer, style="dim"))
    console.print(Panel(Group(*parts), title="GuideQA", border_style=colour))  # type: ignore[arg-type]
