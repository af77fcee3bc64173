"""End to end: `calcbridge ingest` + `process` in subprocesses, then uvicorn serving the API over HTTP."""

import hashlib
import json

import dagster as dg
import httpx
import pytest

from orchestration.core.landing import partition_key_for, run_key_for
from tests.e2e.second_home import skip_earlier_portfolios, start_api, stop_api

pytestmark = pytest.mark.e2e

ACME = b"cusip,issuer_name,par_amount\n123456AB7,Acme Widgets,1000000\n"
GLOBEX = b"cusip,issuer_name,par_amount\n999999ZZ9,Globex Corp,250000\n"


@pytest.fixture(scope="module")
def landed(platform, tmp_path_factory):
    """Two tenants' workbooks and one file of an unknown type, landed and processed by the CLI."""
    src = tmp_path_factory.mktemp("src")
    (src / "acme").mkdir()
    (src / "globex").mkdir()
    (src / "acme" / "holdings.csv").write_bytes(ACME)
    (src / "acme" / "holdings.csv.meta.json").write_text(json.dumps({"name": "Q4 holdings", "tags": ["q4"]}))
    (src / "acme" / "notes.txt").write_text("not a workbook")
    (src / "globex" / "holdings.csv").write_bytes(GLOBEX)
    platform.run_cli("ingest", str(src / "acme"), "--tenant", "acme", "--domain", "clo")
    platform.run_cli("ingest", str(src / "globex" / "holdings.csv"), "--tenant", "globex", "--domain", "clo")
    skip_earlier_portfolios(platform.warehouse)  # other tests' portfolios are not this test's (no 90-day chains)
    first = platform.run_cli("process")
    return {"src": src, "process": first}


@pytest.fixture(scope="module")
def api(platform, landed):
    """A real uvicorn server on loopback and one API key per tenant."""
    keys = {
        t: platform.run_cli("apikey", "create", "--tenant", t).stdout.strip().splitlines()[-1]
        for t in ("acme", "globex")
    }
    server, base = start_api({**platform.env, "CALCBRIDGE_API_ENV": "development"})
    try:
        yield base, keys
    finally:
        stop_api(server)


def _uploads(base, key, **params):
    response = httpx.get(f"{base}/api/v1/uploads", headers={"X-API-Key": key}, params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_process_runs_one_job_per_file_then_dbt_and_logs_the_reject(landed):
    out = landed["process"].stdout
    assert out.count("SUCCESS  clo_files_job") == 2
    assert "SUCCESS  dbt_build_job" in out
    assert "rejected acme/clo/notes.txt: UNSUPPORTED_EXTENSION" in out
    assert "0 failed" in out


def test_each_tenant_reads_only_its_own_uploads_over_http(api):
    base, keys = api
    acme = _uploads(base, keys["acme"])
    assert acme["pagination"]["total_count"] == 2
    by_name = {row["file_name"]: row for row in acme["data"]}
    assert by_name["holdings.csv"]["status"] == "accepted"
    assert by_name["holdings.csv"]["display_name"] == "Q4 holdings"
    assert by_name["holdings.csv"]["sha256"] == hashlib.sha256(ACME).hexdigest()
    assert by_name["holdings.csv"]["partition_key"] == partition_key_for("acme", hashlib.sha256(ACME).hexdigest())
    assert by_name["notes.txt"]["status"] == "rejected"
    assert by_name["notes.txt"]["reason_code"] == "UNSUPPORTED_EXTENSION"
    globex = _uploads(base, keys["globex"])
    assert [row["file_name"] for row in globex["data"]] == ["holdings.csv"]
    assert globex["data"][0]["sha256"] == hashlib.sha256(GLOBEX).hexdigest()
    other = httpx.get(
        f"{base}/api/v1/uploads/{globex['data'][0]['upload_id']}", headers={"X-API-Key": keys["acme"]}, timeout=10
    )
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


def test_the_same_file_landed_again_runs_once(platform, landed):
    platform.run_cli("ingest", str(landed["src"] / "acme" / "holdings.csv"), "--tenant", "acme", "--domain", "clo")
    again = platform.run_cli("process")
    assert "clo_files_job" not in again.stdout
    run_key = run_key_for("acme", hashlib.sha256(ACME).hexdigest())
    runs = platform.instance.get_runs(dg.RunsFilter(job_name="clo_files_job", tags={"dagster/run_key": run_key}))
    assert len(runs) == 1


def test_a_failed_partition_shows_in_the_dead_letter_view_and_reruns(platform, api):
    base, keys = api
    sha = hashlib.sha256(GLOBEX).hexdigest()
    key = partition_key_for("globex", sha)
    archived = platform.settings.archive / sha[:2] / f"{sha}.csv"
    archived.write_bytes(b"tampered")
    failed = platform.run_cli("rerun", "--domain", "clo", key, check=False)
    assert failed.returncode == 1, failed.stdout
    dlq = httpx.get(f"{base}/api/v1/dlq", headers={"X-API-Key": keys["globex"]}, timeout=10).json()
    items = [i for i in dlq["data"] if i["partition"] == key]
    assert len(items) == 1
    assert "ARCHIVE_CORRUPT" in items[0]["error_message"]
    assert items[0]["task_args"]["tenant_id"] == "globex"
    assert items[0]["status"] == "failed"
    assert items[0]["error_type"] == "ARCHIVE_CORRUPT"
    acme_view = httpx.get(f"{base}/api/v1/dlq", headers={"X-API-Key": keys["acme"]}, timeout=10).json()
    assert all(i["partition"] != key for i in acme_view["data"])
    archived.write_bytes(GLOBEX)
    assert platform.run_cli("rerun", "--domain", "clo", key).returncode == 0
    repaired = httpx.get(f"{base}/api/v1/dlq/{items[0]['id']}", headers={"X-API-Key": keys["globex"]}, timeout=10)
    assert repaired.json()["status"] == "resolved"
