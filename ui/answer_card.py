"""The answer card: one ``Answer`` rendered in Streamlit, for physicians or patients.

Rendering only: nothing here re-derives a verdict. Text that comes from documents (bullets,
criteria, quotes, titles) is escaped for Markdown before display, so ``<script>`` or
``<img onerror>`` in a document shows as text; no corpus text ever goes through
``unsafe_allow_html`` or ``st.html``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st

from assistant.plain_language import PatientView, patient_view
from assistant.schema import VERDICT_LABELS, Answer, CriterionStatus, Determination, Reference

# Badge colours; the physician's label text is assistant.schema.VERDICT_LABELS.
VERDICT_COLOURS = {
    Determination.indicated: "green",
    Determination.not_indicated: "red",
    Determination.conditional: "orange",
    Determination.insufficient_evidence: "gray",
}
PATIENT_VERDICT = {
    Determination.indicated: "Supported",
    Determination.not_indicated: "Not supported",
    Determination.conditional: "Only in some cases",
    Determination.insufficient_evidence: "No clear answer",
}
STATUS_MARK = {
    CriterionStatus.met: ":green[✔ met]",
    CriterionStatus.not_met: ":red[✘ not met]",
    CriterionStatus.unknown: ":orange[? unknown]",
}
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# Every ASCII punctuation character can be backslash-escaped in CommonMark; escaping them all
# turns document text into literal text (no links, no HTML, no emphasis, no LaTeX).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&])")


def md_escape(text: str) -> str:
    """Document text as literal Markdown text (tags, links and emphasis shown, never interpreted)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def ref_anchor(turn: int, number: int) -> str:
    return f"ref-{turn}-{number}"


def citation_links(numbers: list[int], turn: int) -> str:
    """Superscript citation numbers, each a link to its entry in the reference list."""
    return "".join(f"[{str(n).translate(_SUPERSCRIPT)}](#{ref_anchor(turn, n)})" for n in numbers)


def answer_markdown(answer: Answer) -> str:
    """The answer as plain Markdown for copying into a note (document text escaped)."""
    lead = "Information" if answer.kind == "information" else VERDICT_LABELS[answer.determination]
    lines = [f"**{lead}**: {md_escape(answer.headline)}", ""]
    lines.append(f"*Question:* {md_escape(answer.question)}")
    if answer.criteria:
        lines += ["", "**Criteria**"]
        for c in answer.criteria:
            cites = "".join(f"[{n}]" for n in c.citations)
            lines.append(f"- {c.status.value.replace('_', ' ')}: {md_escape(c.criterion)} {cites}".rstrip())
    for section in answer.sections:
        lines += ["", f"**{md_escape(section.title)}**"]
        for b in section.bullets:
            lines.append(f"- {md_escape(b.text)} {''.join(f'[{n}]' for n in b.citations)}")
    if answer.references:
        lines += ["", "**References**"]
        for r in answer.references:
            lines.append(f"{r.number}. {md_escape(_reference_line(r))}")
    lines += ["", f"_{answer.disclaimer}_"]
    return "\n".join(lines)


def _reference_line(r: Reference) -> str:
    parts = [r.title, r.publisher, str(r.year or "n.d."), f"version {r.version}"]
    if r.section:
        parts.append(f"section: {r.section}")
    return ". ".join(parts)


def _badge(answer: Answer, turn: int, audience: str) -> None:
    if answer.kind == "information":
        return  # "what documentation supports 64635?" is answered by the list; no verdict to show
    colour = VERDICT_COLOURS[answer.determination]
    label = PATIENT_VERDICT[answer.determination] if audience == "patient" else VERDICT_LABELS[answer.determination]
    with st.container(key=f"verdict-{turn}"):
        st.badge(label, color=colour)  # type: ignore[arg-type]


def _references(answer: Answer, turn: int) -> None:
    with st.container(key=f"references-{turn}"):
        st.markdown("**References**")
        for r in answer.references:
            # A fixed id from two integers (no document text) so citation links can jump here.
            st.html(f'<span id="{ref_anchor(turn, r.number)}"></span>')
            label = f"[{r.number}] {md_escape(r.title)} · {r.year or 'n.d.'}"
            with st.expander(label, expanded=False):
                st.markdown(f"> {md_escape(r.quote)}")
                st.markdown(
                    "\n".join(
                        [
                            f"- **Publisher:** {md_escape(r.publisher)}",
                            f"- **Year:** {r.year or '—'} · **Version:** {md_escape(r.version)}",
                            f"- **Review status:** {md_escape(r.status) if r.status else '—'}"
                            f" · **Last updated:** {md_escape(r.updated) if r.updated else '—'}",
                            f"- **Section:** {md_escape(r.section) if r.section else '—'}",
                            f"- **Cited as:** `{r.cited_as}`",
                        ]
                    )
                )
                if r.source_url and r.source_url.startswith(("https://", "http://")):
                    st.link_button("Open the public source", r.source_url)


def render_answer_card(
    answer: Answer,
    turn: int,
    *,
    audience: str = "physician",
    on_related: Callable[[str], None] | None = None,
) -> None:
    """One answer: verdict badge, headline, criteria, cited sections, references, related questions."""
    view: PatientView | None = patient_view(answer) if audience == "patient" else None
    _badge(answer, turn, audience)
    if view is not None:
        st.markdown(f"#### {md_escape(view.headline)}")
        with st.expander("What the guideline says, as written for doctors"):
            st.markdown(md_escape(answer.headline))
    else:
        st.markdown(f"#### {md_escape(answer.headline)}")

    if answer.criteria:
        st.markdown("**What the decision depends on**" if view else "**Criteria**")
        rows = []
        if view is not None:
            for status_text, line in view.criteria:
                rows.append(
                    f"- {md_escape(status_text)}: {md_escape(line.plain)}{citation_links(line.citations, turn)}"
                )
        else:
            for c in answer.criteria:
                reason = f" — _{md_escape(c.reason)}_" if c.reason else ""
                rows.append(
                    f"- {STATUS_MARK[c.status]} {md_escape(c.criterion)}{citation_links(c.citations, turn)}{reason}"
                )
        st.markdown("\n".join(rows))

    if view is not None:
        for title, lines in view.sections:
            st.markdown(f"**{md_escape(title)}**")
            st.markdown("\n".join(f"- {md_escape(x.plain)}{citation_links(x.citations, turn)}" for x in lines))
        if view.glossary:
            with st.expander("Words used on this page"):
                st.markdown(
                    "\n".join(
                        f"- **{md_escape(t.term)}**: {md_escape(t.plain)} _({md_escape(t.source)})_"
                        for t in view.glossary
                    )
                )
        with st.expander("The cited sentences, word for word"):
            for section in answer.sections:
                for b in section.bullets:
                    st.markdown(f"- {md_escape(b.text)}{citation_links(b.citations, turn)}")
    else:
        for section in answer.sections:
            st.markdown(f"**{md_escape(section.title)}**")
            st.markdown("\n".join(f"- {md_escape(b.text)}{citation_links(b.citations, turn)}" for b in section.bullets))

    if answer.references:
        _references(answer, turn)

    if answer.related_questions:
        st.markdown("**Related questions**")
        with st.container(key=f"related-{turn}"):
            for i, q in enumerate(answer.related_questions):
                if st.button(q, key=f"related-{turn}-{i}") and on_related is not None:
                    on_related(q)

    st.caption(view.note if view is not None else answer.disclaimer)
