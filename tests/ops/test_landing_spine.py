"""Sensor → partition → landed_files asset → warehouse, on a real Postgres and Dagster instance."""

import hashlib
import shutil

import dagster as dg
import pytest
import sqlalchemy as sa

from orchestration.core.landing import partition_key_for, run_key_for
from orchestration.core.resources import LandingZoneResource, WarehouseResource
from orchestration.core.schema import landed_files, landing_log
from orchestration.definitions import defs
from orchestration.ops.assets import landed_files_assets


@pytest.fixture
def zone(tmp_path):
    return LandingZoneResource(
        landing_root=str(tmp_path / "landing"), archive_root=str(tmp_path / "archive"), settle_seconds=0
    )


def _drop(zone, tenant, domain, name, content: bytes):
    path = zone.landing / tenant / domain / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _tick(platform, zone, domain, cursor=None) -> dg.SensorResult:
    sensor = defs.resolve_sensor_def(f"{domain}_landing_sensor")
    context = dg.build_sensor_context(
        instance=platform.instance,
        cursor=cursor,
        resources={"warehouse": WarehouseResource(), "landing_zone": zone},
    )
    return sensor(context)


def _log(platform, tenant):
    query = (
        sa.select(landing_log.c.file_name, landing_log.c.status, landing_log.c.reason_code)
        .where(landing_log.c.tenant_id == tenant)
        .order_by(landing_log.c.landing_id)
    )
    with platform.warehouse.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def test_sensor_adds_one_partition_and_one_run_per_file_and_logs_rejects(platform, zone):
    a = b"cusip,par\n123456AB7,1000000\n"
    b = b"cusip,par\n999999ZZ9,5\n"
    _drop(zone, "sensor-a", "clo", "holdings.csv", a)
    _drop(zone, "sensor-b", "clo", "holdings.csv", b)
    _drop(zone, "sensor-a", "clo", "readme.txt", b"not a workbook")
    result = _tick(platform, zone, "clo")

    key_a = partition_key_for("sensor-a", hashlib.sha256(a).hexdigest())
    key_b = partition_key_for("sensor-b", hashlib.sha256(b).hexdigest())
    requests = {r.partition_key: r for r in result.run_requests}
    assert set(requests) == {key_a, key_b}
    assert requests[key_a].run_key == run_key_for("sensor-a", hashlib.sha256(a).hexdigest())
    assert requests[key_a].tags["tenant"] == "sensor-a"
    assert requests[key_a].tags["domain"] == "clo"
    (add,) = result.dynamic_partitions_requests
    assert add.partitions_def_name == "clo_files"
    assert set(add.partition_keys) == {key_a, key_b}
    assert sorted(_log(platform, "sensor-a")) == [
        ("holdings.csv", "accepted", None),
        ("readme.txt", "rejected", "UNSUPPORTED_EXTENSION"),
    ]
    # The archive holds the content before anything parses it.
    assert (zone.archive / hashlib.sha256(a).hexdigest()[:2]).is_dir()

    # Nothing new: no requests, same cursor.
    again = _tick(platform, zone, "clo", cursor=result.cursor)
    assert again.run_requests == []
    assert again.cursor == result.cursor

    # The same content under another name: logged as duplicate, requested with the same run key.
    _drop(zone, "sensor-a", "clo", "holdings-copy.csv", a)
    dup = _tick(platform, zone, "clo", cursor=result.cursor)
    assert [r.run_key for r in dup.run_requests] == [requests[key_a].run_key]
    assert _log(platform, "sensor-a")[-1] == ("holdings-copy.csv", "duplicate", "DUPLICATE_CONTENT")


def test_sensor_survives_an_invalid_sidecar_and_keeps_going(platform, zone):
    _drop(zone, "sensor-c", "equity", "book.csv", b"ticker,quantity\nAAPL,1\n")
    (zone.landing / "sensor-c" / "equity" / "book.csv.meta.json").write_text("{broken")
    _drop(zone, "sensor-c", "equity", "book2.csv", b"ticker,quantity\nMSFT,1\n")
    result = _tick(platform, zone, "equity")
    assert len(result.run_requests) == 1
    assert sorted(_log(platform, "sensor-c")) == [
        ("book.csv", "rejected", "INVALID_SIDECAR"),
        ("book2.csv", "accepted", None),
    ]


def _materialize(platform, domain, key, raise_on_error=True):
    platform.instance.add_dynamic_partitions(f"{domain}_files", [key])
    return dg.materialize(
        [landed_files_assets[domain]],
        partition_key=key,
        instance=platform.instance,
        resources={"warehouse": WarehouseResource()},
        raise_on_error=raise_on_error,
    )


def _rows(platform, domain, tenant):
    table = landed_files[domain]
    with platform.warehouse.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).where(table.c.tenant_id == tenant)).mappings()]


def test_landed_files_writes_one_row_and_reruns_identically(platform, zone):
    content = b'{"portfolio": {"id": "p"}}'
    path = _drop(zone, "asset-a", "performance", "series.json", content)
    (path.parent / "series.json.meta.json").write_text('{"name": "Flagship", "tags": ["x"]}')
    (request,) = _tick(platform, zone, "performance").run_requests
    result = _materialize(platform, "performance", request.partition_key)
    assert result.success
    first = _rows(platform, "performance", "asset-a")
    assert len(first) == 1
    row = first[0]
    assert row["sha256"] == hashlib.sha256(content).hexdigest()
    assert row["size_bytes"] == len(content)
    assert row["sidecar"] == {"name": "Flagship", "tags": ["x"]}
    assert row["partition_key"] == request.partition_key
    (check,) = result.get_asset_check_evaluations()
    assert check.passed
    assert _materialize(platform, "performance", request.partition_key).success
    assert _rows(platform, "performance", "asset-a") == first


def test_a_corrupt_archive_fails_typed_without_retry_and_keeps_rows(platform, zone):
    content = b"ticker,quantity\nNVDA,3\n"
    landed = _drop(zone, "asset-b", "equity", "book.csv", content)
    (request,) = _tick(platform, zone, "equity").run_requests
    assert _materialize(platform, "equity", request.partition_key).success
    before = _rows(platform, "equity", "asset-b")
    archived = zone.archive / hashlib.sha256(content).hexdigest()[:2] / f"{hashlib.sha256(content).hexdigest()}.csv"
    saved = archived.read_bytes()
    archived.write_bytes(b"tampered")
    try:
        result = _materialize(platform, "equity", request.partition_key, raise_on_error=False)
        assert not result.success
        failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
        assert len(failures) == 1
        error = failures[0].step_failure_data
        assert "ARCHIVE_CORRUPT" in error.error.message
        assert error.user_failure_data.metadata["error_code"].value == "ARCHIVE_CORRUPT"
        assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
        assert _rows(platform, "equity", "asset-b") == before
        assert landed.read_bytes() == content  # the landed file is kept
    finally:
        archived.write_bytes(saved)
    assert _materialize(platform, "equity", request.partition_key).success


def test_a_partition_nobody_landed_fails_with_a_typed_error(platform):
    result = _materialize(platform, "trustee", "ghost.0000000000000000", raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "LANDING_UNKNOWN_PARTITION" in failure.step_failure_data.error.message


def test_archive_missing_is_its_own_error(platform, zone):
    content = b"a,b\n1,2\n"
    _drop(zone, "asset-c", "trustee", "statement.csv", content)
    (request,) = _tick(platform, zone, "trustee").run_requests
    shutil.rmtree(zone.archive / hashlib.sha256(content).hexdigest()[:2])
    result = _materialize(platform, "trustee", request.partition_key, raise_on_error=False)
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "ARCHIVE_MISSING" in failure.step_failure_data.error.message
