"""`calcbridge reproduce` (issue 18): an untouched partition reproduces bit for bit; a config edit is named."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest
import sqlalchemy as sa

from orchestration import reproduce
from orchestration.clo import tables
from orchestration.clo.mapping import fields, profiles
from orchestration.core import versions
from orchestration.definitions import defs
from tests.clo.files import holdings_rows, openpyxl_book

HOLDINGS_KEY = dg.AssetKey(["clo", "mapped_holdings"])
PROFILE = "assets_config/mappings/bloomberg_clo.yaml"


@pytest.fixture
def landed(platform, lander, tenant) -> tuple[str, str]:
    """One workbook landed and run as the code location defines it; (partition key, a holding id)."""
    key = lander.land(
        tenant, "repro.xlsx", openpyxl_book({"Holdings": holdings_rows()}), {"mapping_profile_id": "bloomberg_clo"}
    )
    assert dg.materialize(
        [defs.resolve_assets_def(HOLDINGS_KEY)], partition_key=key, instance=platform.instance
    ).success
    query = sa.select(tables.holdings.c.holding_id).where(tables.holdings.c.partition_key == key)
    with platform.warehouse.connect() as conn:
        holding_id = conn.execute(query.order_by(tables.holdings.c.row_index)).scalars().first()
    return key, holding_id


def _figure(tenant: str, key: str, holding_id: str) -> reproduce.Figure:
    return reproduce.Figure(tables.holdings.fullname, tenant, key, {"holding_id": holding_id})


def _scratch_schemas(platform) -> list[str]:
    query = sa.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'repro\\_%'")
    with platform.warehouse.connect() as conn:
        return list(conn.execute(query).scalars())


def test_an_untouched_partition_reproduces_bit_for_bit(platform, landed, tenant):
    key, holding_id = landed
    outcome = reproduce.reproduce(platform.warehouse, _figure(tenant, key, holding_id))
    assert outcome.identical, outcome.lines()
    assert outcome.figure_identical
    assert outcome.code_changes == {}
    assert outcome.source_changes == []
    assert outcome.stored["holding_id"] == holding_id
    assert outcome.stored["par_amount"] is not None
    compared = {t.table: t for t in outcome.tables}
    holdings = compared[tables.holdings.fullname]
    assert holdings.stored_rows == holdings.reproduced_rows == len(holdings_rows()) - 1
    assert all(t.differing_rows == 0 for t in outcome.tables)
    assert outcome.recorded_code_version == outcome.current_code_version
    assert _scratch_schemas(platform) == []  # dropped afterwards


def test_a_config_edit_is_named_and_the_figure_differs(platform, landed, tenant, tmp_path, monkeypatch):
    key, holding_id = landed
    config = tmp_path / "assets_config"
    shutil.copytree(versions.CONFIG_ROOT, config)
    profile = config / "mappings" / "bloomberg_clo.yaml"
    text = profile.read_text()
    assert "issuer_name: {source: Issuer Name, transform: trim}" in text
    profile.write_text(
        text.replace(
            "issuer_name: {source: Issuer Name, transform: trim}",
            "issuer_name: {source: Issuer Name, transform: upper}",
        )
    )
    monkeypatch.setattr(versions, "CONFIG_ROOT", config)
    monkeypatch.setattr(fields, "MAPPINGS_DIR", config / "mappings")
    monkeypatch.setattr(profiles, "MAPPINGS_DIR", config / "mappings")

    outcome = reproduce.reproduce(platform.warehouse, _figure(tenant, key, holding_id))

    assert not outcome.identical
    assert not outcome.figure_identical
    assert outcome.code_changes == {PROFILE: "changed"}
    holdings = next(t for t in outcome.tables if t.table == tables.holdings.fullname)
    assert holdings.differing_rows > 0
    assert "issuer_name" in holdings.differing_columns
    assert "par_amount" not in holdings.differing_columns
    assert outcome.stored["issuer_name"] != outcome.reproduced["issuer_name"]
    assert outcome.reproduced["issuer_name"] == outcome.stored["issuer_name"].upper()
    assert outcome.recorded_code_version != outcome.current_code_version
    report = "\n".join(outcome.lines())
    assert f"{PROFILE}: changed" in report
    assert "issuer_name" in report
    # What is served is untouched.
    query = sa.select(tables.holdings.c.issuer_name).where(tables.holdings.c.holding_id == holding_id)
    with platform.warehouse.connect() as conn:
        assert conn.execute(query).scalar_one() == outcome.stored["issuer_name"]


def test_the_cli_reports_identical_and_refuses_an_unknown_figure(platform, landed):
    _, holding_id = landed
    result = platform.run_cli("reproduce", "holding", holding_id)
    assert result.returncode == 0
    assert "identical" in result.stdout
    assert "DIFFERENT" not in result.stdout
    assert f"{tables.holdings.fullname}: " in result.stdout

    missing = platform.run_cli("reproduce", "holding", "no-such-holding", check=False)
    assert missing.returncode == 2
    assert "error: NOT_FOUND: no holding 'no-such-holding'" in missing.stderr
    unknown = platform.run_cli("reproduce", "beta-ish", "x", check=False)
    assert unknown.returncode == 2
    assert "error: UNKNOWN_KIND" in unknown.stderr
