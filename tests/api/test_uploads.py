"""`/api/v1/uploads`: keyset pagination walks every row once, filters, and tenant isolation."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Keys, Tenants
from tests.api.helpers import ROWS_A, ROWS_B, assert_envelope

UPLOADS = "/api/v1/uploads"
Rows = dict[str, list[dict[str, Any]]]


def sort_key(row: dict[str, Any], sort: str) -> Any:
    if sort == "landed_at":
        return dt.datetime.fromisoformat(row["landed_at"])
    if sort == "size_bytes":
        return -1 if row["size_bytes"] is None else row["size_bytes"]
    return row[sort]


def walk(client: TestClient, key: str, **params: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """Follow cursors to the end (bounded); return every row and each page's total_count."""
    rows: list[dict[str, Any]] = []
    totals: list[int] = []
    cursor = None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(UPLOADS, params=query, headers={"X-API-Key": key})
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body["data"]
        totals.append(body["pagination"]["total_count"])
        cursor = body["pagination"]["cursor"]
        assert body["pagination"]["has_more"] == (cursor is not None)
        if cursor is None:
            return rows, totals
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", ["landed_at", "file_name", "size_bytes"])
def test_pages_walk_every_row_exactly_once(
    client: TestClient, keys: Keys, tenants: Tenants, uploads_rows: Rows, sort: str, order: str
) -> None:
    rows, totals = walk(client, keys.a, sort=sort, order=order, limit=10)
    ids = [r["upload_id"] for r in rows]
    assert len(ids) == len(set(ids)) == ROWS_A
    assert set(ids) == {r["upload_id"] for r in uploads_rows[tenants.a]}
    assert set(totals) == {ROWS_A}
    keys_in_order = [(sort_key(r, sort), r["upload_id"]) for r in rows]
    assert keys_in_order == sorted(keys_in_order, reverse=order == "desc")


def test_default_is_newest_first_fifty(client: TestClient, keys: Keys, uploads_rows: Rows) -> None:
    body = client.get(UPLOADS, headers={"X-API-Key": keys.a}).json()
    assert len(body["data"]) == 50
    assert body["pagination"]["has_more"] is True
    landed = [dt.datetime.fromisoformat(r["landed_at"]) for r in body["data"]]
    assert landed == sorted(landed, reverse=True)
    first = body["data"][0]
    assert set(first) == {
        "upload_id",
        "tenant_id",
        "domain",
        "file_name",
        "display_name",
        "tags",
        "sha256",
        "size_bytes",
        "partition_key",
        "status",
        "reason_code",
        "reason",
        "landed_at",
    }
    assert isinstance(first["tags"], list)


def test_limit_bounds(client: TestClient, keys: Keys, uploads_rows: Rows) -> None:
    error = assert_envelope(
        client.get(UPLOADS, params={"limit": 201}, headers={"X-API-Key": keys.a}), 422, "VALIDATION_ERROR"
    )
    assert error["details"][0]["field"] == "limit"
    assert len(client.get(UPLOADS, params={"limit": 200}, headers={"X-API-Key": keys.a}).json()["data"]) == ROWS_A


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(json.dumps({"s": "landed_at", "o": "desc", "v": 5, "id": "x"}).encode()).decode(),
        base64.urlsafe_b64encode(
            json.dumps({"s": "landed_at", "o": "desc", "v": "2026-01-01", "id": "x"}).encode()
        ).decode(),
    ],
)
def test_bad_cursor_is_422(client: TestClient, keys: Keys, uploads_rows: Rows, cursor: str) -> None:
    response = client.get(UPLOADS, params={"cursor": cursor}, headers={"X-API-Key": keys.a})
    error = assert_envelope(response, 422, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "cursor"


def test_cursor_from_another_sort_or_order_is_422(client: TestClient, keys: Keys, uploads_rows: Rows) -> None:
    cursor = client.get(UPLOADS, params={"limit": 5}, headers={"X-API-Key": keys.a}).json()["pagination"]["cursor"]
    for params in ({"sort": "file_name"}, {"order": "asc"}):
        response = client.get(UPLOADS, params={"cursor": cursor, **params}, headers={"X-API-Key": keys.a})
        assert assert_envelope(response, 422, "VALIDATION_ERROR")["details"][0]["code"] == "CURSOR_MISMATCH"


def test_unknown_sort_field_is_422(client: TestClient, keys: Keys, uploads_rows: Rows) -> None:
    response = client.get(UPLOADS, params={"sort": "sha256"}, headers={"X-API-Key": keys.a})
    assert assert_envelope(response, 422, "VALIDATION_ERROR")["details"][0]["field"] == "sort"


def test_each_tenant_sees_only_its_rows(client: TestClient, keys: Keys, tenants: Tenants, uploads_rows: Rows) -> None:
    rows_b, totals_b = walk(client, keys.b, limit=200)
    assert {r["tenant_id"] for r in rows_b} == {tenants.b}
    assert len(rows_b) == ROWS_B
    assert set(totals_b) == {ROWS_B}
    rows_a, _ = walk(client, keys.a, limit=200)
    assert {r["tenant_id"] for r in rows_a} == {tenants.a}


def test_filters(client: TestClient, keys: Keys, tenants: Tenants, uploads_rows: Rows) -> None:
    expected = [r for r in uploads_rows[tenants.a] if r["domain"] == "clo" and r["status"] == "rejected"]
    rows, totals = walk(client, keys.a, domain="clo", status="rejected", limit=3)
    assert sorted(r["upload_id"] for r in rows) == sorted(r["upload_id"] for r in expected)
    assert set(totals) == {len(expected)}
    assert all(r["partition_key"] is None for r in rows)
    bad = client.get(UPLOADS, params={"domain": "crypto"}, headers={"X-API-Key": keys.a})
    assert_envelope(bad, 422, "VALIDATION_ERROR")


def test_get_one_upload(client: TestClient, keys: Keys, tenants: Tenants, uploads_rows: Rows) -> None:
    row = uploads_rows[tenants.a][7]
    body = client.get(f"{UPLOADS}/{row['upload_id']}", headers={"X-API-Key": keys.a}).json()
    assert body["upload_id"] == row["upload_id"]
    assert body["status"] == "rejected"
    assert body["reason_code"] == "UNSUPPORTED_EXTENSION"
    assert dt.datetime.fromisoformat(body["landed_at"]) == row["landed_at"]
    assert_envelope(client.get(f"{UPLOADS}/upl_missing", headers={"X-API-Key": keys.a}), 404, "RESOURCE_NOT_FOUND")
