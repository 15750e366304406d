"""The GuideQA HTTP API: answers, documents, editor actions and CDS Hooks, over the same objects as the CLI.

``create_app(settings)`` builds the FastAPI app; ``guideqa serve`` runs it with uvicorn
(``create_app_from_env`` is the factory each uvicorn worker calls). Answers come from the one
:class:`~assistant.service.Assistant` (loaded once per process, in the background, so ``/healthz``
answers at once and ``/readyz`` says when answering can start); documents and editor actions from
the one :class:`~editorial.catalog.Catalog`, whose lifecycle checks the editor role, takes the
write lock and writes the audit log, as for ``guideqa docs``. Every request passes
:class:`api.gate.Gate` first (bearer token, rate limit, body size). CORS is off unless
``GUIDEQA_API_CORS_ORIGINS`` names origins.
"""

from __future__ import annotations

import base64
import binascii
import logging
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field, create_model
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api import cds
from api.gate import Gate, RateLimiter
from assistant.schema import Answer
from core.records import DocRecord, DocumentError, Status
from core.rules import CompiledRule
from core.settings import Settings, apply_offline_defaults, get_settings
from editorial.tokens import TokenVerifier
from editorial.users import User

log = logging.getLogger("guideqa.api")
ACTIONS = ("submit", "review", "approve", "reject", "retire")
_bearer = HTTPBearer(auto_error=False, description="A token from `guideqa tokens add NAME --role physician|editor`.")


# ----------------------------------------------------------------------- schemas
class ErrorOut(BaseModel):
    detail: str


class AskIn(BaseModel):
    question: str = Field(
        min_length=1,
        max_length=2000,
        pattern=r"[A-Za-z]{2,}|[0-9]{4}",  # what the Assistant needs to search (assistant.query.check_question)
        description="The question, as a physician would type it (GUIDEQA_MAX_QUESTION_CHARS applies too).",
    )
    history: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list, max_length=20, description="Earlier turns of the conversation, oldest first."
    )
    audience: Literal["physician", "patient"] = "physician"
    engine: str | None = Field(default=None, description="Answer engine (default: GUIDEQA_ENGINE).")


def available_engines(settings: Settings) -> tuple[str, ...]:
    """The engines this server can run: offline always, an LLM engine when its configuration is set."""
    names = ["offline"]
    if settings.llm_base_url and settings.llm_model:
        names.append("openai")
    if settings.llamacpp_model_path:
        names.append("llamacpp")
    return tuple(dict.fromkeys([settings.engine, *names]))


def ask_model(engines: tuple[str, ...]) -> type[AskIn]:
    """The request schema of POST /v1/answers with ``engine`` an enum of the engines this server runs."""
    choice: Any = Literal[engines] | None
    model: type[AskIn] = create_model(
        "AskIn",
        __base__=AskIn,
        engine=(
            choice,
            Field(default=None, description=f"Answer engine (default: GUIDEQA_ENGINE); here: {', '.join(engines)}."),
        ),
    )
    return model


class SourceOut(BaseModel):
    id: str
    title: str
    url: str | None = None
    read: str | None = None
    version: str | None = None


class RevisionOut(BaseModel):
    doc_id: str
    revision: int
    cited_as: str
    status: str
    served: bool
    title: str
    publisher: str
    year: int | None = None
    version: str
    source_url: str | None = None
    format: str
    chunks: int
    ingested_at: str
    updated_at: str


class ListedOut(RevisionOut):
    newest: str = Field(description="doc_id@revision of the newest revision (under work when it is not this one).")
    newest_status: str


class DocumentOut(BaseModel):
    doc_id: str
    served: RevisionOut | None
    revisions: list[RevisionOut]
    sources: list[SourceOut] = Field(description="The public sources the editors read (served revision, else newest).")
    rules: list[dict[str, Any]] = Field(description="Compiled criteria of the served revision (else the newest).")


def _any_case(suffix: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" for c in suffix)


_UPLOAD_NAME = (
    r"^[A-Za-z0-9][A-Za-z0-9 ._()+-]{0,150}\.(?:"
    + "|".join(_any_case(x) for x in ("markdown", "md", "html", "htm", "pdf", "docx", "txt"))
    + ")$"
)


class AddIn(BaseModel):
    filename: str = Field(
        min_length=1,
        max_length=200,
        pattern=_UPLOAD_NAME,
        description="A plain file name (letters, digits, space, . _ ( ) + -); its suffix picks the reader "
        "(.md, .markdown, .html, .htm, .pdf, .docx, .txt).",
    )
    content_base64: str = Field(
        min_length=4,
        pattern=r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
        description="The file's bytes, base64 (standard alphabet, padded).",
    )
    meta: dict[str, str] = Field(default_factory=dict, description="Metadata the file lacks (title, publisher, ...).")
    revise: bool = False
    note: str = Field(default="", max_length=2000)


class AddOut(BaseModel):
    doc_id: str
    revision: int
    cited_as: str
    status: str
    created: bool
    chunks_embedded: int
    superseded: int | None = None


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=2000)


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: Literal["ready", "loading", "error"]
    detail: str = ""
    documents: int = 0


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No or an invalid bearer token."},
    413: {"model": ErrorOut, "description": "Request body over GUIDEQA_API_MAX_BODY_KB."},
    429: {"model": ErrorOut, "description": "Over the token's rate (GUIDEQA_API_RATE_PER_MINUTE)."},
}
EDITOR_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The file cannot be read as a document (the message says why)."},
    403: {"model": ErrorOut, "description": "The token's role is not editor."},
    404: {"model": ErrorOut, "description": "No such document."},
    409: {"model": ErrorOut, "description": "The document's state does not allow the action."},
    503: {"model": ErrorOut, "description": "Another writer holds the data directory."},
}


def _revision(r: DocRecord) -> RevisionOut:
    return RevisionOut(
        doc_id=r.doc_id,
        revision=r.rev,
        cited_as=r.cited_as,
        status=r.status,
        served=r.served,
        title=r.meta.title,
        publisher=r.meta.publisher,
        year=r.meta.year,
        version=r.meta.version,
        source_url=r.meta.source_url,
        format=r.fmt,
        chunks=r.n_chunks,
        ingested_at=r.ingested_at,
        updated_at=r.updated_at,
    )


def _rule(rule: CompiledRule) -> dict[str, Any]:
    out: dict[str, Any] = rule.model_dump(mode="json")
    return out


# ------------------------------------------------------------------------- state
class Services:
    """What one server process holds: the Assistant(s), the Catalog, and their locks."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._assistants: dict[str, Any] = {}
        self._catalog: Any = None
        self.ask_lock = threading.Lock()  # the Assistants of a process share one store
        self.catalog_lock = threading.Lock()
        self.ready = threading.Event()
        self.error: str | None = None
        self.documents = 0

    def load(self) -> None:
        """Load the default Assistant (embedding model, clinical reader, index); record why not, if not."""
        from assistant.service import Assistant, NoIndexError

        try:
            assistant = Assistant(self.settings)
            self._assistants[self.settings.engine] = assistant
            self.documents = len(assistant.store.manifest.statuses())
        except (NoIndexError, ValueError, OSError, RuntimeError) as exc:
            self.error = str(exc)
            log.error("GuideQA cannot answer yet: %s", exc)
        finally:
            self.ready.set()

    def assistant(self, engine: str | None) -> Any:
        from assistant.service import Assistant

        if not self.ready.is_set() or self.error is not None:
            raise HTTPException(
                503, self.error or "loading the index and the embedding model", headers={"Retry-After": "5"}
            )
        name = engine or self.settings.engine
        found = self._assistants.get(name)
        if found is None:
            default = self._assistants[self.settings.engine]
            found = Assistant(self.settings.model_copy(update={"engine": name}), store=default.store)
            self._assistants[name] = found
        return found

    def ask(
        self, question: str, *, history: list[str] | None = None, audience: str = "physician", engine: str | None = None
    ) -> Answer:
        from assistant.engines import EngineConfigError, UnknownEngineError
        from assistant.query import QuestionError

        try:
            with self.ask_lock:
                answer: Answer = self.assistant(engine).ask(question, audience=audience, history=history or [])
        except EngineConfigError as exc:  # a known engine this server is not configured for
            raise HTTPException(503, str(exc)) from exc
        except (QuestionError, UnknownEngineError) as exc:
            raise HTTPException(400, str(exc)) from exc
        return answer

    @contextmanager
    def catalog(self) -> Iterator[Any]:
        from editorial.catalog import REFUSALS, Catalog
        from editorial.lifecycle import LifecycleError
        from store.lock import LockBusyError

        with self.catalog_lock:
            if self._catalog is None:
                if not self.settings.manifest_path.exists():
                    raise HTTPException(503, f"no index in {self.settings.home}: run `guideqa ingest` first")
                self._catalog = Catalog(self.settings)
            try:
                yield self._catalog
            except PermissionError as exc:
                raise HTTPException(403, str(exc)) from exc
            except LockBusyError as exc:
                raise HTTPException(503, str(exc), headers={"Retry-After": "5"}) from exc
            except LifecycleError as exc:
                status = 404 if str(exc).startswith("no document") else 409
                raise HTTPException(status, str(exc)) from exc
            except DocumentError as exc:
                raise HTTPException(400, str(exc)) from exc
            except REFUSALS as exc:  # pragma: no cover - every refusal kind is handled above
                raise HTTPException(409, str(exc)) from exc

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()


def _user(request: Request, _: Annotated[Any, Depends(_bearer)] = None) -> User:
    user: User | None = request.scope.get("state", {}).get("user")
    if user is None:  # pragma: no cover - the gate refuses such a request before it gets here
        raise HTTPException(401, "missing or invalid bearer token")
    return user


def _editor(user: Annotated[User, Depends(_user)]) -> User:
    if not user.is_editor:
        raise HTTPException(403, f"client '{user.name}' has role '{user.role}': editor endpoints need an editor token")
    return user


# --------------------------------------------------------------------------- app
def create_app(settings: Settings | None = None, *, load: bool = True) -> FastAPI:
    """The FastAPI app over one data directory (``settings``, default: the environment's)."""
    settings = settings or get_settings()
    services = Services(settings)

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        if load:
            threading.Thread(target=services.load, name="guideqa-load", daemon=True).start()
        yield
        services.close()

    app = FastAPI(
        title="GuideQA API",
        version="1",
        description="Guideline-grounded answers to medical-necessity questions, with citations; documents and "
        "their review lifecycle; CDS Hooks 2.0 services (order-select, order-sign) with Da Vinci CRD "
        "coverage information. Every request needs `Authorization: Bearer <token>`.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        responses=ERRORS,
        dependencies=[Depends(_user)],
    )
    app.state.services = services

    @app.get("/healthz", response_model=HealthOut, tags=["service"])
    def healthz() -> HealthOut:
        """The process is up."""
        return HealthOut(status="ok")

    @app.get(
        "/readyz",
        response_model=ReadyOut,
        tags=["service"],
        responses={503: {"model": ReadyOut, "description": "Still loading, or cannot answer (detail says why)."}},
    )
    def readyz() -> Any:
        """Ready to answer: the index and the embedding model are loaded."""
        if not services.ready.is_set():
            return JSONResponse(ReadyOut(status="loading").model_dump(), status_code=503)
        if services.error is not None:
            return JSONResponse(ReadyOut(status="error", detail=services.error).model_dump(), status_code=503)
        return ReadyOut(status="ready", documents=services.documents)

    # ------------------------------------------------------------ answers
    def answers(body: AskIn) -> Answer:
        """Answer one question (a follow-up when `history` holds the earlier turns): the `Answer` JSON."""
        return services.ask(body.question, history=body.history, audience=body.audience, engine=body.engine)

    answers.__annotations__["body"] = ask_model(available_engines(settings))
    app.post(
        "/v1/answers",
        response_model=Answer,
        tags=["answers"],
        responses={
            400: {"model": ErrorOut, "description": "The question cannot be answered as asked."},
            503: {"model": ErrorOut, "description": "Still loading, no index, or the engine failed to start."},
        },
    )(answers)

    # ---------------------------------------------------------- documents
    @app.get(
        "/v1/documents",
        response_model=list[ListedOut],
        tags=["documents"],
        responses={503: {"model": ErrorOut, "description": "No index yet."}},
    )
    def list_documents(status: Annotated[Status | None, Query()] = None) -> list[ListedOut]:
        """Every document: its served revision (else the newest), with the newest revision."""
        with services.catalog() as catalog:
            shown = catalog.documents(status.value if status else None)
        return [
            ListedOut(**_revision(d.record).model_dump(), newest=d.newest.cited_as, newest_status=d.newest.status)
            for d in shown
        ]

    @app.get(
        "/v1/documents/{doc_id}",
        response_model=DocumentOut,
        tags=["documents"],
        responses={
            404: {"model": ErrorOut, "description": "No such document."},
            503: {"model": ErrorOut, "description": "No index yet."},
        },
    )
    def show_document(doc_id: Annotated[str, PathParam(max_length=200)]) -> DocumentOut:
        """Every revision of a document, the served one, its sources and its compiled criteria."""
        with services.catalog() as catalog:
            view = catalog.show(doc_id)
            if not view.revisions:
                raise HTTPException(404, f"no document '{doc_id}'")
            shown = view.served or view.revisions[-1]
            rules = [_rule(r) for r in catalog.rules(doc_id, shown.rev)]
        sources = [
            SourceOut(id=s.id, title=s.title, url=s.url, read=s.read.isoformat() if s.read else None, version=s.version)
            for s in shown.meta.sources
        ]
        return DocumentOut(
            doc_id=doc_id,
            served=_revision(view.served) if view.served else None,
            revisions=[_revision(r) for r in view.revisions],
            sources=sources,
            rules=rules,
        )

    @app.post(
        "/v1/documents",
        response_model=AddOut,
        status_code=201,
        tags=["editors"],
        responses={**EDITOR_ERRORS, 200: {"model": AddOut, "description": "Same content already stored."}},
    )
    def add_document(body: AddIn, editor: Annotated[User, Depends(_editor)]) -> Any:
        """Add a document (or, with `revise`, a new revision of one) as submitted. Editors only."""
        name = PurePath(body.filename).name
        if not name or name in (".", ".."):
            raise HTTPException(400, "filename: give a plain file name such as policy.md")
        try:
            data = base64.b64decode(body.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise HTTPException(400, "content_base64: not valid base64") from exc
        with tempfile.TemporaryDirectory(prefix="guideqa-upload-") as tmp:
            path = Path(tmp) / name
            try:
                path.write_bytes(data)
            except (OSError, ValueError) as exc:  # the schema's pattern already refuses such names
                raise HTTPException(400, "filename: give a plain file name such as policy.md") from exc
            with services.catalog() as catalog:
                try:
                    result = catalog.add(editor, path, dict(body.meta), revise=body.revise, note=body.note)
                except DocumentError as exc:  # name the upload, never the server's temporary path
                    raise HTTPException(400, str(exc).replace(str(path), name)) from exc
        out = AddOut(
            doc_id=result.doc_id,
            revision=result.rev,
            cited_as=result.cited_as,
            status=result.status,
            created=result.created,
            chunks_embedded=result.chunks_embedded,
            superseded=result.superseded,
        )
        return out if result.created else JSONResponse(out.model_dump(), status_code=200)

    @app.post(
        "/v1/documents/{doc_id}/{action}",
        response_model=RevisionOut,
        tags=["editors"],
        responses=EDITOR_ERRORS,
    )
    def act(
        doc_id: Annotated[str, PathParam(max_length=200)],
        action: Annotated[Literal["submit", "review", "approve", "reject", "retire"], PathParam()],
        editor: Annotated[User, Depends(_editor)],
        body: Annotated[NoteIn | None, Body()] = None,
    ) -> RevisionOut:
        """One lifecycle action (review, approve, reject with a note, retire, submit). Editors only."""
        note = body.note if body else ""
        with services.catalog() as catalog:
            record = catalog.transition(editor, doc_id, action, note)
        return _revision(record)

    # ---------------------------------------------------------- CDS Hooks
    @app.get("/cds-services", response_model=cds.CdsDiscovery, tags=["cds-hooks"])
    def discovery() -> cds.CdsDiscovery:
        """CDS Hooks discovery: the services this server offers."""
        return cds.CdsDiscovery.model_validate({"services": cds.SERVICES})

    cds_errors: dict[int | str, dict[str, Any]] = {
        400: {"model": ErrorOut, "description": "A FHIR resource of the request is not valid FHIR R4."},
        503: {"model": ErrorOut, "description": "Still loading, or no index."},
    }

    def _call(service_id: str, body: cds.CdsRequest) -> cds.CdsResponse:
        try:
            response, _ = cds.respond(service_id, body, lambda q: services.ask(q))
        except cds.CdsRequestError as exc:
            raise HTTPException(400, str(exc)) from exc
        return response

    # One route per service, each with its hook's own request schema (order-select needs `selections`).
    @app.post(
        "/cds-services/guideqa-order-select",
        response_model=cds.CdsResponse,
        response_model_exclude_none=True,
        tags=["cds-hooks"],
        responses=cds_errors,
    )
    def order_select(body: cds.OrderSelectRequest) -> cds.CdsResponse:
        """order-select: cards for the selected procedure and imaging orders, CRD coverage-information actions."""
        return _call("guideqa-order-select", body)

    @app.post(
        "/cds-services/guideqa-order-sign",
        response_model=cds.CdsResponse,
        response_model_exclude_none=True,
        tags=["cds-hooks"],
        responses=cds_errors,
    )
    def order_sign(body: cds.OrderSignRequest) -> cds.CdsResponse:
        """order-sign: cards for every draft procedure and imaging order, CRD coverage-information actions."""
        return _call("guideqa-order-sign", body)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the first route of a path in Allow; every route of the path counts.
            allowed: set[str] = set()
            for route in app.router.routes:
                match, _ = route.matches({**request.scope, "method": "__none__"})
                if match != Match.NONE and isinstance(route, APIRoute):
                    allowed |= route.methods or set()
            headers["Allow"] = ", ".join(sorted(allowed))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    app.add_middleware(
        Gate,
        verifier=TokenVerifier(settings.tokens_path),
        limiter=RateLimiter(settings.api_rate_per_minute, settings.api_rate_burst),
        max_body=settings.api_max_body_kb * 1024,
        max_upload=int(settings.api_max_upload_mb * 1_000_000),
    )
    # Added after the gate, so CORS is outermost: a browser's preflight is answered without a token.
    if settings.api_cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.api_cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    return app


def create_app_from_env() -> FastAPI:
    """The factory `guideqa serve` gives uvicorn (each worker builds its own app from GUIDEQA_* settings)."""
    apply_offline_defaults()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(get_settings())
