"""Postgres stopped under a running API: every GET route answers 503 (or the 4xx it answers anyway), never a 500
and never a hang; started again on the same data directory and socket, the routes answer as before, no restart.

A real uvicorn server runs on its own embedded Postgres under a second CALCBRIDGE_HOME (every mart built, one
dead-letter run recorded), so stopping that server touches no other test. The routes come from the live
/openapi.json: every GET operation, path parameters filled with a dummy id. Each request's client timeout is the
API's statement timeout plus a margin: a request that is not answered by then fails the test.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest

from orchestration.core import postgres
from orchestration.core.dbt import run_dbt
from orchestration.core.settings import PlatformSettings
from tests.api.helpers import JWT_SECRET, assert_envelope, make_token
from tests.e2e.second_home import cli, home_env, start_api, stop_api
from tests.e2e.second_home import runtime_env as second_runtime_env

pytestmark = pytest.mark.e2e

STATEMENT_TIMEOUT_MS = 3000
CONNECT_TIMEOUT_S = 2
CLIENT_TIMEOUT_S = STATEMENT_TIMEOUT_MS / 1000 + 5
"""The API's statement timeout plus a margin for a loaded two-core machine: no answer by then fails the request."""

TENANT = "outage"
DUMMY_UUID = "00000000-0000-4000-8000-000000000000"
DUMMY_DATE = "2026-01-05"
DUMMY_TEXT = "x1"

V1 = "/api/v1"
DATA_ROUTES = {
    f"{V1}/uploads": 200,
    f"{V1}/workbooks": 200,
    f"{V1}/workbooks/{DUMMY_UUID}/holdings": 404,
    f"{V1}/dlq": 200,
    f"{V1}/dlq/stats": 200,
    f"{V1}/dlq/{DUMMY_UUID}": 404,
    f"{V1}/risk/metrics": 404,
    f"{V1}/positions": 404,
}
"""Routes that read Postgres (the warehouse or the Dagster storage): 503 SERVICE_UNAVAILABLE while it is down,
else their normal answer for a tenant with one dead letter and no files (no workbook, no portfolio)."""

LIVENESS = ("/healthz", "/health", "/health/live")
READINESS = ("/readyz", "/health/ready")
ALWAYS_200 = (*LIVENESS, "/status", "/health/detailed", "/metrics")
"""The health contract: liveness and the dashboards' status pages answer 200 whatever is down."""


@dataclass(frozen=True)
class Route:
    path: str
    params: dict[str, str]


@dataclass
class Outage:
    """The second platform: its settings, the environment its processes share and the API's base URL."""

    settings: PlatformSettings
    env: dict[str, str]
    base: str
    dead_letter: str

    def get(self, route: Route) -> httpx.Response:
        token = make_token(TENANT, roles=["admin"])
        return httpx.get(
            self.base + route.path,
            params=route.params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=CLIENT_TIMEOUT_S,
        )

    def stop_postgres(self) -> None:
        assert postgres.stop_embedded(self.settings)

    def start_postgres(self) -> None:
        """`calcbridge db up`: the same data directory, so the same socket (pgserver derives it from the path)."""
        cli(self.env, "db", "up")


@dg.op
def land_statement() -> None:
    raise ConnectionError("the custodian's SFTP refused the connection")


@dg.job
def statement_job() -> None:
    land_statement()


def _record_dead_letter(dagster_home: Path, dagster_url: str) -> str:
    """One failed run of the tenant in the second platform's Dagster storage (a dead letter)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_PG_URL", dagster_url)
        instance = dg.DagsterInstance.from_config(str(dagster_home))
    try:
        result = statement_job.execute_in_process(
            instance=instance, tags={"tenant": TENANT, "domain": "clo"}, raise_on_error=False
        )
        assert not result.success
        return result.run_id
    finally:
        instance.dispose()


def _api_env(base_env: dict[str, str], runtime_env: dict[str, str]) -> dict[str, str]:
    return {
        **base_env,
        **runtime_env,
        "CALCBRIDGE_API_ENV": "test",
        "CALCBRIDGE_API_JWT_SECRET": JWT_SECRET,
        "CALCBRIDGE_API_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS),
        "CALCBRIDGE_API_CONNECT_TIMEOUT_SECONDS": str(CONNECT_TIMEOUT_S),
        "CALCBRIDGE_API_REQUIRE_DAEMON": "false",
        "CALCBRIDGE_API_RATE_LIMIT_PER_SECOND": "0",
        "CALCBRIDGE_API_TENANT_RATE_LIMIT_PER_SECOND": "0",
        "CALCBRIDGE_API_COUNT_CACHE_SECONDS": "0",
    }


@pytest.fixture(scope="module")
def outage() -> Iterator[Outage]:
    """The second platform up, every mart built, one dead letter, and an API serving it (not yet called).

    Its home is not under pytest's temporary root: every pytest session starting on the host makes that root
    private again, and pg_ctl runs as the server's own user, so a later `stop` could no longer reach the data.
    """
    root = Path(tempfile.mkdtemp(prefix="calcbridge-outage-"))
    home = root / "home"
    settings = PlatformSettings(home=home)
    env = home_env(home)
    server: subprocess.Popen[bytes] | None = None
    try:
        cli(env, "db", "up")
        runtime_env = second_runtime_env(settings)
        child_env = {**env, **runtime_env}
        run_dbt(["seed"], env=child_env)
        run_dbt(["run"], env=child_env)
        dead_letter = _record_dead_letter(settings.dagster_home, runtime_env["DAGSTER_PG_URL"])
        server, base = start_api(_api_env(env, runtime_env))
        yield Outage(settings=settings, env=env, base=base, dead_letter=dead_letter)
    finally:
        if server is not None:
            stop_api(server)
        postgres.stop_embedded(settings)
        shutil.rmtree(root, ignore_errors=True)


def _value(schema: dict[str, Any], name: str) -> str:
    """A dummy value the parameter's schema accepts: a UUID, a date or a short plain word."""
    fmt = schema.get("format")
    if fmt == "uuid":
        return DUMMY_UUID
    if fmt == "date" or name.lower().endswith("date"):
        return DUMMY_DATE
    return DUMMY_TEXT


def get_routes(base: str, dead_letter: str) -> list[Route]:
    """Every GET operation of the live document, path and required query parameters filled with dummy values;
    plus the recorded dead letter and a well-formed unknown run id, so the item route reads the Dagster storage."""
    document = httpx.get(f"{base}/openapi.json", timeout=CLIENT_TIMEOUT_S).json()
    routes: list[Route] = []
    for template, operations in document["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        path = template
        params: dict[str, str] = {}
        for parameter in operation.get("parameters", []):
            value = _value(parameter.get("schema", {}), parameter["name"])
            if parameter["in"] == "path":
                path = path.replace("{" + parameter["name"] + "}", value)
            elif parameter["in"] == "query" and parameter.get("required"):
                params[parameter["name"]] = value
        routes.append(Route(path, params))
    routes += [Route(f"{V1}/dlq/{dead_letter}", {}), Route(f"{V1}/dlq/{DUMMY_UUID}", {})]
    assert len(routes) > 60
    return routes


def call_every_route(outage: Outage, routes: list[Route]) -> dict[str, httpx.Response]:
    """One answer per route; a request not answered within CLIENT_TIMEOUT_S raises (httpx.ReadTimeout)."""
    answers: dict[str, httpx.Response] = {}
    for route in routes:
        try:
            answers[route.path] = outage.get(route)
        except httpx.TimeoutException:
            pytest.fail(f"GET {route.path} was not answered within {CLIENT_TIMEOUT_S}s")
    return answers


def assert_down(answers: dict[str, httpx.Response], dead_letter: str) -> None:
    """While Postgres is down: data routes 503 with Retry-After, readiness 503, liveness and status 200, and
    every other route a 503 or a 4xx in the error envelope: never a 500."""
    for path in (*DATA_ROUTES, f"{V1}/dlq/{dead_letter}"):
        assert_envelope(answers[path], 503, "SERVICE_UNAVAILABLE")
        assert int(answers[path].headers["Retry-After"]) > 0, path
    for path in READINESS:
        assert answers[path].status_code == 503, path
        assert answers[path].json() == {"status": "degraded", "reason": "postgres-unavailable"}
    for path in ALWAYS_200:
        assert answers[path].status_code == 200, path
    dependencies = {d["name"]: d["status"] for d in answers["/status"].json()["dependencies"]}
    assert dependencies["postgres"] == "error"
    assert answers["/health/detailed"].json()["status"] == "unhealthy"
    wrong = []
    for path, answer in answers.items():
        if path in (*READINESS, *ALWAYS_200):
            continue
        if answer.status_code not in (401, 404, 422, 503):
            wrong.append(f"{path}: {answer.status_code} {answer.text[:200]}")
            continue
        assert_envelope(answer, answer.status_code, answer.json()["error"]["code"])
    assert not wrong, "\n".join(wrong)


def test_routes_answer_503_while_postgres_is_down_and_recover_when_it_is_back(outage: Outage) -> None:
    routes = get_routes(outage.base, outage.dead_letter)

    # Down before the API ever reached it: nothing opened yet (no pool, no Dagster instance).
    outage.stop_postgres()
    assert_down(call_every_route(outage, routes), outage.dead_letter)

    outage.start_postgres()
    before = call_every_route(outage, routes)
    normal = {**DATA_ROUTES, f"{V1}/dlq/{outage.dead_letter}": 200, "/readyz": 200, "/status": 200}
    assert {p: before[p].status_code for p in normal} == normal
    assert before[f"{V1}/dlq"].json()["data"][0]["id"] == outage.dead_letter
    assert before[f"{V1}/dlq/stats"].json()["total"] == 1
    failing = {p: a.status_code for p, a in before.items() if a.status_code >= 500}
    assert not failing, failing

    # Down under a warm API: pooled warehouse connections and an open Dagster instance on a dead server.
    outage.stop_postgres()
    assert_down(call_every_route(outage, routes), outage.dead_letter)

    outage.start_postgres()
    after = call_every_route(outage, routes)
    assert {p: a.status_code for p, a in after.items()} == {p: a.status_code for p, a in before.items()}
    assert after[f"{V1}/dlq/{outage.dead_letter}"].json() == before[f"{V1}/dlq/{outage.dead_letter}"].json()
    assert after[f"{V1}/dlq/stats"].json() == before[f"{V1}/dlq/stats"].json()
    assert dt.datetime.fromisoformat(after[f"{V1}/dlq/stats"].json()["oldest"]).tzinfo is not None


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers: a Postgres behind a dead network path."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield int(listener.getsockname()[1])


def test_a_silent_dagster_storage_answers_503_within_the_connect_timeout(outage: Outage, silent_port: int) -> None:
    """libpq waits for a silent server's reply forever unless told otherwise: the API's Dagster storage URL
    carries a connect timeout. The warehouse still answers; readiness says what is missing."""
    silent = f"postgresql+psycopg2://postgres@127.0.0.1:{silent_port}/calcbridge_dagster"
    runtime_env = {**second_runtime_env(outage.settings), "DAGSTER_PG_URL": silent}
    dlq = (f"{V1}/dlq", f"{V1}/dlq/stats", f"{V1}/dlq/{outage.dead_letter}")
    server, base = start_api(_api_env(outage.env, runtime_env))
    try:
        api = Outage(settings=outage.settings, env=outage.env, base=base, dead_letter=outage.dead_letter)
        paths = (*dlq, f"{V1}/uploads", "/readyz", "/status", "/healthz")
        answers = call_every_route(api, [Route(path, {}) for path in paths])
    finally:
        stop_api(server)
    for path in dlq:
        assert_envelope(answers[path], 503, "SERVICE_UNAVAILABLE")
        assert int(answers[path].headers["Retry-After"]) > 0
    assert answers[f"{V1}/uploads"].status_code == 200
    assert answers["/readyz"].status_code == 503
    assert answers["/readyz"].json() == {"status": "degraded", "reason": "dagster-unavailable"}
    assert answers["/healthz"].status_code == 200
    dependencies = {d["name"]: d["status"] for d in answers["/status"].json()["dependencies"]}
    assert dependencies == {"postgres": "ok", "dagster-daemon": "error"}
