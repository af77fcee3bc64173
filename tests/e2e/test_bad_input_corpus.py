"""The bad-input corpus: one malformed file per landing domain, plus the attack run's hostile numbers and documents.

Each file is landed as a tenant of its own and run by its domain's file job, as the landing sensor runs it. The
invariant, for every one: the run fails with a typed error (an `error_code` on the failure), it is not retried,
the landed file is kept in the archive byte for byte, and no other tenant's row changed in any Python-written
table.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from orchestration.core import landing_log
from orchestration.core.partitions import file_job_name
from orchestration.definitions import defs
from orchestration.schema import metadata

pytestmark = pytest.mark.e2e


def _alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        prev, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ",".join(f"*{prev}" for _ in range(9)) + "]")
    return "\n".join(lines) + "\n"


NOT_A_WORKBOOK = b"PK\x03\x04 this is not a zip archive, it only starts like one"
CORPUS: list[tuple[str, str, bytes]] = [
    ("clo", "not_a_workbook.xlsx", NOT_A_WORKBOOK),
    (
        "clo",
        "non_finite.csv",
        b"cusip,issuer_name,par_amount,price,market_value\n"
        b"123456AB7,Acme,1e308,1e308,1\n"
        b"222222AA1,Globex,1e999,99.5,1\n"
        b"333333AA2,Initech," + b"9" * 400 + b",99.5,1\n",
    ),
    ("trustee", "not_a_workbook.xlsx", NOT_A_WORKBOOK),
    ("geneva", "unclosed.xml", b'<?xml version="1.0"?>\n<GenevaReport><Position><Cusip>1234'),
    ("bloomberg", "no_columns.csv", b"what,is,this\n1,2,3\n"),
    ("resolutions", "not_json.json", b'{"resolutions": [{"variance_id": '),
    ("scenarios", "alias_bomb.yaml", _alias_bomb().encode()),
    ("scenarios", "deep.json", b"[" * 5000 + b"]" * 5000),
    (
        "equity",
        "overflow.csv",
        b"ticker,quantity,entry_price,entry_date,position_type,tags\nAAPL,1e300,190.5,2024-01-02,LONG,core\n",
    ),
    ("covenants", "not_json.json", b'{"deals": [ {"deal_id": "x", '),
    ("performance", "nan.json", b'{"portfolio_id": "P", "daily": [{"date": "2024-01-02", "return": NaN}]}'),
    ("pnl", "garbage.csv", b"\x00\x01\x02 not a csv \xff\xfe"),
]


def _others(engine: sa.Engine, tenant: str) -> dict[str, Any]:
    """Per Python-written table: the rows of every tenant but `tenant` (count and an order-free digest)."""
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.schema not in ("raw", "analytics") or "tenant_id" not in table.c:
                continue
            rows = conn.execute(sa.select(table).where(table.c.tenant_id != tenant)).all()
            out[table.fullname] = (len(rows), hashlib.sha256("\n".join(sorted(map(repr, rows))).encode()).hexdigest())
    return out


@pytest.mark.parametrize(("domain", "name", "content"), CORPUS, ids=[f"{d}-{n}" for d, n, _ in CORPUS])
def test_a_bad_file_fails_typed_once_keeps_its_landing_and_touches_no_other_tenant(
    platform: Any, tmp_path: Path, domain: str, name: str, content: bytes
) -> None:
    tenant = f"bad-{uuid.uuid4().hex[:8]}"
    landing, archive = tmp_path / "landing", tmp_path / "archive"
    path = landing / tenant / domain / name
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    evaluation = landing_log.evaluate(
        platform.warehouse, domain, None, landing_root=landing, archive_root=archive, settle_seconds=0
    )
    assert not evaluation.rejected  # the door checks layout and size only: these reach their parsers
    (request,) = evaluation.requests
    before = _others(platform.warehouse, tenant)
    platform.instance.add_dynamic_partitions(f"{domain}_files", [request.partition_key])
    job = defs.resolve_job_def(file_job_name(domain))
    result = job.execute_in_process(
        instance=platform.instance, partition_key=request.partition_key, tags=request.tags, raise_on_error=False
    )
    assert not result.success
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failures
    codes = [
        (f.step_failure_data.user_failure_data.metadata or {}).get("error_code")
        for f in failures
        if f.step_failure_data.user_failure_data is not None
    ]
    messages = [f.step_failure_data.error.message if f.step_failure_data.error else f.message for f in failures]
    assert codes, messages
    assert all(c is not None and str(c.value).isupper() for c in codes), messages
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    record = landing_log.require(platform.warehouse, domain, request.partition_key)
    assert hashlib.sha256(Path(record.archive_path).read_bytes()).hexdigest() == record.sha256
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    assert _others(platform.warehouse, tenant) == before


def test_the_corpus_covers_every_landing_domain() -> None:
    from orchestration.core.settings import DOMAINS

    assert {d for d, _, _ in CORPUS} == set(DOMAINS)
