"""The HTTP API and CDS Hooks services as a client meets them: `guideqa serve` (uvicorn) as a real process on
a free loopback port, over a copy of the starter corpus index, real MiniLM and real Chroma.

Answers and cards are checked against the in-process `Assistant` and `guideqa ask` on the same facts;
CDS requests are the specification's own examples adapted to this corpus (tests/fixtures/cds/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.cds import OrderSelectRequest
from api.cds_question import order_questions
from assistant.service import Assistant
from core.settings import Settings
from tests.conftest import FIXTURES, ROOT, SEED_QUESTION
from tests.servers import chroma_server, free_port, stop

CDS = FIXTURES / "cds"
pytestmark = pytest.mark.slow


@dataclass
class Server:
    url: str
    home: Path
    log: Path
    tokens: dict[str, str]
    proc: subprocess.Popen

    def client(self, who: str | None = "physician", **kwargs: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]


def _cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", "--home", str(home), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env or os.environ.copy(),
        timeout=120,
    )


def _add_token(home: Path, name: str, role: str) -> str:
    done = _cli(home, "tokens", "add", name, "--role", role)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and len(lines[0]) >= 40, "the token is printed alone on stdout"
    return lines[0]


def _start(home: Path, log: Path, tokens: dict[str, str], env_extra: dict[str, str], *, ready: bool) -> Server:
    port = free_port()
    env = {**os.environ, **env_extra}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "--home", str(home), "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
        )
    server = Server(f"http://127.0.0.1:{port}", home, log, tokens, proc)
    deadline = time.monotonic() + 120
    with server.client() as client:
        while True:
            try:
                response = client.get("/readyz")
                if not ready or response.status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(proc)
                pytest.fail(f"guideqa serve did not become ready on {server.url}:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)


@pytest.fixture(scope="module")
def server(starter_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("api") / "home"
    shutil.copytree(starter_settings.home, home)
    tokens = {
        "physician": _add_token(home, "ehr-sandbox", "physician"),
        "editor": _add_token(home, "erin", "editor"),
        "fuzz": _add_token(home, "schemathesis", "physician"),
    }
    log = home.parent / "server.log"
    env = {"GUIDEQA_API_RATE_BURST": "100000", "GUIDEQA_API_RATE_PER_MINUTE": "100000"}
    srv = _start(home, log, tokens, env, ready=True)
    try:
        yield srv
    finally:
        stop(srv.proc)


@pytest.fixture(scope="module")
def assistant(starter_settings: Settings) -> Assistant:
    """The in-process Assistant over the same starter index (its own copy: no two processes share one Chroma)."""
    return Assistant(starter_settings)


def _comparable(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k not in ("timings",)}


def _fixture(name: str) -> dict:
    return json.loads((CDS / name).read_text(encoding="utf-8"))


# ------------------------------------------------------------------ tokens and access
def test_tokens_are_stored_as_hashes_in_a_private_file(server: Server):
    path = server.home / "tokens.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    for token in server.tokens.values():
        assert token not in text
    listed = _cli(server.home, "tokens", "list").stdout
    assert "ehr-sandbox\tphysician" in listed and "erin\teditor" in listed and "sha" not in listed


def test_every_request_needs_a_valid_token(server: Server):
    with server.client(None) as anonymous:
        for method, path in [
            ("GET", "/healthz"),
            ("GET", "/openapi.json"),
            ("GET", "/v1/documents"),
            ("GET", "/cds-services"),
            ("POST", "/v1/answers"),
            ("POST", "/cds-services/guideqa-order-select"),
            ("GET", "/no-such-path"),
        ]:
            response = anonymous.request(method, path, json={"question": "x"} if method == "POST" else None)
            assert response.status_code == 401, (method, path)
            assert response.headers["www-authenticate"].startswith("Bearer")
        wrong = anonymous.get("/healthz", headers={"Authorization": "Bearer " + "x" * 43})
        assert wrong.status_code == 401
        basic = anonymous.get("/healthz", headers={"Authorization": "Basic " + server.tokens["physician"]})
        assert basic.status_code == 401
    with server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json()["status"] == "ready"


def test_physician_tokens_are_refused_on_editor_endpoints(server: Server):
    with server.client() as client:
        assert client.post("/v1/documents/lcd-facet-joint-interventions/approve").status_code == 403
        assert client.post("/v1/documents/lcd-facet-joint-interventions/retire", json={"note": "x"}).status_code == 403
        upload = {"filename": "x.md", "content_base64": "eA=="}
        assert client.post("/v1/documents", json=upload).status_code == 403
        # and nothing changed
        served = client.get("/v1/documents/lcd-facet-joint-interventions").json()["served"]
        assert served["status"] == "approved"


def test_a_revoked_token_is_refused_by_the_running_server(server: Server):
    token = _add_token(server.home, "temporary", "physician")
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/healthz", headers=headers).status_code == 200
        done = _cli(server.home, "tokens", "revoke", "temporary")
        assert done.returncode == 0, done.stderr
        assert client.get("/healthz", headers=headers).status_code == 401
    assert _cli(server.home, "tokens", "revoke", "temporary").returncode == 2


# ------------------------------------------------------------------------- answers
def test_the_answer_endpoint_returns_what_guideqa_ask_prints(server: Server):
    with server.client() as client:
        response = client.post("/v1/answers", json={"question": SEED_QUESTION})
    assert response.status_code == 200, response.text
    printed = _cli(server.home, "ask", SEED_QUESTION, "--json")
    assert printed.returncode == 0, printed.stderr
    assert _comparable(response.json()) == _comparable(json.loads(printed.stdout))


def test_a_follow_up_and_the_patient_audience_go_through_the_same_assistant(server: Server, assistant: Assistant):
    follow_up = "what about the cervical region?"
    with server.client() as client:
        response = client.post(
            "/v1/answers", json={"question": follow_up, "history": [SEED_QUESTION], "audience": "patient"}
        )
        assert response.status_code == 200, response.text
        bad = client.post("/v1/answers", json={"question": "is it indicated?", "engine": "no-such-engine"})
        assert bad.status_code == 422  # the engines are an enum in the schema
        no_words = client.post("/v1/answers", json={"question": "?? 12"})
        assert no_words.status_code == 422
        empty = client.post("/v1/answers", json={"question": "   "})
        assert empty.status_code == 422  # the schema asks for a letter or digit
    expected = assistant.ask(follow_up, history=[SEED_QUESTION], audience="patient").model_dump(mode="json")
    got = response.json()
    assert got["understood_as"] == expected["understood_as"] and got["audience"] == "patient"
    assert got["determination"] == expected["determination"]
    assert [(r["doc_id"], r["revision"]) for r in got["references"]] == [
        (r["doc_id"], r["revision"]) for r in expected["references"]
    ]


def test_documents_are_listed_and_shown_with_sources_and_compiled_criteria(server: Server):
    with server.client() as client:
        listed = client.get("/v1/documents").json()
        assert len(listed) == 13 and all(d["status"] == "approved" and d["served"] for d in listed)
        approved = client.get("/v1/documents", params={"status": "approved"}).json()
        assert len(approved) == 13
        assert client.get("/v1/documents", params={"status": "submitted"}).json() == []
        shown = client.get("/v1/documents/lcd-facet-joint-interventions").json()
        assert shown["served"]["cited_as"] == "lcd-facet-joint-interventions@1"
        assert shown["sources"] and shown["sources"][0]["url"].startswith("https://")
        assert any(r["kind"] == "requirement" for r in shown["rules"])
        assert client.get("/v1/documents/no-such-doc").status_code == 404


# ------------------------------------------------------------------------ CDS Hooks
def test_discovery_lists_the_order_services(server: Server):
    with server.client() as client:
        services = client.get("/cds-services").json()["services"]
    assert {(s["id"], s["hook"]) for s in services} == {
        ("guideqa-order-select", "order-select"),
        ("guideqa-order-sign", "order-sign"),
    }
    assert all(
        s["description"] and "Condition?patient={{context.patientId}}" in s["prefetch"]["conditions"] for s in services
    )


def _card_matches(card: dict, answer: dict) -> None:
    ext = card["extension"]["guideqa"]
    assert ext["determination"] == answer["determination"]
    assert ext["headline"] == answer["headline"]
    assert [(c["criterion"], c["status"]) for c in ext["criteria"]] == [
        (c["criterion"], c["status"]) for c in answer["criteria"]
    ]
    assert ext["references"] == [f"{r['doc_id']}@{r['revision']}" for r in answer["references"]]
    for check in answer["criteria"]:
        if check["status"] == "unknown":
            assert check["criterion"][:40].split("(")[0].split("[")[0] in card["detail"].replace("\\", "")
    urls = {r["source_url"] for r in answer["references"] if r["source_url"]}
    assert {link["url"] for link in card["links"]} == urls
    assert len(card["summary"]) < 140


@pytest.mark.parametrize(
    ("service", "fixture"),
    [
        ("guideqa-order-select", "order-select-64635-64636.json"),
        ("guideqa-order-sign", "order-sign-64635-64636.json"),
    ],
)
def test_the_seed_order_gets_the_card_guideqa_ask_gives(
    server: Server, assistant: Assistant, service: str, fixture: str
):
    request = _fixture(fixture)
    with server.client() as client:
        response = client.post(f"/cds-services/{service}", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    [card] = body["cards"]  # one card for the two procedure orders; none for the MedicationRequest
    seed = assistant.ask(SEED_QUESTION).model_dump(mode="json")
    _card_matches(card, seed)  # the same verdict, criteria and references as the seed question typed
    assert card["indicator"] == {"indicated": "info", "not_indicated": "critical"}.get(seed["determination"], "warning")
    assert card["source"]["label"].startswith("GuideQA")
    # the question the card answered, as built from the order, answers the same in process
    built = card["extension"]["guideqa"]["question"]
    assert "64635 and 64636" in built and "M47.817" in built and "prior spinal fusion" in built
    _card_matches(card, assistant.ask(built).model_dump(mode="json"))
    # CRD: each procedure order updated with the coverage-information extension
    updated = [a["resource"] for a in body["systemActions"]]
    assert [a["type"] for a in body["systemActions"]] == ["update", "update"]
    assert [r["id"] for r in updated] == ["rfa-64635", "rfa-64636"]
    for resource, code in zip(updated, ["64635", "64636"], strict=True):
        [info] = [e for e in resource["extension"] if e["url"].endswith("ext-coverage-information")]
        parts = {p["url"]: p for p in info["extension"]}
        covered = {"indicated": "covered", "not_indicated": "not-covered", "conditional": "conditional"}
        assert parts["covered"]["valueCode"] == covered[seed["determination"]]
        assert parts["coverage"]["valueReference"] == {"reference": "Coverage/coverage-medicare"}
        assert parts["billingCode"]["valueCoding"]["code"] == code
        assert parts["coverage-assertion-id"]["valueString"]


def test_the_question_built_in_process_is_the_one_the_service_asked(server: Server):
    request = OrderSelectRequest.model_validate(_fixture("order-select-64635-64636.json"))
    from api.cds import read_request

    orders, findings, patient, coverage = read_request(request)
    [question] = order_questions([o for o, _ in orders], findings, patient)
    with server.client() as client:
        card = client.post("/cds-services/guideqa-order-select", json=_fixture("order-select-64635-64636.json")).json()[
            "cards"
        ][0]
    assert card["extension"]["guideqa"]["question"] == question.question
    assert coverage == "Coverage/coverage-medicare"


def test_the_imaging_order_from_the_spec_example_gets_an_appropriateness_card(server: Server, assistant: Assistant):
    with server.client() as client:
        response = client.post("/cds-services/guideqa-order-select", json=_fixture("order-select-lumbar-mri.json"))
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    built = card["extension"]["guideqa"]["question"]
    _card_matches(card, assistant.ask(built).model_dump(mode="json"))
    assert card["extension"]["guideqa"]["references"][0].startswith("acr-appropriateness-low-back-pain@")


def test_bad_cds_requests_are_client_errors(server: Server):
    good = _fixture("order-select-64635-64636.json")
    with server.client() as client:
        wrong_hook = client.post("/cds-services/guideqa-order-sign", json=good)
        assert wrong_hook.status_code == 422  # each service's schema names its hook
        assert client.post("/cds-services/no-such-service", json=good).status_code == 404
        invalid = json.loads(json.dumps(good))
        invalid["context"]["draftOrders"]["entry"][1]["resource"]["authoredOn"] = "yesterday"
        response = client.post("/cds-services/guideqa-order-select", json=invalid)
        assert response.status_code == 400
        assert "ServiceRequest/rfa-64635" in response.json()["detail"] and "authoredOn" in response.json()["detail"]
        bad_condition = json.loads(json.dumps(good))
        bad_condition["prefetch"]["conditions"]["entry"][0]["resource"]["subject"] = "Patient/1288992"
        response = client.post("/cds-services/guideqa-order-select", json=bad_condition)
        assert response.status_code == 400 and "prefetch.conditions" in response.json()["detail"]
        no_bundle = json.loads(json.dumps(good))
        del no_bundle["context"]["draftOrders"]
        assert client.post("/cds-services/guideqa-order-select", json=no_bundle).status_code == 422
        no_selections = json.loads(json.dumps(good))
        del no_selections["context"]["selections"]
        assert client.post("/cds-services/guideqa-order-select", json=no_selections).status_code == 422
        assert (
            client.post("/cds-services/guideqa-order-sign", json={**no_selections, "hook": "order-sign"}).status_code
            == 200
        )
        nothing_selected = json.loads(json.dumps(good))
        nothing_selected["context"]["selections"] = ["MedicationRequest/smart-MedicationRequest-103"]
        response = client.post("/cds-services/guideqa-order-select", json=nothing_selected)
        assert response.status_code == 200 and response.json() == {"cards": [], "systemActions": []}


# ------------------------------------------------------------- size, rate, logs
@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with tiny limits over an empty data directory (the gate needs no index)."""
    home = tmp_path_factory.mktemp("api-small") / "home"
    tokens = {"physician": _add_token(home, "limited", "physician"), "other": _add_token(home, "other", "physician")}
    env = {"GUIDEQA_API_MAX_BODY_KB": "1", "GUIDEQA_API_RATE_BURST": "5", "GUIDEQA_API_RATE_PER_MINUTE": "1"}
    srv = _start(home, home.parent / "server.log", tokens, env, ready=False)
    try:
        yield srv
    finally:
        stop(srv.proc)


def test_limits_body_size_and_rate_per_token(small_server: Server):
    with small_server.client() as client:
        too_big = client.post("/v1/answers", json={"question": "x" * 2000})
        assert too_big.status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(4):
                yield b" " * 400

        chunked = client.post("/v1/answers", content=chunks(), headers={"Content-Type": "application/json"})
        assert chunked.status_code == 413
        statuses = [client.get("/healthz").status_code for _ in range(6)]
        assert statuses[-1] == 429 and 200 in statuses
        limited = client.get("/healthz")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    with small_server.client("other") as other:  # per token: another client is not limited
        assert other.get("/healthz").status_code == 200
        not_ready = other.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.json()["status"] in ("loading", "error")


def test_cors_is_off_by_default(server: Server):
    with server.client() as client:
        response = client.get("/healthz", headers={"Origin": "https://evil.example"})
        preflight = client.options(
            "/v1/answers", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in preflight.headers


# ------------------------------------------------------------- schemathesis
def test_schemathesis_finds_no_server_error_and_no_schema_violation(server: Server, tmp_path: Path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{server.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {server.tokens['fuzz']}",
            "--max-examples",
            "8",
            "--seed",
            "1",
            "--workers",
            "1",
            "--request-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


# ------------------------------------------------------------- editors, concurrently
def _revised_facet_lcd(tmp: Path) -> Path:
    source = (ROOT / "corpus" / "lcd-facet-joint-interventions.md").read_text(encoding="utf-8")
    path = tmp / "lcd-facet-joint-interventions.md"
    path.write_text(source.replace("status: approved", "status: submitted") + "\n\nRevised by the API test.\n")
    return path


def test_an_editor_approves_a_revision_while_eight_clients_ask(server: Server, tmp_path: Path):
    import base64

    doc = "lcd-facet-joint-interventions"
    upload = {
        "filename": "lcd-facet-joint-interventions.md",
        "content_base64": base64.b64encode(_revised_facet_lcd(tmp_path).read_bytes()).decode(),
        "revise": True,
        "note": "API test revision",
    }
    with server.client("editor") as editor:
        for bad_name in ["a\x00b.md", "../up.md", "policy.exe"]:  # the first was a 500 schemathesis found
            assert editor.post("/v1/documents", json={**upload, "filename": bad_name}).status_code == 422
        empty = editor.post("/v1/documents", json={"filename": "empty.md", "content_base64": "CgoK"})
        assert empty.status_code == 400 and empty.json()["detail"].startswith("empty.md: ")  # no server path
        no_revise = editor.post("/v1/documents", json={**upload, "revise": False})
        assert no_revise.status_code == 400 and "--revise" in no_revise.json()["detail"]
        added = editor.post("/v1/documents", json=upload)
        assert added.status_code == 201, added.text
        assert added.json()["cited_as"] == f"{doc}@2" and added.json()["status"] == "submitted"
        again = editor.post("/v1/documents", json=upload)
        assert again.status_code == 200 and again.json()["created"] is False
        reject_without_note = editor.post(f"/v1/documents/{doc}/reject")
        assert reject_without_note.status_code == 409 and "note" in reject_without_note.json()["detail"]
        assert editor.post("/v1/documents/no-such-doc/review").status_code == 404

        results: list[tuple[float, float, dict]] = []
        errors: list[str] = []
        stop_at = time.monotonic() + 60
        approved_at: dict[str, float] = {}

        def ask() -> None:
            with server.client() as client:
                while time.monotonic() < stop_at and (
                    "done" not in approved_at or time.monotonic() < approved_at["done"] + 3
                ):
                    started = time.monotonic()
                    response = client.post("/v1/answers", json={"question": SEED_QUESTION})
                    if response.status_code != 200:
                        errors.append(response.text)
                        return
                    results.append((started, time.monotonic(), response.json()))

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(2)
        assert editor.post(f"/v1/documents/{doc}/review").json()["status"] == "under_review"
        time.sleep(2)
        approved_at["sent"] = time.monotonic()
        approved = editor.post(f"/v1/documents/{doc}/approve", json={"note": "checked"})
        approved_at["done"] = time.monotonic()
        assert approved.status_code == 200 and approved.json()["cited_as"] == f"{doc}@2"
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert len(results) >= 16
    cited = [(s, e, {r["revision"] for r in a["references"] if r["doc_id"] == doc}, a) for s, e, a in results]
    for started, ended, revisions, answer in cited:
        assert all(r["status"] == "approved" for r in answer["references"]), "an unapproved revision was cited"
        assert len(revisions) <= 1, "one answer mixed two revisions"
        if 2 in revisions:
            assert ended >= approved_at["sent"], "revision 2 was cited before it was approved"
        if started > approved_at["done"]:
            assert revisions == {2}, "an answer after the approval still cited the retired revision"
    assert any(2 in r for _, _, r, _ in cited) and any(1 in r for _, _, r, _ in cited)
    with server.client() as client:
        assert client.get(f"/v1/documents/{doc}").json()["served"]["cited_as"] == f"{doc}@2"


def test_no_token_question_or_document_text_is_logged(server: Server, small_server: Server):
    logs = server.log.read_text() + small_server.log.read_text()
    assert "POST /v1/answers 200 client=ehr-sandbox" in logs  # the log line exists, naming the client
    for token in [*server.tokens.values(), *small_server.tokens.values()]:
        assert token not in logs
    assert "some-opaque-fhir-access-token" not in logs
    assert "spondylosis" not in logs.lower() and "64635" not in logs
    facet = (ROOT / "corpus" / "lcd-facet-joint-interventions.md").read_text(encoding="utf-8")
    for line in facet.splitlines():
        if len(line) > 60 and not line.startswith(("title:", "source_url", "  ")):
            assert line not in logs


# ------------------------------------------------------------- on a Chroma server
def test_serve_answers_from_a_chroma_server_as_in_process(tmp_path: Path):
    from core.records import Status
    from ingest.pipeline import ingest_paths
    from store.store import Store
    from tests.conftest import FIXTURE_CORPUS

    server = None
    with chroma_server(tmp_path / "chroma-data", tmp_path / "chroma.log") as url:
        try:
            settings = Settings(home=tmp_path / "home", chroma_url=url, collection="api_on_chroma_server")
            store = Store(settings)
            assert not ingest_paths(store, [FIXTURE_CORPUS], status=Status.approved).failed
            store.close()
            tokens = {"physician": _add_token(settings.home, "ehr", "physician")}
            env = {"GUIDEQA_CHROMA_URL": url, "GUIDEQA_COLLECTION": "api_on_chroma_server"}
            server = _start(settings.home, tmp_path / "server.log", tokens, env, ready=True)
            assert not settings.chroma_dir.exists(), "the server must not open an embedded Chroma"
            question = "Is CPT 29881 indicated for a patient with knee osteoarthritis without mechanical symptoms?"
            with server.client() as client:
                response = client.post("/v1/answers", json={"question": question})
            assert response.status_code == 200, response.text
            expected = Assistant(settings).ask(question).model_dump(mode="json")
            assert _comparable(response.json()) == _comparable(expected)
        finally:
            if server is not None:
                stop(server.proc)
