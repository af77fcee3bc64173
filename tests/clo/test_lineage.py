"""Lineage (issue 18): every write records its run, asset, code version and source file; stale after a change."""

from __future__ import annotations

import hashlib

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster._core.definitions.data_version import StaleStatus
from dagster._utils.test.data_versions import get_stale_status_resolver

from orchestration.clo import tables
from orchestration.core import versions
from orchestration.core.provenance import CODE_METADATA, with_code_versions
from orchestration.core.resources import WarehouseResource
from orchestration.core.schema import lineage
from orchestration.definitions import defs
from tests.clo.files import holdings_rows, openpyxl_book

CLO_KEYS = [dg.AssetKey(["clo", "raw_workbooks"]), dg.AssetKey(["clo", "mapped_holdings"])]


def _clo_assets(definitions: dg.Definitions) -> list[dg.AssetsDefinition]:
    """The CLO multi-asset as the code location defines it (code versions and resources bound)."""
    return [definitions.resolve_assets_def(CLO_KEYS[1])]


def _lineage(platform, tenant: str, key: str) -> dict[str, dict]:
    query = sa.select(lineage).where(lineage.c.tenant_id == tenant, lineage.c.partition_key == key)
    with platform.warehouse.connect() as conn:
        return {r["table_name"]: dict(r) for r in conn.execute(query).mappings()}


def test_a_landed_workbook_records_its_run_asset_code_version_and_file(platform, lander, tenant):
    content = openpyxl_book({"Holdings": holdings_rows()})
    key = lander.land(tenant, "lineage.xlsx", content)
    result = dg.materialize(_clo_assets(defs), partition_key=key, instance=platform.instance)
    assert result.success

    written = _lineage(platform, tenant, key)
    assert set(written) >= {tables.holdings.fullname, tables.workbooks.fullname, tables.sheet_rows.fullname}
    holdings = written[tables.holdings.fullname]
    assert holdings["run_id"] == result.run_id
    assert holdings["asset_key"] == "clo/mapped_holdings"
    assert written[tables.workbooks.fullname]["asset_key"] == "clo/raw_workbooks"
    (source,) = holdings["sources"]
    assert source["sha256"] == hashlib.sha256(content).hexdigest()
    assert (source["tenant_id"], source["domain"], source["file_name"]) == (tenant, "clo", "lineage.xlsx")
    # The code version is the digest of the files it lists, worked here from the files themselves.
    assert (
        holdings["inputs"]["orchestration/clo/pipeline.py"]
        == hashlib.sha256((versions.PROJECT_ROOT / "orchestration/clo/pipeline.py").read_bytes()).hexdigest()
    )
    assert any(p.startswith("assets_config/mappings/") for p in holdings["inputs"])
    assert holdings["code_version"] == versions.version_of(holdings["inputs"])
    assert "orchestration/clo/assets.py" not in holdings["inputs"]  # wiring is not part of it
    spec = defs.resolve_assets_def(CLO_KEYS[1]).specs_by_key[CLO_KEYS[1]]
    assert spec.code_version == holdings["code_version"]
    assert spec.metadata[CODE_METADATA]["package"] == "orchestration.clo"

    # The materialization's data version comes from the file's sha256 and that code version.
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == CLO_KEYS[1]]
    tags = event.materialization.tags or {}
    expected = hashlib.sha256(f"{source['sha256']}|{holdings['code_version']}".encode()).hexdigest()[:16]
    assert tags.get("dagster/data_version") == expected == holdings["data_version"]


def test_a_code_change_marks_the_materialized_partition_stale(platform, lander, tenant, monkeypatch):
    key = lander.land(tenant, "stale.xlsx", openpyxl_book({"Holdings": holdings_rows()[:3]}))
    assert dg.materialize(_clo_assets(defs), partition_key=key, instance=platform.instance).success

    def status(definitions: dg.Definitions) -> StaleStatus:
        """What the UI shows for the partition, under these definitions (Dagster's own stale resolver)."""
        resolver = get_stale_status_resolver(platform.instance, [definitions.resolve_assets_def(CLO_KEYS[1])])
        return resolver.get_status(CLO_KEYS[1], key)

    assert status(defs) == StaleStatus.FRESH

    from orchestration.clo import definitions as clo

    digests = versions.inputs("orchestration.clo", ["mappings"])
    edited = {**digests, "assets_config/mappings/bloomberg_clo.yaml": "0" * 64}
    monkeypatch.setattr(versions, "inputs", lambda package, configs=(): edited)
    changed = dg.Definitions.merge(
        with_code_versions(clo.defs(), "orchestration.clo", ["mappings"]),
        dg.Definitions(resources={"warehouse": WarehouseResource()}),
    )
    monkeypatch.undo()
    assert changed.resolve_assets_def(CLO_KEYS[1]).code_versions_by_key[CLO_KEYS[1]] != versions.version_of(digests)
    assert status(changed) == StaleStatus.STALE


@pytest.mark.parametrize("edit", ["changed", "added", "removed"])
def test_changed_names_each_file_that_differs(edit: str) -> None:
    recorded = {"a.py": "1", "b.yaml": "2"}
    current = {
        "changed": {"a.py": "1", "b.yaml": "3"},
        "added": {"a.py": "1", "b.yaml": "2", "c.py": "4"},
        "removed": {"a.py": "1"},
    }[edit]
    expected = {"changed": {"b.yaml": "changed"}, "added": {"c.py": "added"}, "removed": {"b.yaml": "removed"}}[edit]
    assert versions.changed(recorded, current) == expected
    assert versions.version_of(recorded) != versions.version_of(current)
