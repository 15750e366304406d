"""GuideQA chat for physicians: `streamlit run ui/app.py` (what `make run` does).

Each turn: the physician's words -> the full question they imply (follow-ups resolved against the
earlier turns) -> ``Assistant.ask`` -> an answer card. The conversation, the audience and the
engine live in ``st.session_state`` for the session; the Assistant (embedding model, store) is
loaded once per process with ``st.cache_resource``. Errors are shown as messages in the page,
never as tracebacks.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts ui/ first on the path, not the repo root
    sys.path.insert(0, str(ROOT))

from core.settings import Settings, apply_offline_defaults, get_settings  # noqa: E402

apply_offline_defaults()  # this is a process entry point (`streamlit run ui/app.py`)

from assistant.conversation import Resolution  # noqa: E402
from assistant.engines import ENGINES  # noqa: E402
from ui.answer_card import answer_markdown, md_escape, render_answer_card  # noqa: E402

AUDIENCES = {"Physician": "physician", "Patient": "patient"}


class PageError(Exception):
    """A problem to show the user as one clear message."""


def ensure_index(settings: Settings) -> None:
    """First run: index ``settings.starter_corpus`` (its documents are approved), with a progress bar."""
    from store.manifest import Manifest

    if settings.manifest_path.exists():
        manifest = Manifest(settings.manifest_path)
        try:
            if manifest.documents():
                return
        finally:
            manifest.close()
    from ingest.pipeline import ingest_paths
    from store.store import Store

    with st.status("First run: indexing the starter guideline corpus…", expanded=True) as status:
        bar = st.progress(0.0, text="loading the embedding model")
        total = {"n": 0, "done": 0}

        def progress(event: str, item: str) -> None:
            if event == "discovered":
                total["n"] = int(item)
            elif event in ("indexed", "unchanged", "failed"):
                total["done"] += 1
                bar.progress(min(1.0, total["done"] / max(1, total["n"])), text=f"{event} {Path(item).name}")

        store = Store(settings)
        try:
            report = ingest_paths(store, [settings.starter_corpus], progress=progress)
        finally:
            store.close()
        if report.failed:
            status.update(label="Indexing failed", state="error")
            raise PageError("; ".join(message for _, message in report.failed))
        status.update(label=f"Indexed {len(report.added)} documents from {settings.starter_corpus}", state="complete")


@st.cache_resource(show_spinner="Loading the embedding model and the index…")
def load_assistant(home: str, engine: str) -> Any:
    """One Assistant per (data directory, engine) for the whole server process."""
    from assistant.service import Assistant

    return Assistant(get_settings(home=Path(home), engine=engine))


def _sidebar(settings: Settings) -> tuple[str, str, str]:
    with st.sidebar:
        st.title("GuideQA")
        page = st.radio("Page", ["Ask", "Editor"], key="page", horizontal=True)
        audience = st.radio(
            "Audience",
            list(AUDIENCES),
            key="audience",
            horizontal=True,
            help="The patient view keeps the same verdict and citations, in plain language.",
        )
        engines = list(ENGINES)
        default = settings.engine if settings.engine in engines else engines[0]
        if "engine" not in st.session_state:
            st.session_state.engine = default
        engine = st.selectbox("Answer engine", engines, key="engine")
        if st.button("New conversation", key="new-conversation"):
            st.session_state.turns = []
        st.caption(f"Data: `{settings.home}`")
    return page, AUDIENCES[audience], engine


def _ask(settings: Settings, engine_name: str, asked: str, *, standalone: bool = False) -> None:
    """Resolve the turn against the conversation, answer it, and append it to the session.

    ``standalone``: a related question the engine wrote is already a full question; it is asked as is.
    """
    from assistant.engines import UnknownEngineError
    from assistant.query import QuestionError
    from assistant.service import NoIndexError

    turns: list[dict[str, Any]] = st.session_state.turns
    # The physician's earlier turns as typed: the Assistant resolves a follow-up against them (for
    # retrieval and the "understood as" line) and reads its facts in the conversation (for judging).
    history = [t["asked"] for t in turns if t.get("answer") is not None]
    turn: dict[str, Any] = {"asked": asked}
    try:
        assistant = load_assistant(str(settings.home), engine_name)
        with st.spinner("Reading the guidelines…"):
            answer = assistant.ask(asked, history=[] if standalone else history)
        turn["answer"] = answer
        turn["resolution"] = (
            Resolution(asked, answer.understood_as, answer.understood_by or "deterministic", list(answer.changes))
            if answer.understood_as
            else Resolution(asked, asked, "standalone")
        )
    except (QuestionError, NoIndexError, UnknownEngineError, PageError) as exc:
        turn.setdefault("resolution", Resolution(asked, asked, "standalone"))
        turn["error"] = str(exc)
    except Exception as exc:  # the page must show a message, never a traceback
        turn.setdefault("resolution", Resolution(asked, asked, "standalone"))
        turn["error"] = f"Something went wrong while answering ({type(exc).__name__}: {exc})."
    turns.append(turn)


def _feedback(settings: Settings, turn: dict[str, Any], index: int) -> None:
    from assistant.feedback import FeedbackError, record_feedback

    if turn.get("feedback_id"):
        st.caption("Thank you: your feedback was saved for the editors.")
        return
    comment = st.text_input("Comment (optional)", key=f"comment-{index}", placeholder="What was wrong or missing?")
    up, down, _ = st.columns([1, 1, 4])
    rating = 1 if up.button("Helpful", key=f"up-{index}", icon=":material/thumb_up:") else 0
    rating = -1 if down.button("Not helpful", key=f"down-{index}", icon=":material/thumb_down:") else rating
    if rating:
        try:
            answer = turn["answer"].model_copy(update={"audience": st.session_state.get("audience_value", "physician")})
            turn["feedback_id"] = record_feedback(settings, answer, rating, comment, asked=turn["asked"])
            st.rerun()
        except (FeedbackError, OSError) as exc:
            st.error(f"Feedback not saved: {exc}")


def _render_turn(settings: Settings, turn: dict[str, Any], index: int, audience: str) -> None:
    with st.chat_message("user"):
        st.markdown(md_escape(turn["asked"]))
    with st.chat_message("assistant"):
        resolution: Resolution = turn["resolution"]
        if resolution.rewritten:
            with st.container(key=f"understood-{index}"):
                st.caption("Understood as: " + md_escape(resolution.question))
        if "error" in turn:
            st.error(turn["error"])
            return
        answer = turn["answer"]

        def ask_related(question: str) -> None:
            st.session_state.pending = question

        render_answer_card(answer, index, audience=audience, on_related=ask_related)
        with st.expander("Copy or download"):
            st.code(answer_markdown(answer), language="markdown")
            st.download_button(
                "Download Answer JSON",
                answer.model_dump_json(indent=2),
                file_name=f"guideqa-answer-{index + 1}.json",
                mime="application/json",
                key=f"download-{index}",
            )
        _feedback(settings, turn, index)


def chat_page(settings: Settings, engine_name: str, audience: str) -> None:
    st.header("Ask the guidelines")
    st.caption("Ask whether a procedure is indicated for a patient; follow up with what changes.")
    try:
        ensure_index(settings)
    except (PageError, OSError, ValueError) as exc:
        st.error(f"The starter corpus could not be indexed: {exc}")
        return
    try:  # load the model while the physician types, not after they ask
        load_assistant(str(settings.home), engine_name)
    except Exception as exc:  # shown once here; asking shows it again for that turn
        st.error(f"The assistant could not start: {exc}")
    st.session_state.audience_value = audience
    turns: list[dict[str, Any]] = st.session_state.turns
    for index, turn in enumerate(turns):
        _render_turn(settings, turn, index, audience)
    typed = st.chat_input("Ask a question or a follow-up (e.g. “what about the cervical region?”)")
    pending = st.session_state.pop("pending", None)
    if typed or pending:
        _ask(settings, engine_name, typed or pending, standalone=not typed)
        st.rerun()


def editor_page(settings: Settings) -> None:
    try:
        from ui.editor_page import render_editor  # type: ignore[import-not-found]
    except ImportError:
        st.info("editor area not installed")
        return
    render_editor(settings)


def main() -> None:
    st.set_page_config(page_title="GuideQA", page_icon="🩺", layout="wide")
    st.session_state.setdefault("turns", [])
    try:
        settings = get_settings()
    except ValueError as exc:
        st.error(f"GuideQA settings are invalid: {exc}")
        return
    page, audience, engine_name = _sidebar(settings)
    if page == "Editor":
        editor_page(settings)
    else:
        chat_page(settings, engine_name, audience)


main()
