"""The ``guideqa`` command line: ingest, docs, users, tokens, serve, ask, feedback, eval."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from core.progress import progress_bar
from core.records import DocumentError, Status
from core.rules_text import describe
from core.settings import Settings, apply_offline_defaults, get_settings
from ui.terminal import SafeConsole, echo, echo_json

if TYPE_CHECKING:
    from core.records import DocRecord
    from editorial.catalog import Catalog
    from editorial.users import User

err = SafeConsole(stderr=True, soft_wrap=True)


class UserError(click.ClickException):
    """A clear, one-line error for the user; exit code 2."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        err.print(f"[bold red]error:[/] {escape(self.message)}")


def _settings(ctx: click.Context, **overrides: object) -> Settings:
    return get_settings(home=ctx.obj.get("home"), **overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(path_type=Path), default=None, help="Data directory (GUIDEQA_HOME).")
@click.pass_context
def cli(ctx: click.Context, home: Path | None) -> None:
    """GuideQA: guideline-grounded answers to medical-necessity questions, with citations."""
    ctx.ensure_object(dict)
    ctx.obj["home"] = home


# ---------------------------------------------------------------------- ingest
@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--status",
    type=click.Choice([s.value for s in Status]),
    default=None,
    help="Give every document this status (default: each document's own, else 'submitted').",
)
@click.option(
    "--approve-as",
    "approve_as",
    default=None,
    metavar="EDITOR",
    help="Let this run approve (a file's 'status: approved', --status, status changes) as this editor; "
    "the password comes from GUIDEQA_PASSWORD or a prompt, and the approval is audited under the name.",
)
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], status: str | None, approve_as: str | None) -> None:
    """Index documents (default: corpus/) as the local operator. Unchanged documents cost nothing.

    Ingest approves nothing by itself: a file's 'status: approved' (or --status approved) is honoured
    only on the first ingest into an empty data directory, or with --approve-as EDITOR. Otherwise a
    changed file becomes a new submitted revision and the approved one keeps answering until an
    editor approves the new one. A removed file's document is dropped. Only --status changes the
    status of an unchanged document (and that needs --approve-as once the directory holds documents).
    """
    from ingest.pipeline import ApprovalRequired, ingest_paths
    from store.lock import LockBusyError
    from store.store import Store

    targets = list(paths) or [Path("corpus")]
    for p in targets:
        if not p.exists():
            raise UserError(f"{p}: no such file or folder")
    settings = _settings(ctx)
    approved_by = None
    if approve_as is not None:
        from editorial.users import require_editor

        try:
            approved_by = require_editor(_acting_user(ctx, approve_as)).name
        except PermissionError as exc:
            raise UserError(str(exc)) from exc
    store = Store(settings)
    with progress_bar("ingest", err) as bar:
        task = bar.add_task("", total=None)

        def progress(event: str, item: str) -> None:
            if event == "discovered":
                bar.update(task, total=int(item))
            elif event in ("indexed", "unchanged", "failed"):
                bar.update(task, advance=1, description=escape(f"{event} {Path(item).name}"))

        try:
            report = ingest_paths(
                store, targets, status=Status(status) if status else None, progress=progress, approved_by=approved_by
            )
        except (LockBusyError, ApprovalRequired) as exc:
            raise UserError(str(exc)) from exc
    err.print(
        f"[bold]{len(report.added)}[/] added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.status_changed)} status changed, {len(report.removed)} removed, "
        f"{len(report.failed)} failed; {report.chunks_embedded} chunks embedded; "
        f"{store.manifest.count_chunks()} chunks indexed in {settings.home} ({report.seconds:.1f} s)"
    )
    if report.warnings:
        err.print(f"[yellow]{len(report.warnings)} warnings[/], e.g. {escape(report.warnings[0])}")
    for warning in report.warnings:
        if "not honoured" in warning:  # an approval ingest refused to make: always said
            err.print(f"[yellow]not approved:[/] {escape(warning)}")
    for _path, message in report.failed:
        err.print(f"[red]failed:[/] {escape(message)}")
    if report.failed:
        sys.exit(1)


# ------------------------------------------------------------------------ docs
@cli.group()
def docs() -> None:
    """The corpus: list, inspect and (as an editor) add, review, approve, reject, retire and delete documents.

    Commands that change the corpus act as a user with the editor role: --user NAME (or
    GUIDEQA_USER) and the password from GUIDEQA_PASSWORD, else a hidden prompt.
    """


def _catalog(ctx: click.Context) -> Catalog:
    from editorial.catalog import Catalog

    settings = _settings(ctx)
    if not settings.manifest_path.exists():
        raise UserError(f"no index in {settings.home}: run `guideqa ingest` or `guideqa docs add` first")
    return Catalog(settings)


def _acting_user(ctx: click.Context, name: str | None) -> User:
    """The verified user the command acts as; a wrong password or an unknown user is refused."""
    from editorial.users import LoginRefused, UsersFileError, authenticate, load_users

    settings = _settings(ctx)
    if not name:
        raise UserError("this command changes the corpus: give --user NAME (or GUIDEQA_USER) of an editor")
    try:
        if not load_users(settings.users_path):
            raise UserError(
                f"no users in {settings.users_path}: create an editor with `guideqa users add NAME --role editor`"
            )
        password = os.environ.get("GUIDEQA_PASSWORD")
        if not password:
            if not sys.stdin.isatty():  # a script or CI job: a prompt would only read end-of-file
                raise UserError(f"no password for {name}: set GUIDEQA_PASSWORD or run the command in a terminal")
            password = click.prompt(f"password for {name}", hide_input=True, err=True)
        return authenticate(settings, name, password)  # throttled per name, audited
    except (UsersFileError, LoginRefused) as exc:
        raise UserError(str(exc)) from exc


_user_option = click.option(
    "--user", "user_name", envvar="GUIDEQA_USER", default=None, help="Act as this user (GUIDEQA_USER); an editor."
)


@contextmanager
def _editor_errors() -> Iterator[None]:
    """Every refusal of an editor action becomes one clear line and exit code 2."""
    from editorial.catalog import REFUSALS

    try:
        yield
    except REFUSALS as exc:
        raise UserError(str(exc)) from exc


def _row(r: DocRecord) -> dict[str, object]:
    return {
        **r.meta.model_dump(mode="json"),
        "revision": r.rev,
        "served": r.served,
        "cited_as": r.cited_as,
        "path": r.path,
        "format": r.fmt,
        "chunks": r.n_chunks,
        "ingested_at": r.ingested_at,
        "updated_at": r.updated_at,
    }


@docs.command("list")
@click.option("--status", type=click.Choice([s.value for s in Status]), default=None, help="Only documents in S.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def docs_list(ctx: click.Context, status: str | None, as_json: bool) -> None:
    """List documents: the served revision (else the newest) with status, plus any newer revision in work.

    --status S lists documents whose newest revision is in S (approved: whose served one is).
    """
    catalog = _catalog(ctx)
    shown = catalog.documents(status)
    if as_json:
        echo_json(json.dumps([{**_row(d.record), "newest": d.newest.cited_as} for d in shown], indent=2))
        return
    table = Table(title=f"{len(shown)} documents in {catalog.settings.home}")
    for col in ("doc_id", "served", "status", "newest", "version", "year", "chunks", "title"):
        table.add_column(col)
    for d in shown:
        r, head = d.record, d.newest
        newest = f"@{head.rev} {head.status}" if head.rev != r.rev else ""
        table.add_row(
            escape(r.doc_id),
            f"@{r.rev}" if r.served else "-",
            r.status,
            newest,
            escape(str(r.meta.version)),
            str(r.meta.year),
            str(r.n_chunks),
            escape(r.meta.title[:60]),
        )
    SafeConsole().print(table)


@docs.command("show")
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def docs_show(ctx: click.Context, doc_id: str, as_json: bool) -> None:
    """Every stored revision of a document, with its metadata, status and whether it is served."""
    catalog = _catalog(ctx)
    revisions = catalog.show(doc_id).revisions
    if not revisions:
        raise UserError(f"no document '{doc_id}' (see `guideqa docs list`)")
    if as_json:
        rows = []
        for r in revisions:
            row = _row(r)
            row["rules"] = [rule.model_dump(mode="json") for rule in catalog.rules(doc_id, r.rev)]
            rows.append(row)
        echo_json(json.dumps(rows, indent=2))
        return
    out = SafeConsole()
    for r in revisions:
        served = " [bold green](served)[/]" if r.served else ""
        out.print(f"[bold]{escape(r.cited_as)}[/] {r.status}{served}: {escape(r.meta.title)}")
        out.print(
            f"  publisher {r.meta.publisher}; year {r.meta.year or 'n.d.'}; version {r.meta.version}; "
            f"{r.fmt}, {r.n_chunks} chunks; from {r.path}; ingested {r.ingested_at}; updated {r.updated_at}",
            markup=False,
            highlight=False,
        )
        if r.meta.sources:
            out.print("  sources read:")
            for src in r.meta.sources:
                when = f"; read {src.read.isoformat()}" if src.read else ""
                version = f"; version {src.version}" if src.version else ""
                out.print(f"    {src.id}: {src.title}{version}{when}", markup=False, highlight=False, soft_wrap=True)
                if src.url:
                    out.print(f"        {src.url}", markup=False, highlight=False, soft_wrap=True)
        else:
            out.print("  sources read: none listed (an editor should add them before approving)")
        if r.served or r.rev == revisions[-1].rev:
            rules = catalog.rules(doc_id, r.rev)
            typed = sum(1 for rule in rules if rule.typed)
            out.print(f"  compiled statements: {len(rules)} ({typed} with a typed condition)")
            for rule in rules:
                condition = (
                    describe(rule.condition) if rule.condition is not None else "no typed condition: only ever unknown"
                )
                scope = ", ".join(rule.scope.services) or ", ".join(rule.scope.codes) or "-"
                extra = f" [{rule.strength}{': ' + rule.grade if rule.grade else ''}]" if rule.strength else ""
                line = f"    {rule.kind}{extra} ({scope}): {rule.text}"
                out.print(line, markup=False, highlight=False, soft_wrap=True)
                out.print(f"        {condition}", markup=False, highlight=False, soft_wrap=True)


@docs.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
def docs_check(files: tuple[Path, ...]) -> None:
    """Check summaries before approving them: each section names a listed source, no statement contradicts
    its heading, no two statements give opposite verdicts for one scope. Exit 1 when any problem is found."""
    from core.instructions import instruction_passages
    from ingest.chunking import chunk_blocks
    from ingest.documents import Limits, load_document
    from ingest.parsing import parse_body
    from ingest.statements import compile_document
    from ingest.verify import contradictions, polarity, section_sources

    settings = get_settings()
    found = 0
    for path in files:
        try:
            doc = load_document(path, default_status="submitted", limits=Limits.from_settings(settings))
        except DocumentError as exc:
            err.print(f"[red]{escape(str(exc))}[/]", markup=True, highlight=False)
            found += 1
            continue
        blocks = parse_body(doc.body, doc.fmt)
        chunks = chunk_blocks(doc.meta, blocks, chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap)
        rules = compile_document(doc.meta.doc_id, doc.meta.title, blocks, chunks)
        problems: list[object] = [
            *section_sources(doc, blocks),
            *polarity(doc.meta.doc_id, blocks),
            *contradictions(rules),
        ]
        problems += [
            f"{path}: text addressed to an answer engine, never used to answer: {passage!r}"
            for passage in instruction_passages(doc.body)
        ]
        for problem in problems:
            echo(str(problem))
        found += len(problems)
        typed = sum(1 for r in rules if r.typed)
        err.print(f"{path}: {len(problems)} problems; {len(rules)} statements compiled, {typed} with a typed condition")
    if found:
        sys.exit(1)


@docs.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--meta", "metas", multiple=True, metavar="KEY=VALUE", help="Metadata the file lacks (repeatable).")
@click.option("--revise", is_flag=True, help="Add the file as a new revision of its existing doc_id.")
@click.option("--note", default="", help="A note for the audit log.")
@_user_option
@click.pass_context
def docs_add(
    ctx: click.Context, file: Path, metas: tuple[str, ...], revise: bool, note: str, user_name: str | None
) -> None:
    """Add a document (Markdown, HTML, PDF, DOCX, text) as submitted; --revise adds a new revision."""
    from editorial.catalog import Catalog

    meta: dict[str, str] = {}
    for item in metas:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--meta '{item}': use KEY=VALUE, e.g. --meta title='Knee MRI policy'")
        meta[key.strip()] = value.strip()
    user = _acting_user(ctx, user_name)
    with _editor_errors():
        result = Catalog(_settings(ctx)).add(user, file, meta, revise=revise, note=note)
    if not result.created:
        err.print(f"unchanged: {file} is already stored as {result.cited_as} ({result.status})")
        return
    superseded = f"; the unapproved @{result.superseded} is retired" if result.superseded else ""
    err.print(
        f"added {result.cited_as} ({result.status}, {result.chunks_embedded} chunks embedded){superseded}; "
        f"next: `guideqa docs review {result.doc_id}`"
    )


def _transition_command(action: str, help_text: str) -> None:
    @docs.command(action, help=help_text)
    @click.argument("doc_id")
    @click.option("--note", default="", help="A note for the audit log (required to reject).")
    @_user_option
    @click.pass_context
    def command(ctx: click.Context, doc_id: str, note: str, user_name: str | None) -> None:
        catalog = _catalog(ctx)
        user = _acting_user(ctx, user_name)
        with _editor_errors():
            record = catalog.transition(user, doc_id, action, note)
        err.print(f"{record.cited_as} is now {record.status}")


_transition_command("submit", "Send a rejected revision back for review.")
_transition_command("review", "Start reviewing the newest submitted revision.")
_transition_command("approve", "Approve the revision under review: it is served from now on (the old one retires).")
_transition_command("reject", "Reject the newest revision back to its author (--note required).")
_transition_command("retire", "Retire the served revision (else the newest): physicians no longer see it.")


@docs.command("delete")
@click.argument("doc_id")
@click.option("--note", default="", help="A note for the audit log.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_user_option
@click.pass_context
def docs_delete(ctx: click.Context, doc_id: str, note: str, yes: bool, user_name: str | None) -> None:
    """Purge a document: every chunk of every revision (its audit history stays)."""
    catalog = _catalog(ctx)
    user = _acting_user(ctx, user_name)
    if not yes:
        click.confirm(f"delete every revision of {doc_id}?", abort=True, err=True)
    with _editor_errors():
        catalog.delete(user, doc_id, note)
    err.print(f"deleted {doc_id}")


@docs.command("diff")
@click.argument("doc_id")
@click.argument("v1", type=int)
@click.argument("v2", type=int)
@click.pass_context
def docs_diff(ctx: click.Context, doc_id: str, v1: int, v2: int) -> None:
    """A unified diff of two revisions' indexed text."""
    with _editor_errors():
        lines = _catalog(ctx).diff(doc_id, v1, v2)
    echo("\n".join(lines) if lines else f"{doc_id}@{v1} and @{v2} index the same text")


@docs.command("history")
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def docs_history(ctx: click.Context, doc_id: str, as_json: bool) -> None:
    """The audit log of a document: every transition, who made it, when, with its note."""
    entries = _catalog(ctx).history(doc_id)
    if not entries:
        raise UserError(f"no history for '{doc_id}'")
    if as_json:
        echo_json(json.dumps([asdict(e) for e in entries], indent=2))
        return
    table = Table(title=f"history of {doc_id}")
    for col in ("when", "revision", "from", "to", "who", "note"):
        table.add_column(col)
    for e in entries:
        rev = f"@{e.rev}" if e.rev is not None else "all"
        table.add_row(e.at, rev, e.from_status or "-", e.to_status, escape(e.actor), escape(e.note))
    SafeConsole().print(table)


# ----------------------------------------------------------------------- users
@cli.group()
def users() -> None:
    """Accounts that may use the editor actions (bcrypt hashes in <home>/users.json, mode 0600).

    The first user of a data directory is an editor and needs no one's approval (the audited
    bootstrap); after that, adding a user or changing someone's password needs a verified editor
    (--user EDITOR, password from GUIDEQA_PASSWORD or a prompt). Every change is in the audit log.
    """


def _new_password(password_stdin: bool, prompt: str = "password") -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True, err=True))


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["editor", "physician"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the new user's password from standard input (for scripts).")
@_user_option
@click.pass_context
def users_add(ctx: click.Context, name: str, role: str, password_stdin: bool, user_name: str | None) -> None:
    """Create a user (never replaces one); the password is prompted (twice) and stored only as a bcrypt hash.

    Once any user exists, this needs --user EDITOR (or GUIDEQA_USER), verified by their password."""
    from editorial.users import AccountError, UsersFileError, create_user, load_users

    settings = _settings(ctx)
    try:
        existing = load_users(settings.users_path)
    except UsersFileError as exc:
        raise UserError(str(exc)) from exc
    if name in existing:
        raise UserError(f"user '{name}' already exists: change a password with `guideqa users passwd {name}`")
    acting = None
    if existing:
        if not user_name:
            raise UserError("users exist already: adding one needs an editor (--user EDITOR or GUIDEQA_USER)")
        acting = _acting_user(ctx, user_name)
    password = _new_password(password_stdin)
    try:
        create_user(settings, acting, name, password, role)
    except (ValueError, UsersFileError, AccountError, PermissionError) as exc:
        raise UserError(str(exc)) from exc
    err.print(f"{escape(name)} ({role}) saved in {settings.users_path}", highlight=False)


@users.command("passwd")
@click.argument("name")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read from standard input: the current password then the new one (one per line), or only the new "
    "one with --user EDITOR.",
)
@_user_option
@click.pass_context
def users_passwd(ctx: click.Context, name: str, password_stdin: bool, user_name: str | None) -> None:
    """Change a password: give the current one, or act as an editor (--user EDITOR)."""
    from editorial.users import AccountError, LoginRefused, UsersFileError, change_password

    settings = _settings(ctx)
    acting = _acting_user(ctx, user_name) if user_name else None
    if acting is not None and not acting.is_editor and acting.name != name:
        raise UserError(f"user '{acting.name}' is not an editor: only an editor changes another user's password")
    old = None
    if acting is None or not acting.is_editor:
        if password_stdin:
            old = sys.stdin.readline().rstrip("\n")
        else:
            old = str(click.prompt(f"current password for {name}", hide_input=True, err=True))
    new = _new_password(password_stdin, "new password")
    try:
        change_password(settings, name, new, old_password=old, acting=acting if acting and acting.is_editor else None)
    except (ValueError, UsersFileError, AccountError, PermissionError, LoginRefused) as exc:
        raise UserError(str(exc)) from exc
    err.print(f"password of {escape(name)} changed", highlight=False)


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """Users and their roles (never their hashes)."""
    from editorial.users import load_users

    for user in load_users(_settings(ctx).users_path).values():
        echo(f"{user.name}\t{user.role}")


# ---------------------------------------------------------------------- tokens
@cli.group()
def tokens() -> None:
    """Bearer tokens of the HTTP API's clients (SHA-256 hashes in GUIDEQA_TOKENS_FILE, default <home>/tokens.json)."""


@tokens.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["physician", "editor"]), required=True)
@click.pass_context
def tokens_add(ctx: click.Context, name: str, role: str) -> None:
    """Create (or replace) client NAME's token and print it, alone on stdout, this once; only its hash is kept."""
    from editorial.tokens import TokensFileError, add_token

    settings = _settings(ctx)
    try:
        token = add_token(settings.tokens_path, name, role)
    except (ValueError, TokensFileError, OSError) as exc:
        raise UserError(str(exc)) from exc
    click.echo(token)
    err.print(f"token for {name} ({role}) saved as a hash in {settings.tokens_path}; it is not shown again")


@tokens.command("revoke")
@click.argument("name")
@click.pass_context
def tokens_revoke(ctx: click.Context, name: str) -> None:
    """Delete client NAME's token: a running server refuses it from its next request."""
    from editorial.tokens import TokensFileError, revoke_token

    settings = _settings(ctx)
    try:
        found = revoke_token(settings.tokens_path, name)
    except (TokensFileError, OSError) as exc:
        raise UserError(str(exc)) from exc
    if not found:
        raise UserError(f"no token named '{name}' in {settings.tokens_path}")
    err.print(f"revoked the token of {name}")


@tokens.command("list")
@click.pass_context
def tokens_list(ctx: click.Context) -> None:
    """Clients with a token, their role and when it was made (never the hashes)."""
    from editorial.tokens import TokensFileError, list_tokens

    try:
        found = list_tokens(_settings(ctx).tokens_path)
    except TokensFileError as exc:
        raise UserError(str(exc)) from exc
    for info in found:
        click.echo(f"{info.name}\t{info.role}\t{info.created}")


# ----------------------------------------------------------------------- serve
@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the HTTP API and the CDS Hooks services (uvicorn); every request needs a bearer token.

    Each worker loads the index and the embedding model once; with GUIDEQA_CHROMA_URL they share a
    Chroma server. Rate limits are per worker."""
    import uvicorn

    settings = _settings(ctx)
    if ctx.obj.get("home") is not None:
        os.environ["GUIDEQA_HOME"] = str(settings.home)  # the workers build their settings from the environment
    if not settings.tokens_path.exists():
        err.print(
            f"[yellow]no API tokens in {settings.tokens_path}[/]: every request will get 401; "
            "create one with `guideqa tokens add NAME --role physician`"
        )
    err.print(f"GuideQA API on http://{host}:{port} (data {settings.home}; Ctrl-C stops it)")
    uvicorn.run(
        "api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the API logs one line per request itself, without query strings
        log_level="info",
    )


# ------------------------------------------------------------------------- ask
@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the Answer JSON.")
@click.option("--engine", default=None, help="Answer engine (GUIDEQA_ENGINE).")
@click.option(
    "--after",
    "history",
    multiple=True,
    metavar="EARLIER",
    help="An earlier question of the conversation (repeatable, oldest first): QUESTION is its follow-up.",
)
@click.pass_context
def ask(ctx: click.Context, question: str, as_json: bool, engine: str | None, history: tuple[str, ...]) -> None:
    """Answer a medical-necessity question from the approved documents, with citations.

    `guideqa ask "What if only one block was done?" --after "…two MBBs at 85 % … RFA indicated?"` answers
    a follow-up read in its conversation."""
    from assistant.engines import UnknownEngineError
    from assistant.query import QuestionError
    from assistant.service import Assistant, NoIndexError
    from ui.render import render_answer

    settings = _settings(ctx, engine=engine)
    try:
        answer = Assistant(settings).ask(question, history=list(history))
    except (QuestionError, NoIndexError, UnknownEngineError) as exc:
        raise UserError(str(exc)) from exc
    if as_json:
        echo_json(answer.model_dump_json(indent=2))
    else:
        render_answer(answer, SafeConsole())


# -------------------------------------------------------------------- feedback
@cli.group()
def feedback() -> None:
    """Physician feedback on answers (thumbs up/down from the chat), for editors."""


@feedback.command("list")
@click.option("--down", "only_down", is_flag=True, help="Only thumbs-down feedback.")
@click.option("--up", "only_up", is_flag=True, help="Only thumbs-up feedback.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Newest N entries.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the full answer).")
@click.pass_context
def feedback_list(ctx: click.Context, only_down: bool, only_up: bool, limit: int | None, as_json: bool) -> None:
    """List feedback newest first: rating, question, verdict, cited documents, comment."""
    from assistant.feedback import list_feedback

    if only_down and only_up:
        raise UserError("choose --up or --down, not both")
    rating = -1 if only_down else 1 if only_up else None
    records = list_feedback(_settings(ctx), rating=rating, limit=limit)
    if as_json:
        click.echo(
            json.dumps(
                [{**r.__dict__, "answer": json.loads(r.answer_json), "answer_json": None} for r in records], indent=2
            )
        )
        return
    table = Table(title=f"{len(records)} feedback entries")
    for col in ("id", "when", "rating", "question", "verdict", "cited", "comment"):
        table.add_column(col)
    for r in records:
        table.add_row(
            str(r.id),
            r.created_at,
            "👍" if r.rating > 0 else "👎",
            escape(r.question[:90]),
            escape(r.determination),
            escape(", ".join(r.cited)),
            escape(r.comment[:120]),
        )
    SafeConsole().print(table)


# ------------------------------------------------------------------------ eval
class _DefaultToRun(click.Group):
    """``guideqa eval DIR`` runs an evaluation; ``guideqa eval compare A B`` compares two runs."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@cli.group(cls=_DefaultToRun)
def eval() -> None:
    """Evaluate against gold determinations: `guideqa eval DIR`, or `guideqa eval compare RUN_A RUN_B`."""


@eval.command("run")
@click.argument("evalset_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--gold",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Gold file to use instead of EVALSET_DIR/gold.jsonl.",
)
@click.option(
    "--corpus",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="Corpus folder to ingest instead of EVALSET_DIR/corpus (the necessity set runs on corpus/).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Stratified sample of N questions.")
@click.option("--engine", default=None, help="Answer engine (GUIDEQA_ENGINE).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Report folder (default eval-runs/...).")
@click.option("--json", "as_json", is_flag=True, help="Print report.json on stdout (nothing else).")
@click.pass_context
def eval_run(
    ctx: click.Context,
    evalset_dir: Path,
    gold: Path | None,
    corpus: Path | None,
    limit: int | None,
    engine: str | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Run the engine over an evalset (corpus/ + gold.jsonl) and write report.json, report.md, plots."""
    from assistant.engines import UnknownEngineError
    from evals.evalset import EvalsetError
    from evals.runner import run_eval

    settings = _settings(ctx, engine=engine)
    try:
        report, out_dir = run_eval(settings, evalset_dir, gold=gold, corpus=corpus, limit=limit, out=out, console=err)
    except (EvalsetError, UnknownEngineError, DocumentError) as exc:
        raise UserError(str(exc)) from exc
    if as_json:
        echo_json(json.dumps(report, indent=2))
    else:
        from evals.report import summary_lines

        for line in summary_lines(report):
            err.print(line)
        err.print(f"report: {out_dir / 'report.md'}")
    if report.get("interrupted"):
        sys.exit(130)


@eval.command("compare")
@click.argument("run_a", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.argument("run_b", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def eval_compare(run_a: Path, run_b: Path, as_json: bool) -> None:
    """Metric deltas between two eval runs, and the questions whose verdict flipped."""
    from evals.compare import compare_runs, render_comparison

    try:
        result = compare_runs(run_a, run_b)
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    if as_json:
        echo_json(json.dumps(result, indent=2))
    else:
        render_comparison(result, SafeConsole())


def main() -> None:
    """The ``guideqa`` entry point: the model libraries' offline defaults first, then the command."""
    apply_offline_defaults()
    cli(obj={})


if __name__ == "__main__":
    main()
