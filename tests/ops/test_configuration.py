"""ops/configuration: every assets_config/ file validated into ops.configuration, served through marts.configuration.

Expectations come from the YAML files read here with plain PyYAML (not the domains' loaders), so a document the
asset drops, duplicates or reshapes fails these tests.
"""

from __future__ import annotations

import hashlib

import dagster as dg
import sqlalchemy as sa
import yaml

from orchestration.core.resources import WarehouseResource
from orchestration.core.settings import PROJECT_ROOT
from orchestration.definitions import defs
from orchestration.ops import configuration as config_module
from orchestration.ops.assets import configuration
from orchestration.ops.sensors import CONFIGURATION_SENSOR
from orchestration.ops.tables import configuration as table
from orchestration.reports import config as report_config

CONFIG = PROJECT_ROOT / "assets_config"


def _rows(platform) -> dict[tuple[str, str], dict]:
    with platform.warehouse.connect() as conn:
        rows = conn.execute(sa.select(table.c.kind, table.c.name, table.c.document, table.c.config_sha256)).all()
    return {(r.kind, r.name): {"document": r.document, "sha": r.config_sha256} for r in rows}


def _materialize(platform) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [configuration], instance=platform.instance, resources={"warehouse": WarehouseResource()}, raise_on_error=False
    )


def test_every_file_document_is_a_row_as_the_yaml_says(platform):
    rows = _rows(platform)
    alerts = yaml.safe_load((CONFIG / "alerts" / "default.yaml").read_text())["rules"]
    assert {n for k, n in rows if k == "alert_rule"} == {r["id"] for r in alerts}
    first = alerts[0]
    served = rows[("alert_rule", first["id"])]["document"]
    assert served["condition"] == first["condition"]
    assert served["severity"] == first["severity"]
    templates = [yaml.safe_load(p.read_text()) for p in sorted((CONFIG / "reports").glob("*.yaml"))]
    assert {n for k, n in rows if k == "report_template"} == {t["id"] for t in templates}
    assert rows[("report_template", templates[0]["id"])]["document"]["sections"] == templates[0]["sections"]
    factors = yaml.safe_load((CONFIG / "factors.yaml").read_text())["factors"]
    assert {n: rows[("equity_factor", n)]["document"]["etf"] for k, n in rows if k == "equity_factor"} == {
        f["name"]: f["etf"] for f in factors
    }
    colors = yaml.safe_load((CONFIG / "tags.yaml").read_text())["colors"]
    assert {n: rows[("equity_tag_color", n)]["document"]["color"] for k, n in rows if k == "equity_tag_color"} == colors
    tolerances = yaml.safe_load((CONFIG / "reconciliation" / "tolerances.yaml").read_text())
    profiles = tolerances.get("profiles", tolerances)
    assert {n for k, n in rows if k == "reconciliation_tolerance_profile"} == set(profiles)
    mapping_ids = {yaml.safe_load(p.read_text())["id"] for p in (CONFIG / "mappings").glob("*.yaml")}
    assert {n for k, n in rows if k == "clo_mapping_profile"} == mapping_ids


def test_the_version_is_the_sha256_of_every_file(platform):
    digest = hashlib.sha256()
    for path in sorted(p for p in CONFIG.rglob("*") if p.is_file()):
        digest.update(path.relative_to(CONFIG).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    assert {row["sha"] for row in _rows(platform).values()} == {digest.hexdigest()}


def test_an_invalid_file_fails_typed_once_and_keeps_the_last_good_configuration(platform, tmp_path, monkeypatch):
    before = _rows(platform)
    broken = tmp_path / "reports"
    broken.mkdir()
    (broken / "bad.yaml").write_text("id: bad\nname: Bad\nformats: [pdf, docx]\nsections: [summary]\n")
    monkeypatch.setattr(config_module, "load_templates", lambda: report_config.load_templates(broken))
    result = _materialize(platform)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    metadata = failure.step_failure_data.user_failure_data.metadata
    assert metadata["error_code"].value == report_config.INVALID_REPORT_TEMPLATE
    assert "bad.yaml" in metadata["where"].value
    assert not [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert _rows(platform) == before


def test_an_edit_replaces_the_whole_configuration_and_the_view_serves_it(platform, tmp_path, monkeypatch):
    edited = tmp_path / "reports"
    edited.mkdir()
    text = (CONFIG / "reports" / "trustee_monthly.yaml").read_text().replace("id: trustee_monthly", "id: edited")
    (edited / "edited.yaml").write_text(text)
    monkeypatch.setattr(config_module, "load_templates", lambda: report_config.load_templates(edited))
    try:
        assert _materialize(platform).success
        with platform.warehouse.connect() as conn:
            served = conn.execute(
                sa.text("select name from marts.configuration where kind = 'report_template'")
            ).scalars()
            assert list(served) == ["edited"]
    finally:
        monkeypatch.undo()
        assert _materialize(platform).success
    assert ("report_template", "trustee_monthly") in _rows(platform)


def test_the_sensor_requests_one_run_per_new_version():
    sensor = defs.resolve_sensor_def(CONFIGURATION_SENSOR)
    first = sensor(dg.build_sensor_context(cursor=None))
    (request,) = first.run_requests
    sha = config_module.config_sha256()
    assert request.run_key == f"configuration:{sha}"
    assert first.cursor == sha
    again = sensor(dg.build_sensor_context(cursor=sha))
    assert not again.run_requests
