"""The Streamlit editor area: upload with metadata, the review queue, side-by-side diffs, approve / reject / retire.

``render_editor(settings)`` is self-contained: with no editor logged in it shows only a log-in
form, and none of the editor actions exists on the page. The page reads and acts through
:class:`editorial.catalog.Catalog` (as ``guideqa docs`` does): every action goes through
:mod:`editorial.lifecycle`, which checks the editor role again, takes the write lock and writes the
audit log, and the review queue offers exactly the actions the catalog says each status allows,
so the page adds no path around those rules and restates none of them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any

import streamlit as st

from core.records import DocumentError
from core.settings import Settings
from editorial import lifecycle
from editorial.catalog import REFUSALS, Catalog
from editorial.users import User
from ingest.documents import SUPPORTED_SUFFIXES
from ui import auth

META_FIELDS = ("doc_id", "title", "publisher", "year", "version", "effective_date", "source_url", "codes", "topics")
FLASH_KEY = "editor_flash"
# Button labels of the lifecycle actions; which actions a revision allows comes from the catalog.
ACTION_LABELS = {
    "submit": "Resubmit",
    "review": "Start review",
    "approve": "Approve",
    "reject": "Reject",
    "retire": "Retire",
}


def save_upload(settings: Settings, name: str, data: bytes) -> Path:
    """Keep an uploaded file under ``<home>/uploads/`` (a revision's source stays inspectable)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name).strip("-.") or "upload"
    folder = settings.home / "uploads" / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe
    path.write_bytes(data)
    return path


def add_upload(
    catalog: Catalog, user: User | None, name: str, data: bytes, form: dict[str, Any], *, revise: bool, note: str = ""
) -> lifecycle.AddResult:
    """The upload form's action: metadata fields left empty fall back to what the file holds."""
    meta = {k: str(v).strip() for k, v in form.items() if k in META_FIELDS and str(v or "").strip()}
    auth.require_editor(user)  # refuse before anything is written to disk
    settings = catalog.settings
    if len(data) > settings.max_document_bytes:
        raise DocumentError(name, f"is over the {settings.max_document_mb:g} MB limit")
    path = save_upload(settings, name, data)
    return catalog.add(user, path, meta, revise=revise, note=note)


def _act(catalog: Catalog, user: User, doc_id: str, action: str, note: str) -> None:
    try:
        record = catalog.transition(user, doc_id, action, note)
    except REFUSALS as exc:
        st.error(str(exc))
        return
    # Redraw at once so the queue shows the new state; the message survives the rerun.
    st.session_state[FLASH_KEY] = f"{record.cited_as} is now {record.status}."
    st.rerun()


def _upload(catalog: Catalog, user: User) -> None:
    st.subheader("Add a document or a revision")
    with st.form("upload", clear_on_submit=False):
        upload = st.file_uploader("File", type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES])
        st.caption("Metadata the file lacks (left empty: taken from the file).")
        cols = st.columns(2)
        form = {field: cols[i % 2].text_input(field, key=f"meta_{field}") for i, field in enumerate(META_FIELDS)}
        revise = st.checkbox("This is a new revision of an existing document", key="upload_revise")
        note = st.text_input("Note for the audit log", key="upload_note")
        submitted = st.form_submit_button("Add")
    if not submitted:
        return
    if upload is None:
        st.error("Choose a file first.")
        return
    try:
        result = add_upload(catalog, user, upload.name, upload.getvalue(), form, revise=revise, note=note)
    except REFUSALS as exc:
        st.error(str(exc))
        return
    if result.created:
        st.session_state[FLASH_KEY] = f"Added {result.cited_as} as {result.status}; it is in the review queue."
        st.rerun()
    st.info(f"Unchanged: this content is already stored as {result.cited_as} ({result.status}).")


def _queue(catalog: Catalog, user: User) -> None:
    st.subheader("Review queue")
    entries = catalog.queue()
    if not entries:
        st.info("Nothing waits for review.")
    for entry in entries:
        record = entry.record
        serving = f"; serving @{entry.served.rev}" if entry.served is not None else "; nothing served yet"
        st.markdown(f"**{record.cited_as}** · {record.status}{serving} · {record.meta.title}")
        note = st.text_input("Note", key=f"note_{record.doc_id}")
        buttons = st.columns(4)
        for i, action in enumerate(entry.actions):
            if buttons[i].button(ACTION_LABELS[action], key=f"{action}_{record.doc_id}"):
                _act(catalog, user, record.doc_id, action, note)
    served_docs = catalog.served()
    if served_docs:
        st.subheader("Retire a served document")
        choice = st.selectbox("Document", [r.doc_id for r in served_docs], key="retire_doc")
        note = st.text_input("Why", key="retire_note")
        if st.button(ACTION_LABELS["retire"], key="retire_served"):
            _act(catalog, user, str(choice), "retire", note)


def _compare(catalog: Catalog) -> None:
    st.subheader("Compare two revisions")
    multi = catalog.revised()
    if not multi:
        st.info("No document has two revisions yet.")
        return
    doc_id = str(st.selectbox("Document", multi, key="diff_doc"))
    revs = [r.rev for r in catalog.show(doc_id).revisions]
    cols = st.columns(2)
    v1 = int(cols[0].selectbox("From", revs, index=len(revs) - 2, key="diff_from"))
    v2 = int(cols[1].selectbox("To", revs, index=len(revs) - 1, key="diff_to"))
    a, b = catalog.revision_lines(doc_id, v1), catalog.revision_lines(doc_id, v2)
    table = difflib.HtmlDiff(wrapcolumn=70).make_table(a, b, f"{doc_id}@{v1}", f"{doc_id}@{v2}", context=True)
    st.markdown(table, unsafe_allow_html=True)  # HtmlDiff escapes the documents' text


def _history(catalog: Catalog) -> None:
    st.subheader("Audit log")
    docs = [d.record.doc_id for d in catalog.documents()]
    if not docs:
        return
    doc_id = str(st.selectbox("Document", docs, key="history_doc"))
    st.table(
        [
            {
                "when": e.at,
                "revision": e.rev,
                "from": e.from_status or "",
                "to": e.to_status,
                "who": e.actor,
                "note": e.note,
            }
            for e in catalog.history(doc_id)
        ]
    )


def _feedback(settings: Settings) -> None:
    """Thumbs up / down from the chat, newest first: which answers (and which revisions) physicians questioned."""
    from assistant.feedback import list_feedback  # the chat's store; read-only here

    records = list_feedback(settings, limit=200)
    if not records:
        st.write("No feedback yet.")
        return
    st.dataframe(
        [
            {
                "when": r.created_at,
                "rating": "helpful" if r.rating > 0 else "not helpful",
                "comment": r.comment,
                "question answered": r.question,
                "verdict": r.determination,
                "cited": ", ".join(r.cited),
            }
            for r in records
        ],
        hide_index=True,
    )


def render_editor(settings: Settings) -> None:
    """The editor area; only an editor sees anything but the log-in form."""
    st.header("Editor")
    user = auth.current_user()
    if user is not None and not user.is_editor:
        st.warning(f"{user.name} is logged in as {user.role}: the editor area needs the editor role.")
        if st.button("Log out", key="editor_logout"):
            auth.log_out()
            st.rerun()
        return
    if user is None:
        st.write("Log in as an editor to add, review, approve, reject or retire documents.")
        if auth.login_form(settings, key="editor_login") is not None:
            st.rerun()
        return
    top = st.columns([4, 1])
    top[0].caption(f"Logged in as {user.name} (editor). Data directory: {settings.home}")
    if top[1].button("Log out", key="editor_logout"):
        auth.log_out()
        st.rerun()
    if FLASH_KEY in st.session_state:
        st.success(st.session_state.pop(FLASH_KEY))
    catalog = Catalog(settings)
    try:
        upload, queue, compare, history, feedback = st.tabs(
            ["Upload", "Review queue", "Compare revisions", "History", "Physician feedback"]
        )
        with upload:
            _upload(catalog, user)
        with queue:
            _queue(catalog, user)
        with compare:
            _compare(catalog)
        with history:
            _history(catalog)
        with feedback:
            _feedback(settings)
    finally:
        catalog.close()
