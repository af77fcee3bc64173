"""`/api/v1/dlq`: real failed Dagster runs in the session's instance, read back per tenant."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from orchestration.core.settings import PROJECT_ROOT
from tests.api.conftest import Keys, Tenants
from tests.api.helpers import api_settings, assert_envelope, bearer, make_token

DLQ = "/api/v1/dlq"
PARTITIONS = dg.StaticPartitionsDefinition(["p1", "p2", "p3"])


@dg.asset(key=["api_tests", "bad_input"], partitions_def=PARTITIONS)
def bad_input() -> dg.MaterializeResult:
    """Fails the way orchestration's typed input errors do: dg.Failure with an error_code."""
    raise dg.Failure(
        description="WORKBOOK_INVALID_FORMAT: sheet 'Holdings' is missing (at holdings.xlsx)",
        metadata={"error_code": "WORKBOOK_INVALID_FORMAT"},
        allow_retries=False,
    )


@dg.asset(key=["api_tests", "crashes"], partitions_def=PARTITIONS)
def crashes() -> dg.MaterializeResult:
    raise ValueError("column 'par' is not numeric")


@dg.asset(key=["api_tests", "fine"], partitions_def=PARTITIONS)
def fine() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 1})


@dg.op
def send_report() -> None:
    raise ConnectionError("smtp relay refused the connection")


@dg.job
def report_job() -> None:
    send_report()


@dataclass(frozen=True)
class Runs:
    bad_input: str
    crashes: str
    job: str
    success: str
    retrying: str
    other_tenant: str

    @property
    def dead_letters_a(self) -> set[str]:
        return {self.bad_input, self.crashes, self.job}


def materialize(instance: dg.DagsterInstance, asset: dg.AssetsDefinition, tenant: str, domain: str, part: str) -> str:
    result = dg.materialize(
        [asset], instance=instance, tags={"tenant": tenant, "domain": domain}, partition_key=part, raise_on_error=False
    )
    return result.run_id


@pytest.fixture(scope="module")
def runs(platform: Any, tenants: Tenants) -> Iterator[Runs]:
    instance: dg.DagsterInstance = platform.instance
    job_run = report_job.execute_in_process(
        instance=instance, tags={"tenant": tenants.a, "domain": "clo"}, raise_on_error=False
    )
    made = Runs(
        bad_input=materialize(instance, bad_input, tenants.a, "clo", "p1"),
        crashes=materialize(instance, crashes, tenants.a, "equity", "p2"),
        job=job_run.run_id,
        success=materialize(instance, fine, tenants.a, "clo", "p1"),
        retrying=materialize(instance, crashes, tenants.a, "clo", "p3"),
        other_tenant=materialize(instance, bad_input, tenants.b, "clo", "p1"),
    )
    # Run retries decide at failure time; mark one run as awaiting a retry, as the daemon would.
    instance.add_run_tags(made.retrying, {"dagster/will_retry": "true"})
    yield made
    for run_id in vars(made).values():
        instance.delete_run(run_id)


def test_lists_only_the_callers_dead_letters(client: TestClient, keys: Keys, runs: Runs, platform: Any) -> None:
    body = client.get(DLQ, headers={"X-API-Key": keys.a}).json()
    items = {item["id"]: item for item in body["data"]}
    assert set(items) == runs.dead_letters_a
    assert body["pagination"] == {"cursor": None, "has_more": False, "total_count": 3}

    typed = items[runs.bad_input]
    assert typed["error_type"] == "WORKBOOK_INVALID_FORMAT"
    assert "sheet 'Holdings' is missing" in typed["error_message"]
    assert typed["task_type"] == "asset"
    assert typed["partition"] == "p1"
    assert typed["status"] == "failed"
    assert typed["retry_count"] == 0
    assert typed["max_retries"] == platform.instance.run_retries_max_retries
    assert typed["task_args"]["domain"] == "clo"
    assert typed["task_args"]["partition"] == "p1"
    assert dt.datetime.fromisoformat(typed["failed_at"]) >= dt.datetime.fromisoformat(typed["created_at"])

    crash = items[runs.crashes]
    assert crash["error_type"] == "ValueError"
    assert crash["error_message"] == "column 'par' is not numeric"
    assert "ValueError" in crash["error_traceback"]
    assert len(crash["error_traceback"]) <= 4000
    # No server paths: this test file's frame is project-relative, Dagster's frames are under <site-packages>.
    assert 'File "tests/api/test_dlq.py"' in crash["error_traceback"]
    assert str(PROJECT_ROOT) not in crash["error_traceback"]
    assert not re.search(r'File "/', crash["error_traceback"])

    job = items[runs.job]
    assert job["task_type"] == "job"
    assert job["error_type"] == "ConnectionError"
    assert job["partition"] is None
    assert job["task_args"]["job_name"] == "report_job"


def test_pages_and_orders(client: TestClient, keys: Keys, runs: Runs) -> None:
    for order in ("asc", "desc"):
        seen: list[str] = []
        first = client.get(DLQ, params={"limit": 2, "order": order}, headers={"X-API-Key": keys.a}).json()
        assert first["pagination"]["has_more"] is True
        seen += [i["id"] for i in first["data"]]
        cursor = first["pagination"]["cursor"]
        second = client.get(DLQ, params={"limit": 2, "order": order, "cursor": cursor}, headers={"X-API-Key": keys.a})
        body = second.json()
        seen += [i["id"] for i in body["data"]]
        assert body["pagination"] == {"cursor": None, "has_more": False, "total_count": 3}
        assert sorted(seen) == sorted(runs.dead_letters_a)
        created = [i["created_at"] for i in first["data"] + body["data"]]
        assert created == sorted(created, reverse=order == "desc")
    bad = client.get(DLQ, params={"cursor": "garbage"}, headers={"X-API-Key": keys.a})
    assert_envelope(bad, 422, "VALIDATION_ERROR")


def test_domain_filter(client: TestClient, keys: Keys, runs: Runs) -> None:
    body = client.get(DLQ, params={"domain": "equity"}, headers={"X-API-Key": keys.a}).json()
    assert [i["id"] for i in body["data"]] == [runs.crashes]
    assert body["pagination"]["total_count"] == 1


def test_item_is_tenant_scoped(client: TestClient, keys: Keys, runs: Runs) -> None:
    own = client.get(f"{DLQ}/{runs.bad_input}", headers={"X-API-Key": keys.a})
    assert own.status_code == 200
    assert own.json()["error_type"] == "WORKBOOK_INVALID_FORMAT"
    for run_id in (runs.other_tenant, runs.success, runs.retrying, "not-a-run-id"):
        assert_envelope(client.get(f"{DLQ}/{run_id}", headers={"X-API-Key": keys.a}), 404, "RESOURCE_NOT_FOUND")
    theirs = client.get(f"{DLQ}/{runs.other_tenant}", headers={"X-API-Key": keys.b})
    assert theirs.status_code == 200


def test_stats(client: TestClient, keys: Keys, runs: Runs) -> None:
    stats = client.get(f"{DLQ}/stats", headers={"X-API-Key": keys.a}).json()
    assert stats["total"] == 3
    assert stats["by_type"] == {"asset": 2, "job": 1}
    assert stats["by_domain"] == {"clo": 2, "equity": 1}
    listed = client.get(DLQ, params={"order": "asc"}, headers={"X-API-Key": keys.a}).json()["data"]
    assert stats["oldest"] == listed[0]["created_at"]
    other = client.get(f"{DLQ}/stats", headers={"X-API-Key": keys.b}).json()
    assert other["total"] == 1


def test_dlq_needs_read_dlq(client: TestClient, tenants: Tenants, runs: Runs) -> None:
    only_uploads = make_token(tenants.a, permissions=["read:uploads"])
    assert_envelope(client.get(DLQ, headers=bearer(only_uploads)), 403, "AUTH_INSUFFICIENT_PERMISSIONS")
    with_dlq = make_token(tenants.a, permissions=["read:dlq"])
    assert client.get(f"{DLQ}/stats", headers=bearer(with_dlq)).json()["total"] == 3


def test_dlq_without_dagster_home_finds_the_platform_instance(
    monkeypatch: pytest.MonkeyPatch, keys: Keys, runs: Runs
) -> None:
    """`uvicorn api.main:app` with only CALCBRIDGE_HOME set: the API opens the instance the CLI would (no 503)."""
    monkeypatch.delenv("DAGSTER_HOME")
    monkeypatch.delenv("DAGSTER_PG_URL")
    app = create_app(api_settings())
    with TestClient(app) as alone:
        stats = alone.get(f"{DLQ}/stats", headers={"X-API-Key": keys.a})
        assert stats.status_code == 200, stats.text
        assert stats.json()["total"] == 3
